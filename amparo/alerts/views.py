"""Staff pages of rapid response and alerts. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership
from amparo.alerts import selectors, services
from amparo.alerts.forms import (
    AlarmForm,
    AlertForm,
    DetainedForm,
    LookupForm,
    ModerateForm,
    ReleaseForm,
    SettingsForm,
    ShiftForm,
    WithdrawForm,
    end_of_day,
    release_forms,
)
from amparo.alerts.models import Alarm, AlarmSource, AlarmStatus, AlertStatus, CommunityAlert
from amparo.alerts.selectors import LOOKUP_ROLES
from amparo.alerts.services import (
    ALERT_WRITE_ROLES,
    MANAGER_ROLES,
    MODERATOR_ROLES,
    RAISE_ROLES,
    RESPONDER_ROLES,
)
from amparo.lib.forms import errors_into
from amparo.lib.urls import absolute_url
from amparo.web.responses import action_refused, form_errors

STAFF_ROLES = RAISE_ROLES | RESPONDER_ROLES


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


@role_required(*STAFF_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    # Lists never open sealed fields they do not show.
    alarms = (
        selectors.alarm_list_for(membership=membership)
        .exclude(status=AlarmStatus.CLOSED)
        .defer(*Alarm.SENSITIVE_FIELDS)[:20]
    )
    form = AlarmForm(department_code=membership.organisation.department_code) if membership.role in RAISE_ROLES else None
    return render(request, "alerts/home.html", {"alarms": alarms, "form": form})


@role_required(*RAISE_ROLES)
@require_http_methods(["GET", "POST"])
def alarm_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = AlarmForm(request.POST or None, department_code=membership.organisation.department_code)
    if request.method == "POST":
        if form.is_valid():
            try:
                alarm = services.alarm_raise(
                    organisation=membership.organisation, acting_user=request.user, membership=membership,
                    source=AlarmSource.BUTTON, **form.cleaned_data,
                )
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Alarm sent. The people on call are being notified."))
                return redirect("alerts:alarm_detail", alarm.pk)
        return render(request, "alerts/alarm_form.html", {"form": form}, status=400)
    return render(request, "alerts/alarm_form.html", {"form": form})


@role_required(*STAFF_ROLES)
def alarm_list(request: HttpRequest) -> HttpResponse:
    alarms = selectors.alarm_list_for(membership=_membership(request)).defer(*Alarm.SENSITIVE_FIELDS)[:100]
    return render(request, "alerts/alarm_list.html", {"alarms": alarms})


@role_required(*STAFF_ROLES)
def alarm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alarm = selectors.alarm_read_for(membership=membership, alarm_id=pk)
    now = timezone.now()
    detained = release_forms([(d, d.reckoning(now)) for d in selectors.alarm_detainees(alarm=alarm)], now=now)
    incident, violations, incident_readable = None, [], False
    if alarm.incident_id is not None:
        from amparo.records.models import Incident
        from amparo.records.selectors import incident_scope

        # Whoever may read the alarm sees what its incident is (reference, coded facts); the
        # incident page itself opens for those its scope allows (a lawyer, once she responds).
        incident = Incident.objects.filter(pk=alarm.incident_id, organisation_id=alarm.organisation_id).defer(
            *Incident.SENSITIVE_FIELDS).first()
        if incident is not None:
            violations = [link.term for link in incident.violation_links.select_related("term")]
            incident_readable = incident_scope(membership=membership).filter(pk=incident.pk).exists()
    return render(
        request,
        "alerts/alarm_detail.html",
        {
            "alarm": alarm,
            "incident": incident,
            "incident_readable": incident_readable,
            "violations": violations,
            "detained": detained,
            "notifications": alarm.notifications.select_related("membership__user"),
            "acks": alarm.acknowledgements.select_related("membership__user"),
            "can_respond": membership.role in RESPONDER_ROLES,
            "can_log": membership.role in RESPONDER_ROLES or alarm.raised_by_id == request.user.pk,
            "detained_form": DetainedForm(initial={"since": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")}),
        },
    )


@role_required(*RESPONDER_ROLES)
@require_POST
def alarm_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alarm = selectors.alarm_get_for(membership=membership, alarm_id=pk)
    try:
        services.alarm_acknowledge(alarm=alarm, membership=membership)
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("alerts:alarm_detail", args=[pk]), status=409)
    messages.success(request, _("Thank you. The others know you are responding."))
    return redirect("alerts:alarm_detail", pk)


@role_required(*RESPONDER_ROLES)
@require_http_methods(["GET", "POST"])
def alarm_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Closing stops the calls to the roster: a page of its own asks first (works without JavaScript)."""
    membership = _membership(request)
    alarm = selectors.alarm_get_for(membership=membership, alarm_id=pk)
    back = reverse("alerts:alarm_detail", args=[alarm.pk])
    if alarm.status == AlarmStatus.CLOSED:
        return action_refused(request, errors=[_("This alarm is closed.")], back=back, status=409)
    if request.method == "GET":
        return render(request, "alerts/alarm_close.html", {"alarm": alarm})
    if request.POST.get("confirm") != "yes":
        return action_refused(request, errors=[_("Confirm that you want to close the alarm.")], back=back)
    services.alarm_close(alarm=alarm, membership=membership)
    messages.success(request, _("Alarm closed."))
    return redirect("alerts:alarm_detail", pk)


