"""Pages of the Response app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership, Role
from amparo.accounts.sudo import sudo_required
from amparo.audit import services as audit
from amparo.evidence import services as evidence_services
from amparo.evidence.models import CustodyAction
from amparo.lib.forms import errors_into, saved_by
from amparo.records import selectors as records_selectors
from amparo.records.models import Person
from amparo.response import forms, selectors, services
from amparo.response.lib.procedure import Route, Stage, protection_status
from amparo.response.lib.referral_flow import ReferralStatus, referral_next_statuses
from amparo.response.models import CaseStatus, Reminder
from amparo.vocab.models import Term, Vocabulary
from amparo.web.responses import action_refused, form_errors, see_other

STAFF = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER)
ALL_ROLES = (*STAFF, Role.ANALYST)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
PAGE_SIZE = 25


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _bad_post(request: HttpRequest, form: Form, back: str) -> HttpResponse:
    """A small action form failed: say why (400, nothing saved), with the way back."""
    return action_refused(request, errors=form_errors(form), back=back)


def _small_action(
    request: HttpRequest, form: Form, back: str, action: Callable[[dict[str, Any]], Any],
    success: str | Callable[[dict[str, Any]], str] | None = None,
) -> HttpResponse:
    """The shape of every small form on these pages: validate, call the service, say so, go back;
    on any refusal answer 400 with the reasons and nothing saved."""
    if saved_by(form, action) is None:
        return _bad_post(request, form, back)
    if success is not None:
        messages.success(request, success(form.cleaned_data) if callable(success) else success)
    return see_other(back)


# --------------------------------------------------------------------------- work views


@role_required(*STAFF)
def my_tasks(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    tasks = selectors.my_tasks(membership=membership)
    return render(request, "response/tasks.html", {"tasks": tasks, "now": timezone.now()})


@role_required(*STAFF)
@require_POST
def reminder_dismiss(request: HttpRequest, reminder_id: int) -> HttpResponse:
    membership = _membership(request)
    reminder = Reminder.objects.get_for_member(membership, pk=reminder_id, user_id=membership.user_id)
    services.reminder_dismiss(reminder=reminder, acting_user=request.user)  # type: ignore[arg-type]
    return see_other("response:tasks")


@role_required(*MANAGERS)
def overdue(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    return render(request, "response/overdue.html", {
        "overdue": selectors.organisation_overdue(membership=membership),
        "times": selectors.response_times(membership=membership),
    })


# --------------------------------------------------------------------------- directory


@role_required(*ALL_ROLES)
def directory(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = forms.DirectorySearchForm(request.GET or None)
    filters = selectors.DirectoryFilters()
    status = 200
    if form.is_bound:
        if form.is_valid():
            d = form.cleaned_data
            filters = selectors.DirectoryFilters(
                department=d["department"], need=d["need"], kind=d["kind"], query=d["q"],
                trans_friendly=d["trans_friendly"], sex_worker_friendly=d["sex_worker_friendly"],
            )
        else:
            status = 400
    page = Paginator(selectors.service_list_for(membership=membership, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    stats = selectors.service_stats_for(membership=membership, service_ids=[s.pk for s in page])
    rows = [(s, stats[s.pk]) for s in page]
    return render(request, "response/directory.html", {
        "form": form, "page": page, "rows": rows, "can_edit": membership.role in MANAGERS,
    }, status=status)


@role_required(*ALL_ROLES)
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    membership = _membership(request)
    service = selectors.service_get_for(membership=membership, service_id=service_id)
    stats = selectors.service_stats_for(membership=membership, service_ids=[service.pk])[service.pk]
    can_edit = (membership.role in MANAGERS and service.organisation_id == membership.organisation_id) or (
        service.is_national and getattr(request.user, "is_network_admin", False)
    )
    return render(request, "response/service_detail.html", {"service": service, "stats": stats, "can_edit": can_edit})


@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = forms.ServiceForm(request.POST or None, membership=membership)
    if request.method == "POST":
        if form.is_valid():
            try:
                service = services.service_create(membership=membership, acting_user=request.user, **form.service_kwargs())  # type: ignore[arg-type]
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Contact added to the directory."))
                return see_other(reverse("response:service_detail", args=[service.pk]))
        return render(request, "response/service_form.html", {"form": form}, status=400)
    return render(request, "response/service_form.html", {"form": form})


@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    membership = _membership(request)
    service = selectors.service_get_for(membership=membership, service_id=service_id)
    if service.organisation_id != membership.organisation_id and not getattr(request.user, "is_network_admin", False):
        raise PermissionDenied
    initial = {
        "kind": service.kind, "name": service.name, "description": service.description,
        "department": service.department_id or "", "address": service.address, "hours": service.hours,
        "phone": service.phone, "email": service.email, "languages": service.languages, "needs": service.needs,
        "trans_friendly": service.trans_friendly, "treats_sex_workers_well": service.treats_sex_workers_well,
        "last_checked_on": service.last_checked_on, "lawyer": service.lawyer_id or "", "notes": service.notes,
    }
    form = forms.ServiceForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            kwargs = form.service_kwargs()
            if service.is_national:
                kwargs.pop("lawyer", None)
            try:
                services.service_update(service=service, membership=membership, acting_user=request.user, **kwargs)  # type: ignore[arg-type]
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Saved."))
                return see_other(reverse("response:service_detail", args=[service.pk]))
        return render(request, "response/service_form.html", {"form": form, "service": service}, status=400)
    return render(request, "response/service_form.html", {"form": form, "service": service})


# --------------------------------------------------------------------------- incident hub


@role_required(*STAFF)
def incident_response(request: HttpRequest, incident_id: int) -> HttpResponse:
    """What the organisation did for one incident: referrals and cases, with buttons to act."""
    membership = _membership(request)
    incident = records_selectors.incident_get_for(membership=membership, incident_id=incident_id)
    referrals = selectors.referral_list_for(membership=membership, incident=incident)
    cases = selectors.case_scope(membership=membership).filter(incident_links__incident=incident).defer("title", "summary", "perpetrator_details")
    return render(request, "response/incident_response.html", {
        "incident": incident, "referrals": referrals, "cases": cases,
        "evidence": selectors.incident_evidence(membership=membership, incident=incident),
        "evidence_form": forms.EvidenceForm(),
        "can_refer": membership.role in services.REFERRAL_WRITERS,
        "can_open_case": membership.role in services.CASE_WRITERS,
    })


@role_required(*services.CASE_WRITERS)
@require_POST
def incident_evidence_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = _membership(request)
    incident = records_selectors.incident_get_for(membership=membership, incident_id=incident_id)
    back = reverse("response:incident_response", args=[incident.pk])
    return _small_action(request, forms.EvidenceForm(request.POST, request.FILES), back, lambda d: services.incident_evidence_add(
        incident=incident, membership=membership, acting_user=request.user,  # type: ignore[arg-type]
        uploaded=d["file"], description=d["description"],
    ), _("File stored, fingerprinted and encrypted."))


@role_required(*STAFF)
def evidence_detail(request: HttpRequest, evidence_uid: str) -> HttpResponse:
    """A file's fingerprints and its chain of custody (the file itself is not opened here)."""
    membership = _membership(request)
    evidence = selectors.evidence_get_for(membership=membership, evidence_uid=evidence_uid)
    return render(request, "response/evidence_detail.html", {
        "evidence": evidence, "custody": selectors.evidence_custody(evidence=evidence),
    })


