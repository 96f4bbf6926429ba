"""Pages for incidents and people. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership, Role
from amparo.accounts.sudo import sudo_required
from amparo.lib.drafts import draft_key_for, sent_tags
from amparo.lib.errors import Conflict
from amparo.lib.forms import errors_into
from amparo.lib.pagination import IdsFirstPaginator
from amparo.records import selectors, services
from amparo.records.forms import (
    AssignForm,
    HappeningNowForm,
    IncidentFilterForm,
    IncidentForm,
    PersonForm,
    PersonHarmsForm,
    incident_people_formset,
)
from amparo.records.models import Harm, Incident, Person
from amparo.records.panels import incident_panels
from amparo.records.selectors import RECORD_ROLES, WRITE_ROLES, IncidentFilters
from amparo.web.responses import action_refused, form_errors

PAGE_SIZE = 25


class _PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308


def old_case_url_redirect(request: HttpRequest, rest: str) -> HttpResponse:
    """/casos/… (incidents and people before the naming decision) → /incidentes/… or /personas/….

    Only the path moves; the query string goes along. GET answers 301; other methods 308 so a form
    posted from a page loaded before the change is not silently turned into a GET.
    """
    target = f"/{rest}" if rest == "personas" or rest.startswith("personas/") else f"/incidentes/{rest}"
    query = request.META.get("QUERY_STRING", "")
    if query:
        target += "?" + query
    redirect_class = HttpResponsePermanentRedirect if request.method in ("GET", "HEAD") else _PermanentRedirectKeepingMethod
    return redirect_class(target)


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


@role_required(*RECORD_ROLES)
def incident_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = IncidentFilterForm(request.GET or None)
    filters = IncidentFilters()
    status = 200
    if form.is_bound:
        if form.is_valid():
            d = form.cleaned_data
            filters = IncidentFilters(
                date_from=d.get("date_from"), date_to=d.get("date_to"), department=d.get("department", ""),
                violation=d.get("violation", ""), perpetrator=d.get("perpetrator", ""), status=d.get("status", ""),
                query=d.get("q", ""),
            )
        else:
            status = 400
    incidents = selectors.incident_list_for(membership=membership, filters=filters)
    page = IdsFirstPaginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.incident_rows_with_terms(list(page))
    return render(request, "records/incident_list.html", {"form": form, "page": page}, status=status)


def _person_from_query(request: HttpRequest, membership: Membership) -> Person | None:
    person_id = request.GET.get("persona") or request.POST.get("persona")
    return selectors.person_get_for(membership=membership, person_id=person_id) if person_id else None


@sensitive_post_parameters()  # narratives and identities never reach error reports
@never_cache  # the page carries the session's draft key: never kept in a cache on the phone
@role_required(*WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    existing_person = _person_from_query(request, membership)
    form = IncidentForm(request.POST or None)
    person_form = PersonForm(request.POST or None, prefix="p")
    people_formset = incident_people_formset(request.POST if request.method == "POST" else None)
    now_form = HappeningNowForm(request.POST or None)
    wants_person = existing_person is None and bool(request.POST.get("p-code_name", "").strip())
    if request.method == "POST":
        # Every part is validated (so every error shows at once) before anything is saved.
        checks = [form.is_valid(), person_form.is_valid() if wants_person else True, people_formset.is_valid(), now_form.is_valid()]
        if all(checks):
            try:
                incident = _create_incident_with_person(
                    membership, form, person_form if wants_person else None, existing_person,
                    people=people_formset.people(), happening_now=now_form.cleaned_data["happening_now"],
                )
            except ValidationError as exc:
                errors_into(form, exc)
            else:
                messages.success(request, _("Incident %(ref)s saved.") % {"ref": incident.reference}, extra_tags=sent_tags("incident-new"))
                if now_form.cleaned_data["happening_now"]:
                    messages.warning(request, _("Alarm raised: the people on call are being notified."))
                return redirect("records:incident_detail", incident_id=incident.pk)
    context = {
        "form": form, "person_form": person_form, "existing_person": existing_person, "creating": True,
        "people_formset": people_formset, "now_form": now_form, "draft_key": draft_key_for(request),
    }
    return render(request, "records/incident_form.html", context, status=400 if request.method == "POST" else 200)


@transaction.atomic
def _create_incident_with_person(
    membership: Membership, form: IncidentForm, person_form: PersonForm | None, existing: Person | None,
    *, people: list[dict[str, Any]] | None = None, happening_now: bool = False,
) -> Incident:
    persons: list[Person] = [existing] if existing else []
    if person_form is not None:
        data = person_form.service_kwargs()
        # The same phone or ID number means the same person: link instead of duplicating.
        known = selectors.person_find_for(membership=membership, phone=data.get("phone", ""), id_number=data.get("id_number", "")).first()
        if known is not None:
            persons.append(known)
        else:
            persons.append(services.person_create(organisation=membership.organisation, acting_user=membership.user, **data))
    d = form.cleaned_data
    incident = services.incident_create(
        organisation=membership.organisation,
        acting_user=membership.user,
        violation_codes=d["violations"],
        perpetrator_codes=d.get("perpetrators", []),
        persons=persons,
        department_code=d.get("department", ""),
        **form.service_kwargs(),
    )
    if people or happening_now:
        # Detentions and alarms are rapid response's (the same records the alarm page keeps).
        from amparo.alerts.services import RaidPerson, incident_people_record

        incident_people_record(
            membership=membership, incident=incident, happening_now=happening_now,
            people=[
                RaidPerson(code_name=p["code_name"].strip(), role=p["role"], harms=list(p["harms"]),
                           detained_since=p.get("detained_since"), held_at=p.get("held_at", ""))
                for p in people or []
            ],
        )
    return incident


@role_required(*RECORD_ROLES)
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = _membership(request)
    incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
    reveal = request.GET.get("mostrar") == "1"
    if reveal:
        services.sensitive_viewed(actor=membership.user, target=incident, fields=Incident.SENSITIVE_FIELDS)
    context: dict[str, Any] = {
        "incident": incident,
        "reveal": reveal,
        "violations": [link.term for link in incident.violation_links.select_related("term")],
        "perpetrators": [link.term for link in incident.perpetrator_links.select_related("term")],
        "people": incident.person_links.select_related("person"),
        "can_edit": membership.role in WRITE_ROLES,
        "can_manage": membership.role in (Role.ADMIN, Role.COORDINATOR),
        "person_form": PersonForm(prefix="p"),
        "harms_form": PersonHarmsForm(prefix="r"),
        "panels": incident_panels(membership=membership, incident=incident, reveal=reveal),
    }
    if context["can_manage"]:
        context["assign_form"] = _assign_form(membership, incident)
    return render(request, "records/incident_detail.html", context)


def _assign_form(membership: Membership, incident: Incident, data: Any = None) -> AssignForm:
    form = AssignForm(data, initial={"assigned_to": incident.assigned_to_id or "", "status": incident.status})
    members = membership.organisation.memberships.filter(is_active=True, role__in=[Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER]).select_related("user")
    form.fields["assigned_to"].choices = [("", "—")] + [(str(m.user_id), f"{m.user.username} ({m.get_role_display()})") for m in members]  # type: ignore[attr-defined]
    return form


@sensitive_post_parameters()  # narratives and identities never reach error reports
@never_cache  # the page carries the session's draft key: never kept in a cache on the phone
@role_required(*WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = _membership(request)
    incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
    initial = {
        "occurred_on": incident.occurred_on, "date_precision": incident.date_precision, "occurred_time": incident.occurred_time,
        "department": incident.department_id or "", "district": incident.district_id or "",
        "place_type": incident.place_type.code if incident.place_type else "",
        "violations": [link.term.code for link in incident.violation_links.select_related("term")],
        "perpetrators": [link.term.code for link in incident.perpetrator_links.select_related("term")],
        "perpetrator_details": incident.perpetrator_details, "narrative": incident.narrative,
        "people_affected": incident.people_affected, "source": incident.source.code if incident.source else "",
        "reliability": incident.reliability, "consent_store": incident.consent_store,
        "consent_share_stats": incident.consent_share_stats, "consent_legal_action": incident.consent_legal_action,
        "consent_contact": incident.consent_contact, "contact_preference": incident.contact_preference,
    }
    form = IncidentForm(request.POST or None, initial=initial)
    if request.method == "GET":
        services.sensitive_viewed(actor=membership.user, target=incident, fields=Incident.SENSITIVE_FIELDS)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                incident=incident, acting_user=membership.user,
                violation_codes=form.cleaned_data["violations"], perpetrator_codes=form.cleaned_data.get("perpetrators", []),
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Changes saved."), extra_tags=sent_tags(f"incident-{incident.pk}"))
            return redirect("records:incident_detail", incident_id=incident.pk)
    context = {"form": form, "incident": incident, "creating": False, "draft_key": draft_key_for(request)}
    return render(request, "records/incident_form.html", context, status=400 if request.method == "POST" else 200)


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_POST
def incident_manage(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = _membership(request)
    incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
    form = _assign_form(membership, incident, request.POST)
    if not form.is_valid():
        back = reverse("records:incident_detail", args=[incident.pk])
        return action_refused(request, errors=[_("Choose a valid person and status.")], back=back)
    assignee_id = form.cleaned_data.get("assigned_to")
    assignee = next((m.user for m in membership.organisation.memberships.select_related("user") if str(m.user_id) == assignee_id), None) if assignee_id else None
    with transaction.atomic():
        if (assignee.pk if assignee else None) != incident.assigned_to_id:
            services.incident_assign(incident=incident, assignee=assignee, acting_user=membership.user)
        if form.cleaned_data["status"] != incident.status:
            services.incident_set_status(incident=incident, status=form.cleaned_data["status"], acting_user=membership.user)
    messages.success(request, _("Changes saved."))
    return redirect("records:incident_detail", incident_id=incident.pk)


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_POST
@sudo_required(fallback="records:incident_list")
def incident_delete_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = _membership(request)
    incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
    reference = incident.reference
    try:
        services.incident_delete(incident=incident, membership=membership)
    except Conflict as refusal:
        return action_refused(request, errors=[refusal.message], back=reverse("records:incident_detail", args=[incident.pk]), status=409)
    messages.success(request, _("Incident %(ref)s deleted.") % {"ref": reference})
    return redirect("records:incident_list")


@sensitive_post_parameters()  # narratives and identities never reach error reports
@role_required(*WRITE_ROLES)
@require_POST
def incident_person_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = _membership(request)
    incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
    person_form = PersonForm(request.POST, prefix="p")
    harms_form = PersonHarmsForm(request.POST, prefix="r")
    back = reverse("records:incident_detail", args=[incident.pk])
    if not (person_form.is_valid() & harms_form.is_valid()):
        errors = [_("The person could not be added: give at least a code name."), *form_errors(person_form), *form_errors(harms_form)]
        return action_refused(request, errors=errors, back=back)
    h = harms_form.cleaned_data
    try:
        with transaction.atomic():
            data = person_form.service_kwargs()
            person = selectors.person_find_for(membership=membership, phone=data.get("phone", ""), id_number=data.get("id_number", "")).first()
            if person is None:
                person = services.person_create(organisation=membership.organisation, acting_user=membership.user, **data)
            services.incident_add_person(incident=incident, person=person, acting_user=membership.user, role=h["role"], harms=h["harms"])
            if Harm.DETAINED in h["harms"]:
                # Her detention record, with its legal limit: the one rapid response keeps.
                from amparo.alerts.services import detained_add

                detained_add(membership=membership, incident=incident, person=person,
                             since=h["detained_since"] or timezone.now(), held_at=h["held_at"])
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=back)
    messages.success(request, _("Person %(code)s added.") % {"code": person.code_name})
    return redirect("records:incident_detail", incident_id=incident.pk)


@role_required(*RECORD_ROLES)
def person_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    query = request.GET.get("q", "")[:60]
    people = selectors.person_list_for(membership=membership, query=query)
    lookup = request.GET.get("telefono", "")[:40] or request.GET.get("documento", "")[:40]
    if lookup:
        people = selectors.person_find_for(membership=membership, phone=request.GET.get("telefono", "")[:40], id_number=request.GET.get("documento", "")[:40])
    page = Paginator(people.order_by("code_name"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "records/person_list.html", {"page": page, "query": query, "lookup": lookup})


@role_required(*RECORD_ROLES)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = _membership(request)
    person = selectors.person_get_for(membership=membership, person_id=person_id)
    reveal = request.GET.get("mostrar") == "1"
    if reveal:
        if membership.role not in WRITE_ROLES and membership.role != Role.LAWYER:
            raise PermissionDenied
        services.sensitive_viewed(actor=membership.user, target=person, fields=Person.SENSITIVE_FIELDS)
    incidents = selectors.person_incidents_for(membership=membership, person=person)
    return render(request, "records/person_detail.html", {
        "person": person, "reveal": reveal, "incidents": incidents, "can_edit": membership.role in WRITE_ROLES,
    })


@sensitive_post_parameters()  # narratives and identities never reach error reports
@role_required(*WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = _membership(request)
    person = selectors.person_get_for(membership=membership, person_id=person_id)
    initial = {f: getattr(person, f) for f in services.PERSON_FIELDS}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "GET":
        services.sensitive_viewed(actor=membership.user, target=person, fields=Person.SENSITIVE_FIELDS)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(person=person, acting_user=membership.user, **form.service_kwargs())
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("records:person_detail", person_id=person.pk)
    return render(request, "records/person_form.html", {"form": form, "person": person}, status=400 if request.method == "POST" else 200)
