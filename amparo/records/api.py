"""JSON endpoints for incidents and people, with the same rules as the pages.

Every read goes through the selectors (scoped to the token's membership; "not found" and
"not yours" are the same 404) and every write through the services (one audited
transaction). Sealed fields are decrypted into a response only on a detail endpoint asked
with `?reveal=true`, and each such response writes an audit row first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from amparo.accounts.models import Membership, Role
from amparo.api import ApiError, ErrorOut
from amparo.places.models import Department
from amparo.records import selectors, services
from amparo.records.models import Incident, IncidentPerpetrator, IncidentViolation, Person
from amparo.records.schemas import (
    IncidentDetailOut,
    IncidentFilterIn,
    IncidentIn,
    IncidentPage,
    IncidentPatch,
    IncidentPersonIn,
    IncidentPersonLinkOut,
    PersonDetailOut,
    PersonFilterIn,
    PersonIn,
    PersonLookupIn,
    PersonPage,
    PersonPatch,
    PersonSummaryOut,
)
from amparo.records.selectors import RECORD_ROLES, WRITE_ROLES, IncidentFilters
from amparo.vocab.models import Term, Vocabulary

router = Router()

MANAGER_ROLES = (Role.ADMIN, Role.COORDINATOR)
MAX_ID = 2**63 - 1
LOOKUP_LIMIT = 50

# Every record endpoint may answer these; listing them puts the error shape in the OpenAPI schema.
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut}

IncidentId = Path(..., ge=1, le=MAX_ID)
PersonId = Path(..., ge=1, le=MAX_ID)


# ---- who may do what --------------------------------------------------------------------------


def _membership(request: HttpRequest, roles: Iterable[str]) -> Membership:
    """The token's membership, if its role is one of `roles`; else 403 (the role decides, not the record)."""
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if membership.role not in roles:
        raise PermissionDenied
    return membership


def _require_json(request: HttpRequest) -> None:
    # Ninja reads the body whatever the declared type; a client that says form data but
    # sends JSON has a bug we should tell it about rather than guess around.
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", _("Send the body as JSON with Content-Type: application/json."))


def _refuse_unknown_query(request: HttpRequest, allowed: Iterable[str]) -> None:
    # A misspelt filter would otherwise be ignored and return more than the caller meant.
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise ApiError(422, "validation", _("Some fields are not valid."), {k: [_("Unknown parameter.")] for k in unknown})


def _refuse_unknown_filter_codes(filters: IncidentFilterIn) -> None:
    # As the page's choice fields do: an unknown code is a mistake, not an empty result.
    errors: dict[str, list[str]] = {}
    if filters.department and not Department.objects.filter(code=filters.department).exists():
        errors["department"] = [_("Unknown region.")]
    for field, vocabulary in (("violation", Vocabulary.VIOLATION), ("perpetrator", Vocabulary.PERPETRATOR)):
        code = getattr(filters, field)
        if code and not Term.objects.filter(vocabulary=vocabulary, code=code).exists():
            errors[field] = [_("Unknown choice.")]
    if errors:
        raise ApiError(422, "validation", _("Some fields are not valid."), errors)


def _person_in_scope(membership: Membership, person_id: int, field: str) -> Person:
    """A person named in a request body: one the caller cannot see is just 'unknown'."""
    try:
        return selectors.person_get_for(membership=membership, person_id=person_id)
    except Http404:
        raise ValidationError({field: _("Unknown person.")})


def _assignee(membership: Membership, user_id: int | None) -> Any:
    if user_id is None:
        return None
    member = (
        Membership.objects.for_member(membership).filter(user_id=user_id, is_active=True, role__in=RECORD_ROLES)
        .select_related("user")
        .first()
    )
    if member is None:
        raise ValidationError({"assigned_to": _("That person is not a member of this organisation.")})
    return member.user


# ---- what goes out ----------------------------------------------------------------------------