@role_required(*STAFF)
def evidence_download(request: HttpRequest, evidence_uid: str) -> HttpResponse:
    membership = _membership(request)
    evidence = selectors.evidence_get_for(membership=membership, evidence_uid=evidence_uid)
    try:
        data = evidence_services.evidence_read(
            evidence=evidence, acting_user=request.user, purpose="download", action=CustodyAction.DOWNLOADED
        )
    except evidence_services.EvidenceTampered as exc:
        return action_refused(request, errors=[str(exc)], back=reverse("response:evidence_detail", args=[evidence.uid]), status=409)
    response = HttpResponse(data, content_type=evidence.content_type)
    response["Content-Disposition"] = f'attachment; filename="{evidence_services.download_name(evidence)}"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(*STAFF)
@require_POST
def evidence_verify(request: HttpRequest, evidence_uid: str) -> HttpResponse:
    membership = _membership(request)
    evidence = selectors.evidence_get_for(membership=membership, evidence_uid=evidence_uid)
    if evidence_services.evidence_verify(evidence=evidence, acting_user=request.user, purpose="integrity check"):
        messages.success(request, _("The stored file matches its fingerprint."))
    else:
        messages.error(request, _("The stored file does not match its fingerprint: it may have been altered."))
    return see_other(reverse("response:evidence_detail", args=[evidence.uid]))


