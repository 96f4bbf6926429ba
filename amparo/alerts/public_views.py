"""Pages for people without an account: subscribe, confirm, unsubscribe, Atom feeds, emergency form.

They live under /alertas/ and /emergencia/, where the middleware strips the client address and
user agent before anything else sees the request; nothing here stores or logs them either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from amparo.accounts.models import Organisation
from amparo.alerts import selectors, services
from amparo.alerts.channels import feed
from amparo.alerts.forms import PublicAlarmForm, SubscribeForm
from amparo.alerts.models import AlarmSource, AlertSettings, CommunityAlert
from amparo.lib.urls import absolute_url
from amparo.places.models import Department
from amparo.web.public import display_name, in_public_language, public_chrome

# Why the public forms are csrf_exempt: these routes answer with "Referrer-Policy: no-referrer", so
# browsers send "Origin: null" with a form POST and Django's CSRF check refuses every submission.
# There is no session or account to ride on here, so a forged POST can do nothing the forger could
# not do directly; the rate limits below are the protection that matters.

# Limits per organisation (never per address: we do not keep addresses).
EMERGENCY_LIMIT = (30, 600)  # at most 30 public alarms per organisation in 10 minutes
SUBSCRIBE_LIMIT = (200, 600)


def over_limit(key: str, limit: tuple[int, int]) -> bool:
    count, seconds = limit
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key) > count
    except ValueError:
        return False


def _page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HttpResponse:
    """Render a public page with the shared header: display name, language switch, quick exit."""
    context = dict(context or {})
    lang = translation.get_language() or "es"
    context.update(public_chrome(lang=lang, organisation=context.get("organisation")))
    return render(request, template, context, status=status)


def _organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not services.alert_settings_for(organisation).public_alerts:
        raise Http404
    return organisation


@csrf_exempt
@require_http_methods(["GET", "POST"])
@in_public_language
def subscribe(request: HttpRequest, org: str) -> HttpResponse:
    from amparo.alerts.views import vapid_public_key

    organisation = _organisation(org)
    form = SubscribeForm(request.POST or None)
    context = {"organisation": organisation, "form": form, "vapid_key": vapid_public_key()}
    if request.method == "POST":
        if over_limit(f"alerts:subscribe:{organisation.pk}", SUBSCRIBE_LIMIT):
            return _page(request, "alerts/public/busy.html", status=429)
        if form.is_valid():
            try:
                outcome = services.subscriber_subscribe(
                    organisation=organisation,
                    channel=form.cleaned_data["channel"],
                    address=form.address_value(),
                    region_codes=form.cleaned_data["regions"],
                    language=translation.get_language() or "es",
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields and field != "address" else (
                        "address" if field == "address" else None), errors)
            except PermissionDenied:
                raise Http404 from None
            else:
                return _page(request, "alerts/public/subscribed.html",
                    {"organisation": organisation, "needs_confirmation": outcome.needs_confirmation},
                )
        return _page(request, "alerts/public/subscribe.html", context, status=400)
    return _page(request, "alerts/public/subscribe.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@in_public_language
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners open links, and must not confirm on anyone's behalf.
    if request.method == "POST":
        subscriber = services.subscriber_confirm(token=token)
        if subscriber is None:
            return _page(request, "alerts/public/bad_link.html", status=404)
        return _page(request, "alerts/public/confirmed.html")
    return _page(request, "alerts/public/confirm.html", {"token": token})


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs without our form; the token is the proof.
@require_http_methods(["GET", "POST"])
@in_public_language
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if not services.subscriber_unsubscribe(token=token):
            return _page(request, "alerts/public/bad_link.html", status=404)
        return _page(request, "alerts/public/unsubscribed.html")
    return _page(request, "alerts/public/unsubscribe.html", {"token": token})


def _published_at(alert: CommunityAlert) -> datetime:
    # The feed lists published alerts only, and publishing always stamps published_at.
    return cast(datetime, alert.published_at)


@require_GET
@in_public_language
def region_feed(request: HttpRequest, org: str, region: str) -> HttpResponse:
    organisation = _organisation(org)
    department = Department.objects.filter(code=region).first()
    if department is None:
        raise Http404
    alerts = selectors.public_alerts_for(organisation=organisation, region_code=region)
    self_url = absolute_url(reverse("alerts_public:feed", args=[organisation.slug, department.code]))
    page_url = absolute_url(reverse("alerts_public:subscribe", args=[organisation.slug]))
    entries = [
        feed.FeedEntry(
            id=f"urn:uuid:{alert.uuid}",
            title=f"{alert.get_severity_display()}: {alert.title}",
            summary="\n\n".join(
                part for part in [
                    alert.public_text,
                    alert.perpetrator_description and _("Description: %(text)s") % {"text": alert.perpetrator_description},
                    alert.vehicle and _("Vehicle: %(text)s") % {"text": alert.vehicle},
                    alert.area and _("Area: %(text)s") % {"text": alert.area},
                    _("Valid until %(date)s.") % {"date": timezone.localtime(alert.expires_at).strftime("%d/%m/%Y")},
                ] if part
            ),
            updated=_published_at(alert),
            published=_published_at(alert),
            link=page_url,
            category=alert.kind,
        )
        for alert in alerts
    ]
    updated = max((_published_at(a) for a in alerts), default=datetime(2020, 1, 1, tzinfo=UTC))
    body = feed.build_feed(
        feed_id=f"urn:amparo:alerts:{organisation.slug}:{department.code}",
        title=_("Safety alerts — %(org)s — %(region)s") % {"org": display_name(organisation), "region": department.name},
        self_url=self_url,
        alternate_url=page_url,
        updated=updated,
        entries=entries,
        author=display_name(organisation),
        language=translation.get_language() or "es",
    )
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@in_public_language
def emergency(request: HttpRequest, token: str) -> HttpResponse:
    found = AlertSettings.objects.filter(emergency_token=token).select_related("organisation").first()
    if found is None:
        raise Http404
    organisation = found.organisation
    form = PublicAlarmForm(request.POST or None, department_code=organisation.department_code)
    if request.method == "POST":
        if over_limit(f"alerts:emergency:{organisation.pk}", EMERGENCY_LIMIT):
            return _page(request, "alerts/public/busy.html", status=429)
        if form.is_valid():
            try:
                services.alarm_raise(organisation=organisation, source=AlarmSource.PUBLIC_FORM, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return _page(request, "alerts/public/emergency_sent.html", {"organisation": organisation})
        return _page(request, "alerts/public/emergency.html", {"form": form, "organisation": organisation}, status=400)
    return _page(request, "alerts/public/emergency.html", {"form": form, "organisation": organisation})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The push service worker. Served from /alertas/ so it may show alerts for that scope."""
    from django.contrib.staticfiles import finders

    path = finders.find("alerts/sw.js")
    if path is None:
        raise Http404
    with open(path, "rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