def _place(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def _incident_summary(incident: Incident, violations: list[str], perpetrators: list[str]) -> dict[str, Any]:
    # Only unsealed columns: list querysets defer the sealed ones, and touching them would
    # load and decrypt them row by row.
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "status": incident.status,
        "origin": incident.origin,
        "occurred_on": incident.occurred_on,
        "date_precision": incident.date_precision,
        "department": _place(incident.department),
        "district": _place(incident.district),
        "place_type": incident.place_type.code if incident.place_type else None,
        "violations": violations,
        "perpetrators": perpetrators,
        "involves_state_agent": incident.involves_state_agent,
        "people_affected": incident.people_affected,
        "reliability": incident.reliability,
        "created_by": incident.created_by_id,
        "assigned_to": incident.assigned_to_id,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
    }


def _incident_detail(incident: Incident, *, membership: Membership, reveal: bool) -> dict[str, Any]:
    violations = [link.term.code for link in incident.violation_links.select_related("term").order_by("term__sort_order", "term__code")]
    perpetrators = [link.term.code for link in incident.perpetrator_links.select_related("term").order_by("term__sort_order", "term__code")]
    # Code names only: the people's sealed identity stays in the database.
    people = incident.person_links.order_by("person__code_name").values_list("person_id", "person__code_name", "role", "harms")
    body = _incident_summary(incident, violations, perpetrators)
    body.update({
        "occurred_time": incident.occurred_time,
        "province": _place(incident.province),
        "source": incident.source.code if incident.source else None,
        "consent_store": incident.consent_store,
        "consent_share_stats": incident.consent_share_stats,
        "consent_legal_action": incident.consent_legal_action,
        "consent_contact": incident.consent_contact,
        "consent_recorded_at": incident.consent_recorded_at,
        "people": [{"id": pk, "code_name": code_name, "role": role, "harms": harms or []} for pk, code_name, role, harms in people],
        "sensitive": None,
    })
    if reveal:
        services.sensitive_viewed(actor=membership.user, target=incident, fields=Incident.SENSITIVE_FIELDS)
        body["sensitive"] = {name: getattr(incident, name) for name in Incident.SENSITIVE_FIELDS}
    return body