# --------------------------------------------------------------------------- referrals


@role_required(*STAFF)
def referral_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    status = request.GET.get("estado", "")
    if status and status not in ReferralStatus.values:
        status = ""
    page = Paginator(selectors.referral_list_for(membership=membership, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "response/referral_list.html", {"page": page, "status": status, "statuses": ReferralStatus.choices})


def _subject_from_query(request: HttpRequest, membership: Membership) -> tuple[Any, Any]:
    data = request.POST if request.method == "POST" else request.GET
    incident = person = None
    if data.get("incident"):
        incident = records_selectors.incident_get_for(membership=membership, incident_id=data["incident"])
    person_id = data.get("persona")
    if person_id:
        person = records_selectors.person_get_for(membership=membership, person_id=person_id)
    if incident is None and person is None:
        raise Http404
    return incident, person


@role_required(*services.REFERRAL_WRITERS)
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    incident, person = _subject_from_query(request, membership)
    persons = [link.person for link in incident.person_links.select_related("person")] if incident else [person]
    form = forms.ReferralForm(
        request.POST or None, membership=membership, persons=persons,
        initial={"person": person.pk if person else (persons[0].pk if len(persons) == 1 else "")},
    )
    context = {"form": form, "incident": incident, "person": person}
    if request.method == "POST":
        if form.is_valid():
            kwargs = form.service_kwargs()
            if person is not None and incident is None:
                kwargs["person"] = person
            try:
                referral = services.referral_create(membership=membership, acting_user=request.user, incident=incident, **kwargs)  # type: ignore[arg-type]
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                if referral.status == ReferralStatus.SENT:
                    if referral.lawyer_id:
                        messages.success(request, _("Referral sent. The lawyer is told by e-mail and sees it in her tasks."))
                    else:
                        messages.success(request, _("Referral sent."))
                else:
                    messages.warning(request, _("Referral saved as a draft: it has not been sent and nobody has received it. Press “Send referral” to send it."))
                return see_other(reverse("response:referral_detail", args=[referral.pk]))
        return render(request, "response/referral_form.html", context, status=400)
    return render(request, "response/referral_form.html", context)


def _status_choices(referral: Any, membership: Membership, user: Any) -> list[tuple[str, Any]]:
    allowed = referral_next_statuses(referral.status)
    if membership.role == Role.LAWYER:
        allowed = tuple(s for s in allowed if s in services.LAWYER_MAY_SET) if referral.lawyer_id == user.pk else ()
    return [(s, ReferralStatus(s).label) for s in allowed]


@role_required(*STAFF)
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    membership = _membership(request)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    reveal = request.GET.get("mostrar") == "1"
    if reveal:
        audit.record(actor=request.user, action="referral.viewed", target=referral, fields=["note", "outcome", "feedback_comment"])
    choices = _status_choices(referral, membership, request.user)
    is_target_lawyer = membership.role == Role.LAWYER and referral.lawyer_id == request.user.pk
    answering = is_target_lawyer and referral.status == ReferralStatus.SENT
    if membership.role == Role.LAWYER:
        # The lawyer answers with the answer form (a reason to decline); the status list is the organisation's.
        choices = [c for c in choices if c[0] not in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)]
    incident = referral.incident
    if referral.person is not None:
        people = [referral.person]
    elif incident is not None:
        people = [link.person for link in incident.person_links.select_related("person").defer(
            *(f"person__{f}" for f in Person.SENSITIVE_FIELDS))]
    else:
        people = []
    can_open_case = referral.legal_case_id is None and referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED) and (
        is_target_lawyer or membership.role in (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER)
    )
    legal_case = None
    if referral.legal_case_id:
        legal_case = selectors.case_scope(membership=membership).defer("summary", "perpetrator_details").filter(
            pk=referral.legal_case_id).first()
    return render(request, "response/referral_detail.html", {
        "referral": referral, "reveal": reveal, "people": people,
        "violations": [link.term for link in incident.violation_links.select_related("term")] if incident else [],
        "answer_form": forms.ReferralAnswerForm() if answering else None,
        "can_send": referral.status == ReferralStatus.PROPOSED and membership.role in services.REFERRAL_WRITERS,
        "can_open_case": can_open_case, "legal_case": legal_case,
        "status_form": forms.ReferralStatusForm(choices=choices) if choices else None,
        "feedback_form": forms.FeedbackForm() if membership.role in services.REFERRAL_WRITERS and referral.status not in (ReferralStatus.PROPOSED, ReferralStatus.WITHDRAWN) else None,
    })