@role_required(*STAFF_ROLES)
@require_POST
def detained_add(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alarm = selectors.alarm_get_for(membership=membership, alarm_id=pk)
    form = DetainedForm(request.POST)
    if form.is_valid():
        try:
            services.detained_add(alarm=alarm, membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            return redirect("alerts:alarm_detail", pk)
    return render(request, "alerts/detained_form.html", {"form": form, "alarm": alarm}, status=400)


@role_required(*STAFF_ROLES)
@require_POST
def detained_release(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    detained = selectors.detained_get_for(membership=membership, detained_id=pk)
    # Back to the page the release was marked on: the alarm's, or the incident's.
    if detained.alarm_id is not None and request.POST.get("next") != "incident":
        back = reverse("alerts:alarm_detail", args=[detained.alarm_id])
    else:
        back = reverse("records:incident_detail", args=[detained.incident_id])
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            services.detained_release(detained=detained, membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            return redirect(back)
    return action_refused(request, errors=form_errors(form), back=back)


# --- roster and settings -------------------------------------------------------------------


@role_required(*RESPONDER_ROLES)
@require_http_methods(["GET", "POST"])
def shift_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    can_edit = membership.role in MANAGER_ROLES
    form = ShiftForm(request.POST or None, organisation=membership.organisation) if can_edit else None
    status = 200
    if request.method == "POST":
        if form is None:
            return render(request, "web/403.html", status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.shift_create(
                    membership=membership, on_call=data["membership"], weekdays="".join(data["weekdays"]),
                    start=data["start"], end=data["end"], level=data["level"],
                )
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Shift added."))
                return redirect("alerts:shift_list")
        status = 400
    shifts = selectors.shift_list_for(membership=membership)
    return render(request, "alerts/shift_list.html", {"shifts": shifts, "form": form, "can_edit": can_edit}, status=status)


@role_required(*MANAGER_ROLES)
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    services.shift_delete(membership=membership, shift=selectors.shift_get_for(membership=membership, shift_id=pk))
    messages.success(request, _("Shift removed."))
    return redirect("alerts:shift_list")


@role_required(*MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    current = services.alert_settings_for(membership.organisation)
    form = SettingsForm(
        request.POST or None,
        initial={
            "escalation_minutes": current.escalation_minutes,
            "webhook_url": current.webhook_url,
            "public_alerts": current.public_alerts,
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.alert_settings_update(membership=membership, **form.cleaned_data)
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("alerts:settings")
        status = 400
    emergency_url = absolute_url(reverse("alerts_public:emergency", args=[current.emergency_token]))
    subscribe_url = absolute_url(reverse("alerts_public:subscribe", args=[membership.organisation.slug]))
    return render(
        request, "alerts/settings.html",
        {"form": form, "emergency_url": emergency_url, "subscribe_url": subscribe_url},
        status=status,
    )


@role_required(*RESPONDER_ROLES)
@require_POST
def device_register(request: HttpRequest) -> HttpResponse:
    """Called by our script after the browser's pushManager.subscribe()."""
    try:
        data = json.loads(request.body or b"{}")
        services.staff_device_register(membership=_membership(request), subscription=data)
    except (ValueError, ValidationError):
        return JsonResponse({"error": {"code": "validation", "message": _("This browser subscription is not valid.")}}, status=400)
    return JsonResponse({"ok": True}, status=201)


def vapid_public_key() -> str:
    from amparo.alerts import conf
    from amparo.alerts.channels import webpush

    return webpush.application_server_key(webpush.load_vapid_key(conf.vapid_private_key()))


@role_required(*RESPONDER_ROLES)
def devices(request: HttpRequest) -> HttpResponse:
    return render(request, "alerts/devices.html", {"vapid_key": vapid_public_key()})


# --- community alerts ----------------------------------------------------------------------


@role_required(*ALERT_WRITE_ROLES)
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = selectors.alert_list_for(membership=_membership(request)).defer(*CommunityAlert.CONTENT_FIELDS)[:100]
    return render(request, "alerts/alert_list.html", {"alerts": alerts})


@role_required(*ALERT_WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def alert_create(request: HttpRequest) -> HttpResponse:
    """Propose an alert, directly or from an incident (?incidente=<id>, which must be readable)."""
    from amparo.records.selectors import incident_get_for

    membership = _membership(request)
    incident_id = request.GET.get("incidente")
    incident = incident_get_for(membership=membership, incident_id=incident_id) if incident_id else None
    region = (incident.department_id if incident is not None else "") or membership.organisation.department_code
    form = AlertForm(request.POST or None, initial={"region": region})
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["expires_at"] = end_of_day(data.pop("expires_on"))
            try:
                alert = services.alert_create(membership=membership, source_incident=incident, **data)
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Alert proposed. A moderator will review it before anything is published."))
                return redirect("alerts:alert_detail", alert.pk)
        return render(request, "alerts/alert_form.html", {"form": form, "incident": incident}, status=400)
    return render(request, "alerts/alert_form.html", {"form": form, "incident": incident})


@role_required(*ALERT_WRITE_ROLES)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alert = selectors.alert_get_for(membership=membership, alert_id=pk)
    from amparo.audit import services as audit

    audit.record(actor=request.user, action="alert.viewed", target=alert, fields=["report", "phone", "plate"])
    moderate = None
    if membership.role in MODERATOR_ROLES and alert.status == AlertStatus.PENDING:
        moderate = ModerateForm(
            initial={
                "perpetrator_description": alert.perpetrator_description, "vehicle": alert.vehicle, "area": alert.area,
                "severity": alert.severity, "expires_on": timezone.localdate(alert.expires_at),
            }
        )
    counts: dict[str, int] = {}
    for row in alert.deliveries.values("event", "status"):
        key = f"{row['event']}:{row['status']}"
        counts[key] = counts.get(key, 0) + 1
    return render(
        request, "alerts/alert_detail.html",
        {
            "alert": alert, "moderate": moderate, "withdraw": WithdrawForm() if membership.role in MODERATOR_ROLES else None,
            "counts": sorted(counts.items()),
        },
    )


@role_required(*MODERATOR_ROLES)
@require_POST
def alert_publish(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alert = selectors.alert_get_for(membership=membership, alert_id=pk)
    form = ModerateForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["expires_at"] = end_of_day(data.pop("expires_on"))
        try:
            services.alert_publish(alert=alert, membership=membership, **data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Alert published. Delivery has started."))
            return redirect("alerts:alert_detail", pk)
    return render(
        request, "alerts/alert_detail.html", {"alert": alert, "moderate": form, "withdraw": None, "counts": []}, status=400
    )


@role_required(*MODERATOR_ROLES)
@require_POST
def alert_reject(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alert = selectors.alert_get_for(membership=membership, alert_id=pk)
    try:
        services.alert_reject(alert=alert, membership=membership)
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("alerts:alert_detail", args=[pk]), status=409)
    return redirect("alerts:alert_detail", pk)


@role_required(*MODERATOR_ROLES)
@require_POST
def alert_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    alert = selectors.alert_get_for(membership=membership, alert_id=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.alert_withdraw(alert=alert, membership=membership, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            return action_refused(request, errors=exc.messages, back=reverse("alerts:alert_detail", args=[pk]), status=409)
        messages.success(request, _("Alert withdrawn. Everyone who received it is being told."))
        return redirect("alerts:alert_detail", pk)
    return action_refused(request, errors=[_("Say why the alert is withdrawn.")], back=reverse("alerts:alert_detail", args=[pk]))


@role_required(*LOOKUP_ROLES)
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = LookupForm(request.POST or None)
    found = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                found = selectors.alert_lookup_for(
                    membership=membership, phone=form.cleaned_data["phone"], plate=form.cleaned_data["plate"]
                )
            except ValueError:
                form.add_error(None, _("This is not a phone number or plate we can check."))
                status = 400
        else:
            status = 400
    return render(request, "alerts/lookup.html", {"form": form, "found": found}, status=status)
