"""Reads of people and incidents, always starting from what the membership may see.

"Not found" and "not yours" both raise Http404, so nobody learns what exists elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from amparo.accounts.models import Membership, Role
from amparo.records.models import Incident, IncidentPerpetrator, IncidentViolation, Person
from amparo.vault import crypto

# Roles that read record-level data at all. Analysts see aggregates only.
RECORD_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER)
# Roles that write incidents and people.
WRITE_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER)


def lawyer_incident_filter(membership: Membership) -> Q:
    """Incidents referred or assigned to a lawyer: assigned here, or referred / in a case in 'Response'."""
    from amparo.alerts.selectors import responded_incident_ids
    from amparo.response.selectors import lawyer_incident_q

    return (
        Q(assigned_to=membership.user)
        | lawyer_incident_q(membership=membership)
        | Q(pk__in=responded_incident_ids(membership=membership))
    )


def lawyer_person_filter(membership: Membership) -> Q:
    """People of incidents assigned to a lawyer, and the people referred to her or in her cases."""
    from amparo.alerts.selectors import responded_incident_ids
    from amparo.response.selectors import lawyer_person_q

    assigned = Incident.objects.for_member(membership).filter(assigned_to=membership.user).values("pk")
    return (
        Q(incident_links__incident_id__in=assigned)
        | lawyer_person_q(membership=membership)
        | Q(incident_links__incident_id__in=responded_incident_ids(membership=membership))
    )


def incident_scope(*, membership: Membership) -> QuerySet[Incident]:
    base = Incident.objects.for_member(membership)
    if membership.role in (Role.ADMIN, Role.COORDINATOR):
        return base
    if membership.role == Role.DOCUMENTER:
        return base.filter(Q(created_by_id=membership.user_id) | Q(assigned_to_id=membership.user_id))
    if membership.role == Role.LAWYER:
        return base.filter(lawyer_incident_filter(membership))
    return base.none()


def person_scope(*, membership: Membership) -> QuerySet[Person]:
    base = Person.objects.for_member(membership)
    if membership.role in (Role.ADMIN, Role.COORDINATOR):
        return base
    if membership.role == Role.DOCUMENTER:
        visible_incidents = incident_scope(membership=membership).values("pk")
        own = Q(created_by_id=membership.user_id)
        return base.filter(own | Q(incident_links__incident_id__in=visible_incidents)).distinct()
    if membership.role == Role.LAWYER:
        return base.filter(lawyer_person_filter(membership)).distinct()
    return base.none()


@dataclass
class IncidentFilters:
    date_from: date | None = None
    date_to: date | None = None
    department: str = ""
    violation: str = ""
    perpetrator: str = ""
    status: str = ""
    query: str = ""
    extra: dict = field(default_factory=dict)


# List pages never need the sealed columns: leaving them out saves decrypting every row.
_LIST_DEFERRED = ("narrative", "perpetrator_details", "contact_preference")


def incident_list_for(*, membership: Membership, filters: IncidentFilters | None = None) -> QuerySet[Incident]:
    qs = incident_scope(membership=membership).defer(*_LIST_DEFERRED).select_related("department", "district", "place_type", "assigned_to")
    f = filters or IncidentFilters()
    if f.date_from:
        qs = qs.filter(occurred_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(occurred_on__lte=f.date_to)
    if f.department:
        qs = qs.filter(department_id=f.department)
    if f.violation:
        qs = qs.filter(violation_links__term__code=f.violation)
    if f.perpetrator:
        qs = qs.filter(perpetrator_links__term__code=f.perpetrator)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.query:
        qs = qs.filter(reference__icontains=f.query.strip())
    return qs.order_by("-occurred_on", "-pk")


def incident_rows_with_terms(incidents: Sequence[Incident]) -> Sequence[Incident]:
    """Attach what happened and who did it to a page of incidents: two queries for the whole page,
    whatever its length (after the ids-first paginator, so skipped rows are never touched)."""
    prefetch_related_objects(
        list(incidents),
        Prefetch("violation_links", queryset=IncidentViolation.objects.select_related("term").order_by("term__sort_order", "term__code")),
        Prefetch("perpetrator_links", queryset=IncidentPerpetrator.objects.select_related("term").order_by("term__sort_order", "term__code")),
    )
    return incidents


def incident_get_for(*, membership: Membership, incident_id: int | str) -> Incident:
    try:
        return (
            incident_scope(membership=membership)
            .select_related("department", "province", "district", "place_type", "source", "created_by", "assigned_to")
            .get(pk=int(incident_id))
        )
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404


def incident_by_reference_for(*, membership: Membership, reference: str) -> Incident:
    try:
        return incident_scope(membership=membership).get(reference=reference)
    except Incident.DoesNotExist:
        raise Http404


def person_list_for(*, membership: Membership, query: str = "") -> QuerySet[Person]:
    qs = person_scope(membership=membership).defer(*Person.SENSITIVE_FIELDS)
    if query:
        qs = qs.filter(code_name__icontains=query.strip())
    return qs.order_by("code_name")


def person_get_for(*, membership: Membership, person_id: int | str) -> Person:
    try:
        return person_scope(membership=membership).get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404


def person_incidents_for(*, membership: Membership, person: Person) -> QuerySet[Incident]:
    return incident_list_for(membership=membership).filter(person_links__person=person)


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    # Peruvian mobiles have 9 digits; drop a country code so +51 999… and 999… match.
    return digits[-9:] if len(digits) >= 9 else digits


def normalise_id_number(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def phone_index(value: str, *, org_id: int) -> str:
    normal = normalise_phone(value)
    return crypto.blind_index(normal, org_id=org_id, kind="phone") if normal else ""


def id_number_index(value: str, *, org_id: int) -> str:
    normal = normalise_id_number(value)
    return crypto.blind_index(normal, org_id=org_id, kind="id_number") if normal else ""


def person_find_for(*, membership: Membership, phone: str = "", id_number: str = "") -> QuerySet[Person]:
    """People already known by this phone or ID number, found by blind index (nothing decrypted)."""
    org_id = membership.organisation_id
    q = Q(pk__in=[])
    if phone and (idx := phone_index(phone, org_id=org_id)):
        q |= Q(phone_index=idx)
    if id_number and (idx := id_number_index(id_number, org_id=org_id)):
        q |= Q(id_number_index=idx)
    return person_scope(membership=membership).filter(q).defer(*Person.SENSITIVE_FIELDS)