@role_required(*STAFF)
@require_POST
def referral_status(request: HttpRequest, referral_id: int) -> HttpResponse:
    membership = _membership(request)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    back = reverse("response:referral_detail", args=[referral.pk])
    return _small_action(request, forms.ReferralStatusForm(request.POST, choices=_status_choices(referral, membership, request.user) or [("", "")]), back, lambda d: services.referral_transition(
        referral=referral, membership=membership, acting_user=request.user,  # type: ignore[arg-type]
        status=d["status"], outcome=d["outcome"], follow_up_on=d["follow_up_on"],
    ), _("Status updated."))


@role_required(Role.LAWYER)
@require_POST
def referral_answer(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The lawyer accepts a referral sent to her, or declines it with a reason."""
    membership = _membership(request)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    if referral.lawyer_id != request.user.pk:
        raise Http404
    back = reverse("response:referral_detail", args=[referral.pk])
    return _small_action(request, forms.ReferralAnswerForm(request.POST), back, lambda d: services.referral_transition(
        referral=referral, membership=membership, acting_user=request.user,  # type: ignore[arg-type]
        status=d["answer"], outcome=d["reason"],
    ), lambda d: (
        _("You accepted the referral. The organisation is told.") if d["answer"] == ReferralStatus.ACCEPTED
        else _("You declined the referral. The organisation is told why.")
    ))


@role_required(*services.CASE_WRITERS)
@require_POST
def referral_open_case(request: HttpRequest, referral_id: int) -> HttpResponse:
    """One click from an accepted referral to its legal case, prefilled and linked."""
    membership = _membership(request)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    back = reverse("response:referral_detail", args=[referral.pk])
    try:
        case = services.case_open_from_referral(referral=referral, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=back, status=409)
    except PermissionDenied:
        raise Http404
    messages.success(request, _("Legal case %(ref)s opened.") % {"ref": case.reference})
    return see_other(reverse("response:case_detail", args=[case.pk]))


@role_required(*services.REFERRAL_WRITERS)
@require_POST
def referral_feedback(request: HttpRequest, referral_id: int) -> HttpResponse:
    membership = _membership(request)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    back = reverse("response:referral_detail", args=[referral.pk])
    return _small_action(request, forms.FeedbackForm(request.POST), back, lambda d: services.referral_feedback_record(
        referral=referral, membership=membership, acting_user=request.user,  # type: ignore[arg-type]
        rating=d["rating"], respectful=d["respectful"], comment=d["comment"],
    ), _("Thank you: her feedback is recorded."))


# --------------------------------------------------------------------------- cases


@role_required(*STAFF)
def case_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    overdue_only = request.GET.get("vencidos") == "1"
    status = request.GET.get("estado", "")
    if status not in CaseStatus.values:
        status = ""
    cases = selectors.case_list_for(membership=membership, status=status, overdue_only=overdue_only)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "response/case_list.html", {"page": page, "overdue_only": overdue_only, "status": status})


@role_required(*services.CASE_WRITERS)
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    incident, person = _subject_from_query(request, membership)
    form = forms.CaseForm(request.POST or None, membership=membership)
    context = {"form": form, "incident": incident, "person": person}
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                case = services.case_create(
                    membership=membership, acting_user=request.user,  # type: ignore[arg-type]
                    title=d["title"], summary=d["summary"], perpetrator_details=d["perpetrator_details"],
                    lawyer=form.lawyers.get(d["lawyer"]) if d["lawyer"] else None, opened_on=d["opened_on"],
                    incidents=[incident] if incident else [], persons=[person] if person else [],
                )
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Case opened."))
                return see_other(reverse("response:case_detail", args=[case.pk]))
        return render(request, "response/case_form.html", context, status=400)
    return render(request, "response/case_form.html", context)


@role_required(*STAFF)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    membership = _membership(request)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    reveal = request.GET.get("mostrar") == "1"
    if reveal:
        audit.record(actor=request.user, action="case.viewed", target=case, fields=["title", "summary", "perpetrator_details", "case_number"])
    now = timezone.now()
    routes = list(case.routes.all())
    protection = {
        r.pk: protection_status(
            requested_at=r.requested_at, now=now, decided_at=r.decided_at, granted=r.stage == Stage.GRANTED or None,
            in_force_until=datetime.combine(r.in_force_until, time.max, tzinfo=timezone.get_current_timezone()) if r.in_force_until else None,
            lifted=r.stage in (Stage.LIFTED, Stage.CLOSED),
        )
        for r in routes if r.route == Route.PROTECTION and r.requested_at
    }
    can_write = membership.role in services.CASE_WRITERS and (membership.role != Role.LAWYER or case.lawyer_id == request.user.pk)
    open_case = case.status == CaseStatus.OPEN
    return render(request, "response/case_detail.html", {
        "case": case, "reveal": reveal, "now": now,
        "routes": [(r, forms.StageForm(case_route=r, prefix=f"r{r.pk}") if can_write and open_case else None, protection.get(r.pk)) for r in routes],
        "timeline": selectors.case_timeline(case=case),
        "deadlines": selectors.case_deadlines(case=case),
        "hearings": case.hearings.defer("result").all(),
        "documents": case.documents.select_related("evidence").all(),
        "incidents": case.incidents.order_by("reference"),
        "perpetrators": Term.objects.filter(vocabulary=Vocabulary.PERPETRATOR, code__in=case.perpetrator_codes),
        "persons": case.persons.order_by("code_name").defer("chosen_name", "legal_name", "id_number", "phone", "safe_contact", "address", "hiv_status"),
        "can_write": can_write and open_case,
        "can_assign": membership.role in MANAGERS,
        "route_form": forms.RouteStartForm(), "event_form": forms.EventForm(), "hearing_form": forms.HearingForm(),
        "deadline_form": forms.DeadlineForm(membership=membership), "document_form": forms.DocumentForm(),
        "close_form": forms.CloseForm(), "lawyer_form": forms.LawyerForm(membership=membership, initial={"lawyer": case.lawyer_id or ""}),
    })


def _case_post(request: HttpRequest, case_id: int) -> tuple[Membership, Any, str]:
    membership = _membership(request)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    return membership, case, reverse("response:case_detail", args=[case.pk])


@role_required(*services.CASE_WRITERS)
@require_POST
def case_route_start(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    return _small_action(request, forms.RouteStartForm(request.POST), back, lambda d: services.case_route_start(
        case=case, membership=membership, acting_user=request.user, route=d["start"][0], stage=d["start"][1],  # type: ignore[arg-type]
        forum=d["forum"], case_number=d["case_number"], started_on=d["started_on"],
    ))


@role_required(*services.CASE_WRITERS)
@require_POST
def case_route_advance(request: HttpRequest, case_id: int, route_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    case_route = selectors.case_route_get_for(membership=membership, case=case, route_id=route_id)
    form = forms.StageForm(request.POST, case_route=case_route, prefix=f"r{case_route.pk}")
    return _small_action(request, form, back, lambda d: services.case_route_advance(
        case_route=case_route, membership=membership, acting_user=request.user, stage=d["stage"],  # type: ignore[arg-type]
        occurred_at=d["occurred_at"], note=d["note"], outcome=d["outcome"], in_force_until=d["in_force_until"],
    ))


@role_required(*services.CASE_WRITERS)
@require_POST
def case_event_add(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    return _small_action(request, forms.EventForm(request.POST), back, lambda d: services.case_event_add(
        case=case, membership=membership, acting_user=request.user, **d,  # type: ignore[arg-type]
    ))


@role_required(*services.CASE_WRITERS)
@require_POST
def case_hearing_add(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    return _small_action(request, forms.HearingForm(request.POST), back, lambda d: services.hearing_add(
        case=case, membership=membership, acting_user=request.user, **d,  # type: ignore[arg-type]
    ))


@role_required(*services.CASE_WRITERS)
@require_POST
def case_deadline_add(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    form = forms.DeadlineForm(request.POST, membership=membership)
    if not form.is_valid():
        return _bad_post(request, form, back)
    d = form.cleaned_data
    due_at = None
    if d["due_on"]:
        due_at = datetime.combine(d["due_on"], time(23, 59, 59), tzinfo=timezone.get_current_timezone())
    try:
        services.deadline_add(
            case=case, membership=membership, acting_user=request.user, title=d["title"], due_at=due_at,  # type: ignore[arg-type]
            amount=d["amount"] if due_at is None else None, unit=d["unit"] if due_at is None else "",
            assigned_to=form.staff.get(d["assigned_to"]) if d["assigned_to"] else None,
        )
    except ValidationError as exc:
        errors_into(form, exc)
        return _bad_post(request, form, back)
    messages.success(request, _("Deadline added."))
    return see_other(back)


@role_required(*services.CASE_WRITERS)
@require_POST
def deadline_done(request: HttpRequest, deadline_id: int) -> HttpResponse:
    membership = _membership(request)
    deadline = selectors.deadline_get_for(membership=membership, deadline_id=deadline_id)
    services.deadline_complete(deadline=deadline, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    return see_other(reverse("response:tasks") if request.POST.get("next") == "tasks" else reverse("response:case_detail", args=[deadline.case_id]))


@role_required(*MANAGERS)
@require_POST
def case_lawyer(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    form = forms.LawyerForm(request.POST, membership=membership)
    if not form.is_valid():
        return _bad_post(request, form, back)
    lawyer = form.lawyers.get(form.cleaned_data["lawyer"]) if form.cleaned_data["lawyer"] else None
    services.case_assign_lawyer(case=case, membership=membership, acting_user=request.user, lawyer=lawyer)  # type: ignore[arg-type]
    return see_other(back)


@role_required(*services.CASE_WRITERS)
@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    return _small_action(request, forms.CloseForm(request.POST), back, lambda d: services.case_close(
        case=case, membership=membership, acting_user=request.user, outcome=d["outcome"],  # type: ignore[arg-type]
    ))


@role_required(*services.CASE_WRITERS)
@require_POST
def case_document_add(request: HttpRequest, case_id: int) -> HttpResponse:
    membership, case, back = _case_post(request, case_id)
    return _small_action(request, forms.DocumentForm(request.POST, request.FILES), back, lambda d: services.case_document_add(
        case=case, membership=membership, acting_user=request.user, uploaded=d["file"],  # type: ignore[arg-type]
        kind=d["kind"], description=d["description"],
    ), _("File stored, fingerprinted and encrypted."))


@role_required(*STAFF)
def case_document_download(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    membership = _membership(request)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    document = selectors.case_document_get_for(membership=membership, case=case, document_id=document_id)
    try:
        data = evidence_services.evidence_read(
            evidence=document.evidence, acting_user=request.user, purpose=f"case {case.reference}", action=CustodyAction.DOWNLOADED
        )
    except evidence_services.EvidenceTampered as exc:
        return action_refused(request, errors=[str(exc)], back=reverse("response:case_detail", args=[case.pk]), status=409)
    response = HttpResponse(data, content_type=document.evidence.content_type)
    response["Content-Disposition"] = f'attachment; filename="{evidence_services.download_name(document.evidence)}"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(*services.CASE_WRITERS)
@require_POST
@sudo_required(fallback="response:case_list")
def case_bundle(request: HttpRequest, case_id: int) -> HttpResponse:
    """Download the signed evidence bundle. POST: it writes to the custody log."""
    membership, case, back = _case_post(request, case_id)
    try:
        data = services.case_bundle_bytes(case=case, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    except services.BundleRefused as exc:
        response = render(request, "response/bundle_refused.html", {"case": case, "message": exc.message}, status=409)
        return response
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-evidencia.zip"'
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- defenders' security


@role_required(*services.SECURITY_ROLES)
def security_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    return render(request, "response/security_list.html", {"records": selectors.security_list_for(membership=membership)})


@role_required(*services.SECURITY_ROLES)
@require_http_methods(["GET", "POST"])
def security_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = forms.SecurityRecordForm(request.POST or None, membership=membership, initial={"incident": request.GET.get("incidente", "")})
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                incident = records_selectors.incident_by_reference_for(membership=membership, reference=d["incident"].strip())
            except Http404:
                form.add_error("incident", _("No incident with this reference."))
            else:
                try:
                    record = services.security_record_create(
                        membership=membership, acting_user=request.user, incident=incident,  # type: ignore[arg-type]
                        defender=form.defenders[d["defender"]], risk_level=d["risk_level"], assessment=d["assessment"],
                        follow_up_on=d["follow_up_on"],
                    )
                except ValidationError as exc:
                    errors_into(form, exc)
                else:
                    return see_other(reverse("response:security_detail", args=[record.pk]))
        return render(request, "response/security_form.html", {"form": form}, status=400)
    return render(request, "response/security_form.html", {"form": form})


@role_required(*services.SECURITY_ROLES)
def security_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = _membership(request)
    record = selectors.security_get_for(membership=membership, record_id=record_id)
    reveal = request.GET.get("mostrar") == "1"
    if reveal:
        audit.record(actor=request.user, action="security.viewed", target=record, fields=["assessment", "measures"])
    return render(request, "response/security_detail.html", {
        "record": record, "reveal": reveal, "measures": record.measures.all(),
        "measure_form": forms.MeasureForm(),
        "update_form": forms.SecurityUpdateForm(initial={"risk_level": record.risk_level, "status": record.status, "follow_up_on": record.follow_up_on}),
    })


@role_required(*services.SECURITY_ROLES)
@require_POST
def security_measure_add(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = _membership(request)
    record = selectors.security_get_for(membership=membership, record_id=record_id)
    back = reverse("response:security_detail", args=[record.pk])
    form = forms.MeasureForm(request.POST)
    if not form.is_valid():
        return _bad_post(request, form, back)
    services.protective_measure_add(record=record, membership=membership, acting_user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
    return see_other(back)


@role_required(*services.SECURITY_ROLES)
@require_POST
def security_update(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = _membership(request)
    record = selectors.security_get_for(membership=membership, record_id=record_id)
    back = reverse("response:security_detail", args=[record.pk])
    form = forms.SecurityUpdateForm(request.POST)
    if not form.is_valid():
        return _bad_post(request, form, back)
    services.security_record_update(record=record, membership=membership, acting_user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
    return see_other(back)