def _person_summary(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "code_name": person.code_name,
        "gender_identity": person.gender_identity,
        "age_band": person.age_band,
        "nationality": person.nationality,
        "migrant_status": person.migrant_status,
        "work_setting": person.work_setting,
        "is_defender": person.is_defender,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def _person_detail(person: Person, *, membership: Membership, reveal: bool) -> dict[str, Any]:
    incidents = selectors.person_incidents_for(membership=membership, person=person).values("id", "reference", "occurred_on", "status")
    body = _person_summary(person)
    body["incidents"] = list(incidents)
    body["sensitive"] = None
    if reveal:
        services.sensitive_viewed(actor=membership.user, target=person, fields=Person.SENSITIVE_FIELDS)
        body["sensitive"] = {name: getattr(person, name) for name in (*Person.SENSITIVE_FIELDS, "id_document_type")}
    return body


# ---- incidents --------------------------------------------------------------------------------


@router.get("/incidents", response={200: IncidentPage, **ERRORS}, summary="List incidents", operation_id="incident_list")
def incident_list(request: HttpRequest, filters: Query[IncidentFilterIn]) -> dict[str, Any]:
    membership = _membership(request, RECORD_ROLES)
    _refuse_unknown_query(request, IncidentFilterIn.model_fields)
    _refuse_unknown_filter_codes(filters)
    qs = selectors.incident_list_for(
        membership=membership,
        filters=IncidentFilters(
            date_from=filters.date_from, date_to=filters.date_to, department=filters.department or "",
            violation=filters.violation or "", perpetrator=filters.perpetrator or "", status=filters.status or "",
            query=filters.q,
        ),
    ).prefetch_related(
        Prefetch("violation_links", queryset=IncidentViolation.objects.select_related("term").only("incident_id", "term__code")),
        Prefetch("perpetrator_links", queryset=IncidentPerpetrator.objects.select_related("term").only("incident_id", "term__code")),
    )
    total = qs.count()
    items = [
        _incident_summary(
            incident,
            sorted(link.term.code for link in incident.violation_links.all()),
            sorted(link.term.code for link in incident.perpetrator_links.all()),
        )
        for incident in qs[filters.offset : filters.offset + filters.limit]
    ]
    return {"total": total, "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("/incidents", response={201: IncidentDetailOut, **WRITE_ERRORS}, summary="Record an incident", operation_id="incident_create")
def incident_create(request: HttpRequest, payload: IncidentIn) -> Status[dict[str, Any]]:
    membership = _membership(request, WRITE_ROLES)
    _require_json(request)
    data = payload.model_dump()
    person_ids = data.pop("person_ids")
    department = data.pop("department") or ""
    with transaction.atomic():
        if department and not Department.objects.filter(code=department).exists():
            raise ValidationError({"department": _("Unknown region.")})
        persons = [_person_in_scope(membership, pk, "person_ids") for pk in dict.fromkeys(person_ids)]
        incident = services.incident_create(
            organisation=membership.organisation,
            acting_user=membership.user,
            violation_codes=data.pop("violations"),
            perpetrator_codes=data.pop("perpetrators"),
            persons=persons,
            department_code=department,
            **data,
        )
    incident = selectors.incident_get_for(membership=membership, incident_id=incident.pk)
    return Status(201, _incident_detail(incident, membership=membership, reveal=False))


@router.get("/incidents/{incident_id}", response={200: IncidentDetailOut, **ERRORS}, summary="One incident", operation_id="incident_detail")
def incident_detail(request: HttpRequest, incident_id: int = IncidentId, reveal: bool = False) -> dict[str, Any]:
    membership = _membership(request, RECORD_ROLES)
    with transaction.atomic():
        incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
        return _incident_detail(incident, membership=membership, reveal=reveal)


@router.patch("/incidents/{incident_id}", response={200: IncidentDetailOut, **WRITE_ERRORS}, summary="Change an incident", operation_id="incident_update")
def incident_update(request: HttpRequest, payload: IncidentPatch, incident_id: int = IncidentId) -> dict[str, Any]:
    membership = _membership(request, WRITE_ROLES)
    _require_json(request)
    data = payload.model_dump(exclude_unset=True)
    # Status and assignment are managed from the incident page by coordinators and admins only.
    managed = {key: data.pop(key) for key in ("status", "assigned_to") if key in data}
    if managed and membership.role not in MANAGER_ROLES:
        raise PermissionDenied
    violations = data.pop("violations", None)
    perpetrators = data.pop("perpetrators", None)
    with transaction.atomic():
        incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
        if data or violations is not None or perpetrators is not None:
            services.incident_update(
                incident=incident, acting_user=membership.user, violation_codes=violations, perpetrator_codes=perpetrators, **data
            )
        if "assigned_to" in managed:
            assignee = _assignee(membership, managed["assigned_to"])
            if (assignee.pk if assignee else None) != incident.assigned_to_id:
                services.incident_assign(incident=incident, assignee=assignee, acting_user=membership.user)
        if "status" in managed and managed["status"] != incident.status:
            services.incident_set_status(incident=incident, status=managed["status"], acting_user=membership.user)
    incident = selectors.incident_get_for(membership=membership, incident_id=incident.pk)
    return _incident_detail(incident, membership=membership, reveal=False)


@router.delete("/incidents/{incident_id}", response={204: None, **ERRORS}, summary="Delete an incident", operation_id="incident_delete")
def incident_delete(request: HttpRequest, incident_id: int = IncidentId) -> Status[None]:
    membership = _membership(request, MANAGER_ROLES)
    with transaction.atomic():
        incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
        services.incident_delete(incident=incident, membership=membership)
    return Status(204, None)


@router.post(
    "/incidents/{incident_id}/people",
    response={201: IncidentPersonLinkOut, **WRITE_ERRORS},
    summary="Add a person to an incident",
    operation_id="incident_person_add",
)
def incident_person_add(request: HttpRequest, payload: IncidentPersonIn, incident_id: int = IncidentId) -> Status[dict[str, Any]]:
    membership = _membership(request, WRITE_ROLES)
    _require_json(request)
    matched = False
    with transaction.atomic():
        incident = selectors.incident_get_for(membership=membership, incident_id=incident_id)
        if payload.person_id is not None:
            person = _person_in_scope(membership, payload.person_id, "person_id")
        else:
            fields = payload.person.model_dump()  # type: ignore[union-attr]
            # The same phone or ID number means the same person: link instead of duplicating.
            known = selectors.person_find_for(membership=membership, phone=fields["phone"], id_number=fields["id_number"]).first()
            if known is not None:
                person, matched = known, True
            else:
                person = services.person_create(organisation=membership.organisation, acting_user=membership.user, **fields)
        link = services.incident_add_person(
            incident=incident, person=person, acting_user=membership.user, role=payload.role, harms=list(payload.harms)
        )
    return Status(201, {"person": _person_summary(person), "role": link.role, "harms": link.harms, "matched_existing": matched})


# ---- people -----------------------------------------------------------------------------------


@router.get("/people", response={200: PersonPage, **ERRORS}, summary="List people (code names only)", operation_id="person_list")
def person_list(request: HttpRequest, filters: Query[PersonFilterIn]) -> dict[str, Any]:
    membership = _membership(request, RECORD_ROLES)
    _refuse_unknown_query(request, PersonFilterIn.model_fields)
    qs = selectors.person_list_for(membership=membership, query=filters.q)
    total = qs.count()
    items = [_person_summary(p) for p in qs[filters.offset : filters.offset + filters.limit]]
    return {"total": total, "limit": filters.limit, "offset": filters.offset, "items": items}


@router.post("/people", response={201: PersonDetailOut, **WRITE_ERRORS}, summary="Record a person", operation_id="person_create")
def person_create(request: HttpRequest, payload: PersonIn) -> Status[dict[str, Any]]:
    membership = _membership(request, WRITE_ROLES)
    _require_json(request)
    person = services.person_create(organisation=membership.organisation, acting_user=membership.user, **payload.model_dump())
    return Status(201, _person_detail(person, membership=membership, reveal=False))


@router.post(
    "/people/lookup",
    response={200: list[PersonSummaryOut], **WRITE_ERRORS},
    summary="Find people by phone or ID number (blind index, nothing decrypted)",
    operation_id="person_lookup",
)
def person_lookup(request: HttpRequest, payload: PersonLookupIn) -> list[dict[str, Any]]:
    membership = _membership(request, RECORD_ROLES)
    _require_json(request)
    people = selectors.person_find_for(membership=membership, phone=payload.phone, id_number=payload.id_number)
    return [_person_summary(p) for p in people.order_by("code_name", "pk")[:LOOKUP_LIMIT]]


@router.get("/people/{person_id}", response={200: PersonDetailOut, **ERRORS}, summary="One person", operation_id="person_detail")
def person_detail(request: HttpRequest, person_id: int = PersonId, reveal: bool = False) -> dict[str, Any]:
    membership = _membership(request, RECORD_ROLES)
    with transaction.atomic():
        person = selectors.person_get_for(membership=membership, person_id=person_id)
        return _person_detail(person, membership=membership, reveal=reveal)


@router.patch("/people/{person_id}", response={200: PersonDetailOut, **WRITE_ERRORS}, summary="Change a person", operation_id="person_update")
def person_update(request: HttpRequest, payload: PersonPatch, person_id: int = PersonId) -> dict[str, Any]:
    membership = _membership(request, WRITE_ROLES)
    _require_json(request)
    with transaction.atomic():
        person = selectors.person_get_for(membership=membership, person_id=person_id)
        services.person_update(person=person, acting_user=membership.user, **payload.model_dump(exclude_unset=True))
    return _person_detail(person, membership=membership, reveal=False)
