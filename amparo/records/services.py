"""Writes of people and incidents: one audited transaction per action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Organisation, Role, User
from amparo.audit import services as audit
from amparo.lib.errors import Conflict
from amparo.places.models import District
from amparo.records.models import (
    DatePrecision,
    Harm,
    Incident,
    IncidentPerpetrator,
    IncidentPerson,
    IncidentStatus,
    IncidentViolation,
    Person,
    PersonRole,
    ReferenceCounter,
)
from amparo.records.selectors import WRITE_ROLES, id_number_index, phone_index
from amparo.vocab.models import Term, Vocabulary

PERSON_FIELDS = {
    "code_name", "chosen_name", "legal_name", "id_document_type", "id_number", "phone", "safe_contact",
    "address", "hiv_status", "gender_identity", "age_band", "nationality", "migrant_status", "work_setting", "is_defender",
}
INCIDENT_FIELDS = {
    "occurred_on", "date_precision", "occurred_time", "district", "place_type", "perpetrator_details", "narrative",
    "people_affected", "source", "reliability", "consent_store", "consent_share_stats", "consent_legal_action",
    "consent_contact", "contact_preference", "status", "assigned_to",
}


def require_writer(membership: Membership) -> None:
    if membership.role not in WRITE_ROLES:
        raise PermissionDenied


def _terms(vocabulary: str, codes: Iterable[str], field: str) -> list[Term]:
    codes = list(dict.fromkeys(c for c in codes if c))
    terms = list(Term.objects.filter(vocabulary=vocabulary, code__in=codes, is_active=True))
    missing = set(codes) - {t.code for t in terms}
    if missing:
        raise ValidationError({field: _("Unknown choice: %(codes)s") % {"codes": ", ".join(sorted(missing))}})
    return terms


def _term(vocabulary: str, value: Term | str | None, field: str) -> Term | None:
    if value is None or value == "":
        return None
    if isinstance(value, Term):
        if value.vocabulary != vocabulary:
            raise ValidationError({field: _("Unknown choice.")})
        return value
    return _terms(vocabulary, [value], field)[0]


def _district(value: District | str | None) -> District | None:
    if value is None or value == "":
        return None
    if isinstance(value, District):
        return value
    try:
        return District.objects.get(code=str(value))
    except District.DoesNotExist:
        raise ValidationError({"district": _("Unknown district.")})


def _clean_person_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    return fields


def _apply_person(person: Person, fields: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in fields.items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if "phone" in changed:
        person.phone_index = phone_index(person.phone, org_id=person.organisation_id)
        changed.append("phone_index")
    if "id_number" in changed:
        person.id_number_index = id_number_index(person.id_number, org_id=person.organisation_id)
        changed.append("id_number_index")
    return changed


@transaction.atomic
def person_create(*, organisation: Organisation, acting_user: User | None, code_name: str, **fields: Any) -> Person:
    code_name = (code_name or "").strip()
    if not code_name:
        raise ValidationError({"code_name": _("Give the person a code name.")})
    _clean_person_fields(fields)
    person = Person(organisation=organisation, code_name=code_name[:60], created_by=acting_user)
    _apply_person(person, fields)
    person.full_clean(exclude=["created_by", "phone_index", "id_number_index"])
    person.save()
    audit.record(actor=acting_user, action="person.created", target=person, fields=["code_name", *fields])
    return person


@transaction.atomic
def person_update(*, person: Person, acting_user: User, **fields: Any) -> Person:
    _clean_person_fields(fields)
    changed = _apply_person(person, fields)
    if changed:
        person.full_clean(exclude=["created_by", "phone_index", "id_number_index"])
        person.save(update_fields=[*changed, "updated_at"])
        audit.record(actor=acting_user, action="person.updated", target=person, fields=changed)
    return person


@transaction.atomic
def person_delete(*, person: Person, acting_user: User) -> None:
    from amparo.programmes.services import care_linkages_forget_person

    audit.record(actor=acting_user, action="person.deleted", target=person)
    care_linkages_forget_person(person=person, acting_user=acting_user)
    person.delete()


def _next_reference(organisation: Organisation, year: int) -> str:
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(organisation=organisation, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{organisation.reference_prefix}-{year}-{counter.last:05d}"


def _validate_incident(incident: Incident) -> None:
    errors: dict[str, str] = {}
    if incident.occurred_on and incident.occurred_on > timezone.localdate():
        errors["occurred_on"] = _("The date cannot be in the future.")
    if incident.people_affected is not None and incident.people_affected < 1:
        errors["people_affected"] = _("At least one person was affected.")
    if incident.people_affected and incident.people_affected > 10000:
        errors["people_affected"] = _("That number is too large.")
    if not incident.consent_store:
        errors["consent_store"] = _("Without consent to store the record, it cannot be saved.")
    if incident.pk and incident.people_affected:
        listed = IncidentPerson.objects.filter(incident=incident, role=PersonRole.VICTIM).count()
        if incident.people_affected < listed:
            errors["people_affected"] = _(
                "%(n)d affected people are recorded one by one: the number cannot be smaller."
            ) % {"n": listed}
    if errors:
        raise ValidationError(errors)
    incident.full_clean(exclude=["organisation", "created_by", "reference", "consent_recorded_by", "district", "province", "department", "place_type", "source", "assigned_to"])


def _set_links(incident: Incident, model: type[IncidentViolation] | type[IncidentPerpetrator], terms: list[Term]) -> None:
    model.objects.filter(incident=incident).exclude(term__in=terms).delete()
    existing = set(model.objects.filter(incident=incident).values_list("term_id", flat=True))
    new_links = [model(organisation_id=incident.organisation_id, incident=incident, term=t) for t in terms if t.pk not in existing]
    model.objects.bulk_create(new_links)  # type: ignore[arg-type]


def _normalise_incident_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - INCIDENT_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    out = dict(fields)
    if "district" in out:
        out["district"] = _district(out["district"])
    if "place_type" in out:
        out["place_type"] = _term(Vocabulary.PLACE_TYPE, out["place_type"], "place_type")
    if "source" in out:
        out["source"] = _term(Vocabulary.SOURCE, out["source"], "source")
    for text in ("narrative", "perpetrator_details", "contact_preference"):
        if text in out and out[text] is None:
            out[text] = ""
    return out


def _apply_incident(incident: Incident, fields: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in fields.items():
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed.append(name)
    if "district" in changed:
        d = incident.district
        incident.province_id = d.province_id if d else None
        incident.department_id = d.department_id if d else None
        changed += ["province", "department"]
    return changed


@transaction.atomic
def incident_create(
    *,
    organisation: Organisation,
    acting_user: User | None,
    occurred_on: date,
    violation_codes: Iterable[str] = (),
    perpetrator_codes: Iterable[str] = (),
    persons: Iterable[Person] = (),
    origin: str = "documenter",
    department_code: str = "",
    **fields: Any,
) -> Incident:
    """Record an incident with its violations, perpetrators and people. Consent to store is required."""
    fields = _normalise_incident_fields(fields)
    violations = _terms(Vocabulary.VIOLATION, violation_codes, "violations")
    if not violations:
        raise ValidationError({"violations": _("Choose at least one thing that happened.")})
    perpetrators = _terms(Vocabulary.PERPETRATOR, perpetrator_codes, "perpetrators")
    incident = Incident(organisation=organisation, created_by=acting_user, origin=origin, occurred_on=occurred_on)
    _apply_incident(incident, fields)
    if department_code and not incident.department_id:
        incident.department_id = department_code  # region known, district not said
    if incident.date_precision == DatePrecision.MONTH:
        incident.occurred_on = incident.occurred_on.replace(day=1)
    elif incident.date_precision == DatePrecision.YEAR:
        incident.occurred_on = incident.occurred_on.replace(month=1, day=1)
    incident.involves_state_agent = any(t.is_state_agent for t in perpetrators)
    incident.consent_recorded_at = timezone.now()
    incident.consent_recorded_by = acting_user
    _validate_incident(incident)
    incident.reference = _next_reference(organisation, timezone.localdate().year)
    incident.save()
    _set_links(incident, IncidentViolation, violations)
    _set_links(incident, IncidentPerpetrator, perpetrators)
    for person in persons:
        incident_add_person(incident=incident, person=person, acting_user=acting_user, audit_it=False)
    audit.record(
        actor=acting_user, action="incident.created", target=incident,
        fields=[*fields, "violations", "perpetrators"], detail={"origin": origin},
    )
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    acting_user: User | None,
    violation_codes: Iterable[str] | None = None,
    perpetrator_codes: Iterable[str] | None = None,
    **fields: Any,
) -> Incident:
    fields = _normalise_incident_fields(fields)
    changed = _apply_incident(incident, fields)
    consent_fields = {"consent_store", "consent_share_stats", "consent_legal_action", "consent_contact"}
    if consent_fields & set(changed):
        incident.consent_recorded_at = timezone.now()
        incident.consent_recorded_by = acting_user
        changed += ["consent_recorded_at", "consent_recorded_by"]
    if violation_codes is not None:
        violations = _terms(Vocabulary.VIOLATION, violation_codes, "violations")
        if not violations:
            raise ValidationError({"violations": _("Choose at least one thing that happened.")})
        _set_links(incident, IncidentViolation, violations)
        changed.append("violations")
    if perpetrator_codes is not None:
        perpetrators = _terms(Vocabulary.PERPETRATOR, perpetrator_codes, "perpetrators")
        _set_links(incident, IncidentPerpetrator, perpetrators)
        incident.involves_state_agent = any(t.is_state_agent for t in perpetrators)
        changed += ["perpetrators", "involves_state_agent"]
    _validate_incident(incident)
    model_fields = [f for f in changed if f not in ("violations", "perpetrators")]
    if model_fields:
        incident.save(update_fields=[*model_fields, "updated_at"])
    if changed:
        audit.record(actor=acting_user, action="incident.updated", target=incident, fields=[f for f in changed if f != "involves_state_agent"])
    return incident


@transaction.atomic
def incident_set_status(*, incident: Incident, status: str, acting_user: User) -> Incident:
    if status not in IncidentStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    incident.status = status
    incident.save(update_fields=["status", "updated_at"])
    audit.record(actor=acting_user, action="incident.status_changed", target=incident, fields=["status"], detail={"status": status})
    return incident


@transaction.atomic
def incident_assign(*, incident: Incident, assignee: User | None, acting_user: User) -> Incident:
    if assignee is not None and not assignee.memberships.filter(organisation_id=incident.organisation_id, is_active=True).exists():
        raise ValidationError({"assigned_to": _("That person is not a member of this organisation.")})
    incident.assigned_to = assignee
    incident.save(update_fields=["assigned_to", "updated_at"])
    audit.record(actor=acting_user, action="incident.assigned", target=incident, fields=["assigned_to"])
    return incident


def _harm_codes(harms: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(h for h in harms if h))
    if any(h not in Harm.values for h in codes):
        raise ValidationError({"harms": _("Unknown choice.")})
    return codes


def _sync_people_affected(incident: Incident) -> None:
    """The count of people affected is never below the affected people recorded one by one."""
    listed = IncidentPerson.objects.filter(incident=incident, role=PersonRole.VICTIM).count()
    if listed > incident.people_affected:
        incident.people_affected = listed
        incident.save(update_fields=["people_affected", "updated_at"])


@transaction.atomic
def incident_add_person(
    *, incident: Incident, person: Person, acting_user: User | None, role: str = PersonRole.VICTIM,
    harms: Iterable[str] = (), audit_it: bool = True,
) -> IncidentPerson:
    """Link a person to an incident with her role and what happened to her."""
    if person.organisation_id != incident.organisation_id:
        raise ValidationError(_("That person belongs to another organisation."))
    if role not in PersonRole.values:
        raise ValidationError({"role": _("Unknown choice.")})
    codes = _harm_codes(harms)
    link, created = IncidentPerson.objects.get_or_create(
        incident=incident, person=person,
        defaults={"organisation_id": incident.organisation_id, "role": role, "harms": codes},
    )
    if not created and (link.role != role or (codes and link.harms != codes)):
        link.role = role
        link.harms = codes or link.harms
        link.save(update_fields=["role", "harms"])
    _sync_people_affected(incident)
    if audit_it:
        audit.record(
            actor=acting_user, action="incident.person_added", target=incident, fields=["role", "harms"],
            detail={"person": person.pk, "role": role, "harms": codes},
        )
    return link


@transaction.atomic
def incident_delete(*, incident: Incident, membership: Membership) -> None:
    if membership.role not in (Role.ADMIN, Role.COORDINATOR):
        raise PermissionDenied
    try:
        with transaction.atomic():
            audit.record(actor=membership.user, action="incident.deleted", target=incident, detail={"reference": incident.reference})
            incident.delete()
    except ProtectedError:
        # Referrals, legal cases and security records stand on the incident: deleting it would
        # pull the ground from under them. They are closed or unlinked first, on purpose.
        raise Conflict("in_use", _("This incident cannot be deleted: referrals, legal cases or security records depend on it.")) from None


def sensitive_viewed(*, actor: User, target: Person | Incident, fields: Iterable[str]) -> None:
    """Write that someone saw decrypted sensitive fields of a record (which fields, never values)."""
    audit.record(actor=actor, action=f"{target._meta.model_name}.sensitive_viewed", target=target, fields=fields)
