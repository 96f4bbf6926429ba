"""Writes of the Response app: one audited transaction per action, acting user required."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import Membership, Organisation, Role, User
from amparo.audit import services as audit
from amparo.evidence import services as evidence_services
from amparo.evidence.models import CustodyAction, CustodyEvent, EvidenceFile
from amparo.lib import inputs
from amparo.lib.scoping import require_same_organisation
from amparo.lib.urls import absolute_url
from amparo.programmes.models import Activity
from amparo.records.models import Incident, Person
from amparo.response import conf
from amparo.response.lib import bundle as bundle_format
from amparo.response.lib.deadlines import Unit, compute_due
from amparo.response.lib.directory import Language, Need, ServiceKind
from amparo.response.lib.procedure import (
    DEFAULT_FORUM,
    PROTECTION_DECISION_WINDOW,
    Outcome,
    Route,
    Stage,
    TransitionError,
    route_check_start,
    route_check_transition,
)
from amparo.response.lib.referral_flow import (
    OPEN_STATUSES,
    ReferralFlowError,
    ReferralStatus,
    referral_check_transition,
    referral_consent_check,
)
from amparo.response.models import (
    CaseCounter,
    CaseDocument,
    CaseEvent,
    CaseEventKind,
    CaseIncident,
    CasePerson,
    CaseRoute,
    CaseStatus,
    ConsentMethod,
    Deadline,
    DocumentKind,
    Hearing,
    LegalCase,
    MeasureKind,
    ProtectiveMeasure,
    Referral,
    Reminder,
    ReminderKind,
    RiskLevel,
    SecurityRecord,
    SecurityStatus,
    Service,
    SigningKey,
    VerificationStatus,
)
from amparo.vault import crypto

# Who may do what. Lawyers act on what is referred or assigned to them (checked per object).
REFERRAL_WRITERS = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER)
CASE_WRITERS = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER)
DIRECTORY_EDITORS = (Role.ADMIN, Role.COORDINATOR)
SECURITY_ROLES = (Role.ADMIN, Role.COORDINATOR)


def _require(membership: Membership, roles: Iterable[str]) -> None:
    if membership.role not in tuple(roles):
        raise PermissionDenied


def _choice(value: str, choices: Iterable[str], field: str, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if blank and value == "":
        return value
    if value not in set(choices):
        raise ValidationError({field: _("Unknown choice.")})
    return value


def _text(value: str | None, field: str, *, max_length: int, required: bool = False) -> str:
    try:
        value = inputs.clean_text(value or "")
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError({field: _("This text is too long (at most %(n)d characters).") % {"n": max_length}})
    return value


def lawyer_member(*, organisation: Organisation | int, user: User | None) -> User | None:
    """The user when they are an active lawyer of the organisation; ValidationError otherwise."""
    if user is None:
        return None
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    if not Membership.objects.filter(organisation_id=org_id, user=user, role=Role.LAWYER, is_active=True).exists():
        raise ValidationError({"lawyer": _("Choose a lawyer who is a member of this organisation.")})
    return user


def staff_member(*, organisation: Organisation | int, user: User | None, field: str = "assigned_to") -> User | None:
    if user is None:
        return None
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    if not Membership.objects.filter(organisation_id=org_id, user=user, is_active=True).exclude(role=Role.ANALYST).exists():
        raise ValidationError({field: _("Choose a member of this organisation.")})
    return user


# --------------------------------------------------------------------------- directory

SERVICE_FIELDS = {
    "kind", "name", "description", "department", "district", "address", "hours", "phone", "email", "languages",
    "needs", "trans_friendly", "treats_sex_workers_well", "last_checked_on", "verification", "notes", "lawyer",
    "is_active",
}


def _apply_service(service: Service, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - SERVICE_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "kind" in fields:
        fields["kind"] = _choice(fields["kind"], ServiceKind.values, "kind")
    if "needs" in fields:
        needs = list(dict.fromkeys(fields["needs"] or []))
        if any(n not in Need.values for n in needs):
            raise ValidationError({"needs": _("Unknown choice.")})
        fields["needs"] = needs
    if "languages" in fields:
        languages = list(dict.fromkeys(fields["languages"] or []))
        if any(x not in Language.values for x in languages):
            raise ValidationError({"languages": _("Unknown choice.")})
        fields["languages"] = languages
    if "verification" in fields:
        fields["verification"] = _choice(fields["verification"], VerificationStatus.values, "verification")
    if "name" in fields:
        fields["name"] = _text(fields["name"], "name", max_length=200, required=True)
    if fields.get("last_checked_on") and fields["last_checked_on"] > timezone.localdate():
        raise ValidationError({"last_checked_on": _("The date cannot be in the future.")})
    if fields.get("district") is not None and "department" not in fields:
        fields["department"] = fields["district"].department
    if fields.get("lawyer") is not None:
        if service.organisation_id is None:
            raise ValidationError({"lawyer": _("Only the organisation's own contacts can be linked to a lawyer.")})
        lawyer_member(organisation=service.organisation_id, user=fields["lawyer"])
    changed = []
    for name, value in fields.items():
        if getattr(service, name) != value:
            setattr(service, name, value)
            changed.append(name)
    service.full_clean(exclude=["organisation", "department", "district", "lawyer"])
    return changed


@transaction.atomic
def service_create(*, membership: Membership, acting_user: User, **fields: Any) -> Service:
    """An organisation's own contact in the directory."""
    _require(membership, DIRECTORY_EDITORS)
    service = Service(organisation=membership.organisation, kind=fields.get("kind", ""), name=fields.get("name", ""))
    _apply_service(service, dict(fields))
    service.save()
    audit.record(actor=acting_user, action="service.created", target=service, fields=sorted(fields))
    return service


@transaction.atomic
def service_update(*, service: Service, membership: Membership, acting_user: User, **fields: Any) -> Service:
    if service.organisation_id is None:
        # National entries are shared by every organisation: only network admins edit them.
        if not getattr(acting_user, "is_network_admin", False):
            raise PermissionDenied
    else:
        _require(membership, DIRECTORY_EDITORS)
        require_same_organisation(membership, service)
    changed = _apply_service(service, dict(fields))
    if changed:
        service.save()
        audit.record(actor=acting_user, action="service.updated", target=service, fields=changed)
    return service


def directory_seed_national(*, services: Iterable[Any] | None = None) -> int:
    """Create or refresh the national services from the seed list. Returns how many were created.

    Refreshing never overwrites what a network admin verified: entries already marked
    verified keep their contact details.
    """
    from amparo.response.lib.directory import load_national_services

    created = 0
    with transaction.atomic():
        for seed in services if services is not None else load_national_services():
            existing = Service.objects.filter(organisation__isnull=True, code=seed.code).first()
            if existing is not None and existing.verification == VerificationStatus.VERIFIED:
                continue
            values = {
                "kind": seed.kind, "name": seed.name, "description": seed.description_es,
                "description_en": seed.description_en, "phone": seed.phone, "address": seed.address,
                "hours": seed.hours, "languages": list(seed.languages), "needs": list(seed.needs),
                "notes": seed.notes, "sources": list(seed.sources), "verification": VerificationStatus.TO_VERIFY,
            }
            _obj, was_created = Service.objects.update_or_create(organisation=None, code=seed.code, defaults=values)
            created += was_created
    return created


# --------------------------------------------------------------------------- referrals


def _service_visible(membership: Membership, service: Service) -> None:
    if service.organisation_id not in (None, membership.organisation_id) or not service.is_active:
        raise ValidationError({"service": _("Choose a service from the directory.")})


@transaction.atomic
def referral_create(
    *,
    membership: Membership,
    acting_user: User,
    incident: Incident | None = None,
    person: Person | None = None,
    activity: Activity | None = None,
    service: Service | None = None,
    lawyer: User | None = None,
    need: str = "",
    shares_identifying_data: bool = True,
    consent_given: bool = False,
    consent_method: str = "",
    note: str = "",
    assigned_to: User | None = None,
    follow_up_on: date | None = None,
    send: bool = False,
) -> Referral:
    """Record a referral, and with `send` send it at once (a lawyer with an account is told by
    e-mail and sees it in her tasks); without it, it stays a draft ("proposed") that reaches
    nobody. Without the person's consent no identifying data may be shared. `activity` is the
    outreach session or testing day the referral came from (the caller checked she may see it)."""
    _require(membership, REFERRAL_WRITERS)
    require_same_organisation(membership, incident, person, activity)
    if incident is None and person is None:
        raise ValidationError({"incident": _("Refer from an incident or a person.")})
    if (service is None) == (lawyer is None):
        raise ValidationError({"service": _("Choose either a service or an allied lawyer.")})
    if service is not None:
        _service_visible(membership, service)
        if service.lawyer_id:
            lawyer = service.lawyer
    if lawyer is not None:
        lawyer_member(organisation=membership.organisation, user=lawyer)
        # A lawyer with an account reads the record itself: that always shares identifying data.
        shares_identifying_data = True
    try:
        referral_consent_check(consent_to_refer=consent_given, shares_identifying_data=shares_identifying_data)
    except ReferralFlowError as exc:
        raise ValidationError({"consent_given": exc.message}, code="consent")
    if consent_given:
        consent_method = _choice(consent_method, ConsentMethod.values, "consent_method")
    if person is not None and incident is not None and not incident.person_links.filter(person=person).exists():
        raise ValidationError({"person": _("This person is not part of the incident.")})
    if follow_up_on is not None and follow_up_on < timezone.localdate():
        raise ValidationError({"follow_up_on": _("The follow-up date cannot be in the past.")})
    referral = Referral(
        organisation=membership.organisation,
        incident=incident,
        person=person,
        activity=activity,
        service=service,
        lawyer=lawyer,
        need=_choice(need, Need.values, "need", blank=True),
        shares_identifying_data=shares_identifying_data,
        consent_given=consent_given,
        consent_method=consent_method if consent_given else "",
        consent_recorded_at=timezone.now() if consent_given else None,
        consent_recorded_by=acting_user if consent_given else None,
        note=_text(note, "note", max_length=4000) if shares_identifying_data else "",
        assigned_to=staff_member(organisation=membership.organisation, user=assigned_to) or acting_user,
        follow_up_on=follow_up_on,
        created_by=acting_user,
    )
    referral.save()
    audit.record(
        actor=acting_user, action="referral.created", target=referral,
        fields=["service" if service else "lawyer", "consent_given", "shares_identifying_data"],
        detail={"status": referral.status, "consent": consent_given},
    )
    if send:
        referral = referral_transition(
            referral=referral, membership=membership, acting_user=acting_user, status=ReferralStatus.SENT,
            follow_up_on=follow_up_on,
        )
    return referral


def _is_target_lawyer(referral: Referral, user: User) -> bool:
    return referral.lawyer_id is not None and referral.lawyer_id == user.pk


# The lawyer a referral is addressed to answers it; the organisation's staff send, withdraw, complete.
LAWYER_MAY_SET = {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.COMPLETED}


@transaction.atomic
def referral_transition(
    *,
    referral: Referral,
    membership: Membership,
    acting_user: User,
    status: str,
    outcome: str = "",
    follow_up_on: date | None = None,
) -> Referral:
    require_same_organisation(membership, referral)
    if membership.role == Role.LAWYER:
        if not _is_target_lawyer(referral, acting_user) or status not in LAWYER_MAY_SET:
            raise PermissionDenied
    else:
        _require(membership, REFERRAL_WRITERS)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    try:
        referral_check_transition(referral.status, status)
    except ReferralFlowError as exc:
        raise ValidationError({"status": exc.message}, code="transition")
    if status == ReferralStatus.DECLINED and membership.role == Role.LAWYER and not (outcome or "").strip():
        # The organisation must know why, to find the person another way.
        raise ValidationError({"outcome": _("Say why you decline the referral.")}, code="reason")
    now = timezone.now()
    referral.status = status
    changed = ["status", "updated_at"]
    if status == ReferralStatus.SENT:
        referral.sent_at = now
        referral.follow_up_on = follow_up_on or referral.follow_up_on or (
            timezone.localdate() + timedelta(days=conf.DEFAULT_FOLLOW_UP_DAYS)
        )
        changed += ["sent_at", "follow_up_on"]
    elif status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
        referral.answered_at = now
        changed.append("answered_at")
        if follow_up_on:
            referral.follow_up_on = follow_up_on
            changed.append("follow_up_on")
    if status == ReferralStatus.COMPLETED:
        referral.completed_at = now
        changed.append("completed_at")
    if status in (ReferralStatus.DECLINED, ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN):
        referral.closed_at = now
        changed.append("closed_at")
    if outcome:
        referral.outcome = _text(outcome, "outcome", max_length=4000)
        changed.append("outcome")
    referral.save(update_fields=changed)
    audit.record(
        actor=acting_user, action=f"referral.{status}", target=referral, fields=[c for c in changed if c != "updated_at"],
        detail={"status": status},
    )
    if referral.lawyer_id and (
        status == ReferralStatus.SENT
        or (status in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED) and membership.role == Role.LAWYER)
    ):
        from amparo.response import tasks

        referral_id = referral.pk
        transaction.on_commit(lambda: tasks.referral_notify(referral_id, status))
    return referral


REFERRAL_NOTICE_SUBJECTS: dict[str, Any] = {
    ReferralStatus.SENT: gettext_lazy("Amparo: you have a new referral"),
    ReferralStatus.ACCEPTED: gettext_lazy("Amparo: the lawyer accepted a referral"),
    ReferralStatus.DECLINED: gettext_lazy("Amparo: the lawyer declined a referral"),
}


def referral_notification_send(*, referral_id: int, status: str) -> bool:
    """E-mail the lawyer that a referral was sent to her, or its follower that the lawyer answered.

    Claimed atomically (notified_status), so a job that runs twice sends one message; a failed
    send gives the claim back so the queue's retry sends it. The message says only that there is
    something to open and where: no names, no facts of the incident.
    """
    from django.conf import settings
    from django.urls import reverse

    referral = Referral.objects.select_related("lawyer", "assigned_to", "created_by").filter(
        pk=referral_id, status=status
    ).first()
    if referral is None or status not in REFERRAL_NOTICE_SUBJECTS:
        return False
    recipient = referral.lawyer if status == ReferralStatus.SENT else (referral.assigned_to or referral.created_by)
    if recipient is None or not recipient.email:
        return False
    claimed = Referral.objects.filter(pk=referral_id, status=status).exclude(notified_status=status).update(
        notified_status=status
    )
    if not claimed:
        return False
    try:
        with translation.override(settings.LANGUAGE_CODE):
            subject = str(REFERRAL_NOTICE_SUBJECTS[status])
            url = absolute_url(reverse("response:referral_detail", args=[referral.pk]))
            if status == ReferralStatus.SENT:
                lead = _("A referral was sent to you. Open it to accept or decline it:")
            else:
                lead = _("The lawyer answered a referral you follow. Open it to see her answer:")
            body = f"{lead}\n{url}\n"
        send_mail(subject, body, None, [recipient.email], fail_silently=False)
    except Exception:
        Referral.objects.filter(pk=referral_id, notified_status=status).update(notified_status="")
        raise
    return True


@transaction.atomic
def referral_follow_up_set(
    *, referral: Referral, membership: Membership, acting_user: User, follow_up_on: date | None, assigned_to: User | None
) -> Referral:
    _require(membership, REFERRAL_WRITERS)
    require_same_organisation(membership, referral)
    if referral.status not in OPEN_STATUSES:
        raise ValidationError({"follow_up_on": _("This referral is closed.")})
    if follow_up_on is not None and follow_up_on < timezone.localdate():
        raise ValidationError({"follow_up_on": _("The follow-up date cannot be in the past.")})
    referral.follow_up_on = follow_up_on
    referral.assigned_to = staff_member(organisation=membership.organisation, user=assigned_to) or referral.assigned_to
    referral.save(update_fields=["follow_up_on", "assigned_to", "updated_at"])
    audit.record(actor=acting_user, action="referral.follow_up_set", target=referral, fields=["follow_up_on", "assigned_to"])
    return referral


@transaction.atomic
def referral_feedback_record(
    *,
    referral: Referral,
    membership: Membership,
    acting_user: User,
    rating: int,
    respectful: bool | None = None,
    comment: str = "",
) -> Referral:
    """The person's view of how the service treated them: the community's monitoring of services."""
    _require(membership, REFERRAL_WRITERS)
    require_same_organisation(membership, referral)
    if referral.status in (ReferralStatus.PROPOSED, ReferralStatus.WITHDRAWN):
        raise ValidationError({"feedback_rating": _("Feedback can be recorded once the referral was sent.")})
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"feedback_rating": _("Give a rating from 1 to 5.")})
    referral.feedback_rating = rating
    referral.feedback_respectful = respectful
    referral.feedback_comment = _text(comment, "feedback_comment", max_length=4000)
    referral.save(update_fields=["feedback_rating", "feedback_respectful", "feedback_comment", "updated_at"])
    audit.record(
        actor=acting_user, action="referral.feedback", target=referral,
        fields=["feedback_rating", "feedback_respectful", "feedback_comment"],
    )
    return referral


# --------------------------------------------------------------------------- legal cases


def _next_case_reference(organisation: Organisation, year: int) -> str:
    counter, _created = CaseCounter.objects.get_or_create(organisation=organisation, year=year)
    counter = CaseCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"CASO-{year}-{counter.last:04d}"


def _event(
    case: LegalCase, kind: str, acting_user: User | None, *, when: datetime | None = None, route: CaseRoute | None = None,
    stage: str = "", description: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        organisation_id=case.organisation_id, case=case, route=route, kind=kind, occurred_at=when or timezone.now(),
        stage=stage, description=description, created_by=acting_user,
    )


def _require_case_access(case: LegalCase, membership: Membership, acting_user: User) -> None:
    require_same_organisation(membership, case)
    _require(membership, CASE_WRITERS)
    if membership.role == Role.LAWYER and case.lawyer_id != acting_user.pk:
        raise PermissionDenied


@transaction.atomic
def case_create(
    *,
    membership: Membership,
    acting_user: User,
    title: str,
    incidents: Iterable[Incident] = (),
    persons: Iterable[Person] = (),
    lawyer: User | None = None,
    summary: str = "",
    perpetrator_details: str = "",
    opened_on: date | None = None,
) -> LegalCase:
    _require(membership, CASE_WRITERS)
    incidents, persons = list(incidents), list(persons)
    require_same_organisation(membership, *incidents, *persons)
    if not incidents and not persons:
        raise ValidationError({"incidents": _("A case needs at least one incident or person.")})
    if membership.role == Role.LAWYER:
        # A lawyer opens cases for herself.
        lawyer = acting_user
    lawyer_member(organisation=membership.organisation, user=lawyer)
    opened_on = opened_on or timezone.localdate()
    if opened_on > timezone.localdate():
        raise ValidationError({"opened_on": _("The date cannot be in the future.")})
    codes: list[str] = []
    for incident in incidents:
        codes.extend(incident.perpetrator_links.values_list("term__code", flat=True))
    case = LegalCase.objects.create(
        organisation=membership.organisation,
        reference=_next_case_reference(membership.organisation, timezone.localdate().year),
        title=_text(title, "title", max_length=200, required=True),
        summary=_text(summary, "summary", max_length=20000),
        perpetrator_details=_text(perpetrator_details, "perpetrator_details", max_length=4000),
        perpetrator_codes=sorted(set(codes)),
        lawyer=lawyer,
        opened_on=opened_on,
        created_by=acting_user,
    )
    people = {p.pk: p for p in persons}
    for incident in incidents:
        CaseIncident.objects.create(organisation=case.organisation, case=case, incident=incident)
        for link in incident.person_links.select_related("person"):
            people.setdefault(link.person_id, link.person)
    for person in people.values():
        CasePerson.objects.create(organisation=case.organisation, case=case, person=person)
    _event(case, CaseEventKind.OPENED, acting_user, when=timezone.now())
    audit.record(
        actor=acting_user, action="case.created", target=case,
        fields=["title", "summary", "perpetrator_details", "incidents", "persons", "lawyer"],
        detail={"incidents": len(incidents), "persons": len(people)},
    )
    return case


def _case_title_for(incident: Incident | None, person: Person | None) -> str:
    """A plain title for a case opened from a referral: what happened and where it was recorded.
    Titles are shown in lists, so they carry codes and vocabulary labels, never names."""
    parts: list[str] = []
    if incident is not None:
        labels = [str(link.term.label) for link in incident.violation_links.select_related("term")]
        parts.append(", ".join(labels[:3]) or _("Incident"))
        parts.append(incident.reference)
    if person is not None:
        parts.append(person.code_name)
    return " · ".join(parts)[:200]


@transaction.atomic
def case_open_from_referral(*, referral: Referral, membership: Membership, acting_user: User) -> LegalCase:
    """Open the legal case of an accepted referral, prefilled and linked; once only (a second
    click returns the case already opened)."""
    require_same_organisation(membership, referral)
    if membership.role == Role.LAWYER and not _is_target_lawyer(referral, acting_user):
        raise PermissionDenied
    _require(membership, CASE_WRITERS)
    referral = Referral.objects.select_for_update(of=("self",)).select_related("incident", "person", "legal_case").get(pk=referral.pk)
    if referral.legal_case is not None:
        return referral.legal_case
    if referral.status not in (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED):
        raise ValidationError({"status": _("A legal case can be opened once the referral is accepted.")}, code="status")
    case = case_create(
        membership=membership, acting_user=acting_user,
        title=_case_title_for(referral.incident, referral.person),
        incidents=[referral.incident] if referral.incident else [],
        persons=[referral.person] if referral.person else [],
        lawyer=referral.lawyer,
    )
    referral.legal_case = case
    referral.save(update_fields=["legal_case", "updated_at"])
    audit.record(actor=acting_user, action="referral.case_opened", target=referral, fields=["legal_case"],
                 detail={"case": case.reference})
    return case


@transaction.atomic
def case_assign_lawyer(*, case: LegalCase, membership: Membership, acting_user: User, lawyer: User | None) -> LegalCase:
    _require(membership, (Role.ADMIN, Role.COORDINATOR))
    require_same_organisation(membership, case)
    case.lawyer = lawyer_member(organisation=case.organisation_id, user=lawyer)
    case.save(update_fields=["lawyer", "updated_at"])
    audit.record(actor=acting_user, action="case.lawyer_assigned", target=case, fields=["lawyer"])
    return case


@transaction.atomic
def case_add_incident(*, case: LegalCase, membership: Membership, acting_user: User, incident: Incident) -> LegalCase:
    _require_case_access(case, membership, acting_user)
    require_same_organisation(membership, incident)
    _obj, created = CaseIncident.objects.get_or_create(organisation_id=case.organisation_id, case=case, incident=incident)
    if created:
        for link in incident.person_links.all():
            CasePerson.objects.get_or_create(organisation_id=case.organisation_id, case=case, person_id=link.person_id)
        audit.record(actor=acting_user, action="case.incident_added", target=case, fields=["incidents"])
    return case


@transaction.atomic
def case_route_start(
    *,
    case: LegalCase,
    membership: Membership,
    acting_user: User,
    route: str,
    stage: str,
    forum: str = "",
    case_number: str = "",
    started_on: date | None = None,
    requested_at: datetime | None = None,
) -> CaseRoute:
    _require_case_access(case, membership, acting_user)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"route": _("This case is closed.")})
    try:
        route_check_start(route, stage)
    except TransitionError as exc:
        raise ValidationError({"stage": exc.message}, code="transition")
    now = timezone.now()
    started_on = started_on or timezone.localdate()
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": _("The date cannot be in the future.")})
    case_route = CaseRoute.objects.create(
        organisation_id=case.organisation_id, case=case, route=route, stage=stage,
        forum=_text(forum, "forum", max_length=160) or DEFAULT_FORUM.get(route, ""),
        case_number=_text(case_number, "case_number", max_length=120),
        started_on=started_on, stage_changed_at=now,
    )
    _event(case, CaseEventKind.ROUTE_STARTED, acting_user, route=case_route, stage=stage)
    if route == Route.PROTECTION:
        case_route.requested_at = requested_at or now
        if case_route.requested_at > now:
            raise ValidationError({"requested_at": _("The date cannot be in the future.")})
        case_route.save(update_fields=["requested_at"])
        # Ley 30364: the court decides within 72 hours; the deadline makes a late decision visible.
        Deadline.objects.create(
            organisation_id=case.organisation_id, case=case, route=case_route,
            title=_("Court decision on protection measures (72 hours)"),
            due_at=case_route.requested_at + PROTECTION_DECISION_WINDOW, counted_from=case_route.requested_at,
            amount=72, unit=Unit.HOURS, assigned_to=case.lawyer or acting_user, created_by=acting_user,
        )
    audit.record(
        actor=acting_user, action="case.route_started", target=case, fields=["route", "stage", "forum", "case_number"],
        detail={"route": route, "stage": stage},
    )
    return case_route


@transaction.atomic
def case_route_advance(
    *,
    case_route: CaseRoute,
    membership: Membership,
    acting_user: User,
    stage: str,
    occurred_at: datetime | None = None,
    note: str = "",
    outcome: str = "",
    in_force_until: date | None = None,
) -> CaseRoute:
    case = case_route.case
    _require_case_access(case, membership, acting_user)
    case_route = CaseRoute.objects.select_for_update().get(pk=case_route.pk)
    try:
        route_check_transition(case_route.route, case_route.stage, stage)
    except TransitionError as exc:
        raise ValidationError({"stage": exc.message}, code="transition")
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("The date cannot be in the future.")})
    case_route.stage = stage
    case_route.stage_changed_at = occurred_at
    changed = ["stage", "stage_changed_at"]
    if outcome:
        case_route.outcome = _choice(outcome, Outcome.values, "outcome")
        changed.append("outcome")
    if case_route.route == Route.PROTECTION and stage in (Stage.GRANTED, Stage.DENIED):
        case_route.decided_at = occurred_at
        changed.append("decided_at")
        if stage == Stage.GRANTED:
            case_route.in_force_until = in_force_until
            changed.append("in_force_until")
        Deadline.objects.filter(route=case_route, done_at__isnull=True, unit=Unit.HOURS, amount=72).update(done_at=occurred_at)
    case_route.save(update_fields=changed)
    _event(case, CaseEventKind.STAGE_CHANGED, acting_user, when=occurred_at, route=case_route, stage=stage,
           description=_text(note, "note", max_length=4000))
    audit.record(actor=acting_user, action="case.stage_changed", target=case, fields=changed, detail={"route": case_route.route, "stage": stage})
    return case_route


@transaction.atomic
def case_event_add(
    *, case: LegalCase, membership: Membership, acting_user: User, kind: str, occurred_at: datetime, description: str,
    route: CaseRoute | None = None,
) -> CaseEvent:
    _require_case_access(case, membership, acting_user)
    kind = _choice(kind, (CaseEventKind.NOTE, CaseEventKind.FILING), "kind")
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("The date cannot be in the future.")})
    if route is not None and route.case_id != case.pk:
        raise ValidationError({"route": _("Unknown choice.")})
    event = _event(case, kind, acting_user, when=occurred_at, route=route,
                   description=_text(description, "description", max_length=8000, required=True))
    audit.record(actor=acting_user, action="case.event_added", target=case, fields=["description"], detail={"kind": kind})
    return event


@transaction.atomic
def hearing_add(
    *, case: LegalCase, membership: Membership, acting_user: User, scheduled_at: datetime, place: str = "",
    purpose: str = "", route: CaseRoute | None = None,
) -> Hearing:
    _require_case_access(case, membership, acting_user)
    if route is not None and route.case_id != case.pk:
        raise ValidationError({"route": _("Unknown choice.")})
    hearing = Hearing.objects.create(
        organisation_id=case.organisation_id, case=case, route=route, scheduled_at=scheduled_at,
        place=_text(place, "place", max_length=300), purpose=_text(purpose, "purpose", max_length=160),
        created_by=acting_user,
    )
    _event(case, CaseEventKind.HEARING, acting_user, when=scheduled_at, route=route, description=hearing.purpose)
    audit.record(actor=acting_user, action="case.hearing_added", target=case, fields=["scheduled_at", "place", "purpose"])
    return hearing


@transaction.atomic
def deadline_add(
    *,
    case: LegalCase,
    membership: Membership,
    acting_user: User,
    title: str,
    due_at: datetime | None = None,
    counted_from: datetime | None = None,
    amount: int | None = None,
    unit: str = "",
    assigned_to: User | None = None,
    route: CaseRoute | None = None,
) -> Deadline:
    """A deadline given either as a moment or as an amount of hours / calendar / business days."""
    _require_case_access(case, membership, acting_user)
    title = _text(title, "title", max_length=160, required=True)
    if route is not None and route.case_id != case.pk:
        raise ValidationError({"route": _("Unknown choice.")})
    if amount is not None and not 0 <= amount <= 3650:
        raise ValidationError({"amount": _("Give a number between 0 and 3650.")})
    if unit:
        unit = _choice(unit, [u.value for u in Unit], "unit")
    if due_at is None:
        if amount is None or not unit:
            raise ValidationError({"due_at": _("Give a due date, or a number of days or hours.")})
        counted_from = counted_from or timezone.now()
        due_at = compute_due(counted_from, amount, unit)
    deadline = Deadline.objects.create(
        organisation_id=case.organisation_id, case=case, route=route, title=title, due_at=due_at,
        counted_from=counted_from, amount=amount, unit=unit or "",
        assigned_to=staff_member(organisation=case.organisation_id, user=assigned_to) or case.lawyer or acting_user,
        created_by=acting_user,
    )
    _event(case, CaseEventKind.DEADLINE, acting_user, route=route, description=title)
    audit.record(actor=acting_user, action="case.deadline_added", target=case, fields=["title", "due_at", "assigned_to"])
    return deadline


@transaction.atomic
def deadline_complete(*, deadline: Deadline, membership: Membership, acting_user: User) -> Deadline:
    _require_case_access(deadline.case, membership, acting_user)
    updated = Deadline.objects.filter(pk=deadline.pk, done_at__isnull=True).update(done_at=timezone.now())
    deadline.refresh_from_db()
    if updated:
        audit.record(actor=acting_user, action="case.deadline_done", target=deadline.case, fields=["done_at"])
    return deadline


@transaction.atomic
def case_close(*, case: LegalCase, membership: Membership, acting_user: User, outcome: str) -> LegalCase:
    _require_case_access(case, membership, acting_user)
    outcome = _choice(outcome, [o for o in Outcome.values if o], "outcome")
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"outcome": _("This case is already closed.")})
    case.status, case.outcome, case.closed_at = CaseStatus.CLOSED, outcome, timezone.now()
    case.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
    _event(case, CaseEventKind.CLOSED, acting_user, description=str(Outcome(outcome).label))
    audit.record(actor=acting_user, action="case.closed", target=case, fields=["status", "outcome"], detail={"outcome": outcome})
    return case


@transaction.atomic
def case_document_add(
    *, case: LegalCase, membership: Membership, acting_user: User, uploaded: Any, kind: str = DocumentKind.OTHER,
    description: str = "",
) -> CaseDocument:
    """Store a file as evidence (fingerprinted, stripped, encrypted) and attach it to the case."""
    _require_case_access(case, membership, acting_user)
    kind = _choice(kind, DocumentKind.values, "kind")
    evidence = evidence_services.evidence_store(
        organisation=case.organisation, uploaded=uploaded, acting_user=acting_user, source="case",
        source_ref=str(case.pk), description=_text(description, "description", max_length=1000),
    )
    document = CaseDocument.objects.create(
        organisation_id=case.organisation_id, case=case, evidence=evidence, kind=kind, added_by=acting_user
    )
    _event(case, CaseEventKind.DOCUMENT, acting_user, description=str(DocumentKind(kind).label))
    audit.record(actor=acting_user, action="case.document_added", target=case, fields=["documents"], detail={"kind": kind})
    return document


@transaction.atomic
def incident_evidence_add(
    *, incident: Incident, membership: Membership, acting_user: User, uploaded: Any, description: str = ""
) -> EvidenceFile:
    """Attach a file to an incident the member can see: fingerprinted, stripped, encrypted, logged."""
    _require(membership, CASE_WRITERS)
    require_same_organisation(membership, incident)
    return evidence_services.evidence_store(
        organisation=incident.organisation, uploaded=uploaded, acting_user=acting_user, incident=incident,
        description=_text(description, "description", max_length=1000),
    )


# --------------------------------------------------------------------------- evidence bundle


class BundleRefused(Exception):
    """The bundle cannot be made (no consent to legal action, a tampered file). `message` is translated."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _signing_context(org_id: int) -> str:
    return f"response.signing_key:{org_id}"


def signing_key_get_or_create(*, organisation: Organisation) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The organisation's active Ed25519 key; the private half is sealed by the organisation key."""
    key = SigningKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()
    if key is None:
        private = Ed25519PrivateKey.generate()
        public = private.public_key()
        with transaction.atomic():
            key = SigningKey.objects.create(
                organisation=organisation,
                public_key=bundle_format.public_key_pem(public),
                sealed_private_key=crypto.encrypt_bytes(
                    bundle_format.private_key_to_bytes(private), org_id=organisation.pk,
                    context=_signing_context(organisation.pk),
                ),
                fingerprint=bundle_format.key_fingerprint(public),
            )
            audit.record(actor=None, action="signing_key.created", organisation=organisation, target=key)
        return key, private
    raw = crypto.decrypt_bytes(bytes(key.sealed_private_key), context=_signing_context(organisation.pk))
    return key, bundle_format.private_key_from_bytes(raw)


def case_evidence(case: LegalCase) -> list[EvidenceFile]:
    """Every live evidence file of the case: its documents and the files of its incidents."""
    ids = set(case.documents.values_list("evidence_id", flat=True))
    ids |= set(
        EvidenceFile.objects.filter(
            organisation_id=case.organisation_id, incident__case_links__case=case
        ).values_list("pk", flat=True)
    )
    return list(
        EvidenceFile.objects.filter(pk__in=ids, organisation_id=case.organisation_id, deleted_at__isnull=True).order_by(
            "uploaded_at", "pk"
        )
    )


def _custody_row(event: CustodyEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "evidence_uid": str(event.evidence.uid),
        "action": event.action,
        "actor": event.actor_label,
        "purpose": event.purpose,
        "sha256": event.sha256,
    }


def case_bundle_write(*, case: LegalCase, membership: Membership, acting_user: User, out: IO[bytes]) -> dict[str, Any]:
    """Write the evidence bundle of a case to `out` (ZIP); every file read is logged as exported.

    Refused when a linked incident has no consent to legal action (a bundle is for the
    Fiscalía or a court), or when a stored file no longer matches its fingerprint — in that
    case the tampering is in the custody log and nothing is handed out.
    """
    _require_case_access(case, membership, acting_user)
    if case.incidents.filter(consent_legal_action=False).exists():
        raise BundleRefused(_("A linked incident has no consent to legal action: the bundle cannot be made."), "consent")
    files = case_evidence(case)
    # Check every file before exporting any, so a tampered file stops the whole bundle and the
    # custody log never claims an export that did not happen.
    for evidence in files:
        if not evidence_services.evidence_verify(evidence=evidence, acting_user=acting_user, purpose=f"bundle {case.reference}"):
            raise BundleRefused(
                _("A stored file does not match its fingerprint (uploaded %(when)s): it may have been altered. The bundle was not made.")
                % {"when": timezone.localtime(evidence.uploaded_at).strftime("%Y-%m-%d %H:%M")},
                "tampered",
            )
    documents = {d.evidence_id: d for d in case.documents.all()}
    bundle_files = []
    for evidence in files:
        data = evidence_services.evidence_read(
            evidence=evidence, acting_user=acting_user, purpose=f"bundle {case.reference}", action=CustodyAction.EXPORTED
        )
        doc = documents.get(evidence.pk)
        bundle_files.append(
            bundle_format.BundleFile(
                name=evidence.original_name or f"{evidence.uid.hex}",
                data=data,
                sha256_original=evidence.sha256_original,
                metadata_stripped=evidence.metadata_stripped,
                content_type=evidence.content_type,
                evidence_id=str(evidence.uid),
                uploaded_at=evidence.uploaded_at.isoformat(),
                kind=doc.kind if doc else "incident",
            )
        )
    custody = [
        _custody_row(e)
        for e in CustodyEvent.objects.filter(evidence__in=files).select_related("evidence").order_by("at", "pk")
    ]
    key, private = signing_key_get_or_create(organisation=case.organisation)
    now = timezone.now()
    header = {
        "created_at": now.isoformat(),
        "created_by": acting_user.get_username(),
        "organisation": {"name": case.organisation.name, "slug": case.organisation.slug},
        "case": {
            "reference": case.reference,
            "opened_on": case.opened_on.isoformat(),
            "status": case.status,
            "outcome": case.outcome,
            "routes": [
                {"route": r.route, "stage": r.stage, "forum": r.forum, "case_number": r.case_number,
                 "started_on": r.started_on.isoformat()}
                for r in case.routes.all()
            ],
            "incidents": list(case.incidents.order_by("reference").values_list("reference", flat=True)),
        },
    }
    summary = _bundle_summary(case, header, bundle_files, len(custody), key.fingerprint)
    manifest = bundle_format.build_bundle(
        out, signing_key=private, header=header, files=bundle_files, custody_log=custody, summary_text=summary
    )
    with transaction.atomic():
        audit.record(
            actor=acting_user, action="case.bundle_exported", target=case, fields=["documents"],
            detail={"files": len(bundle_files), "key": key.fingerprint[:19]},
        )
    return manifest


def _bundle_summary(case: LegalCase, header: dict[str, Any], files: list[Any], custody_count: int, fingerprint: str) -> str:
    lines = [
        _("Evidence bundle of case %(reference)s") % {"reference": case.reference},
        _("Organisation: %(name)s") % {"name": case.organisation.name},
        _("Made on %(when)s by %(who)s") % {"when": header["created_at"], "who": header["created_by"]},
        _("Incidents: %(refs)s") % {"refs": ", ".join(header["case"]["incidents"]) or "—"},
        "",
    ]
    for r in case.routes.all():
        lines.append(f"- {r.get_route_display()}: {r.get_stage_display()} — {r.forum} {r.case_number}".rstrip())
    lines += ["", _("Files (%(n)d):") % {"n": len(files)}]
    for f in files:
        lines.append(f"- {f.name} · {f.content_type} · SHA-256 {bundle_format.sha256_hex(f.data)}")
        if f.metadata_stripped:
            lines.append("  " + _("metadata removed; SHA-256 of the file as received: %(sha)s") % {"sha": f.sha256_original})
    lines += [
        "",
        _("Custody events recorded: %(n)d") % {"n": custody_count},
        _("Signed with the organisation's Ed25519 key, fingerprint %(fp)s") % {"fp": fingerprint},
        _("See VERIFY.txt to check the signature and every fingerprint."),
    ]
    return "\n".join(lines) + "\n"


def case_bundle_bytes(*, case: LegalCase, membership: Membership, acting_user: User) -> bytes:
    buffer = io.BytesIO()
    case_bundle_write(case=case, membership=membership, acting_user=acting_user, out=buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- defenders' security


@transaction.atomic
def security_record_create(
    *,
    membership: Membership,
    acting_user: User,
    incident: Incident,
    defender: Person,
    risk_level: str = RiskLevel.MEDIUM,
    assessment: str = "",
    follow_up_on: date | None = None,
    assigned_to: User | None = None,
) -> SecurityRecord:
    _require(membership, SECURITY_ROLES)
    require_same_organisation(membership, incident, defender)
    if not defender.is_defender:
        raise ValidationError({"defender": _("Mark the person as an activist or human-rights defender first.")})
    if not incident.person_links.filter(person=defender).exists():
        raise ValidationError({"defender": _("This person is not part of the incident.")})
    record = SecurityRecord.objects.create(
        organisation=membership.organisation, incident=incident, defender=defender,
        risk_level=_choice(risk_level, RiskLevel.values, "risk_level"),
        assessment=_text(assessment, "assessment", max_length=8000),
        follow_up_on=follow_up_on,
        assigned_to=staff_member(organisation=membership.organisation, user=assigned_to) or acting_user,
        created_by=acting_user,
    )
    audit.record(actor=acting_user, action="security.created", target=record, fields=["risk_level", "assessment", "follow_up_on"])
    return record


@transaction.atomic
def security_record_update(
    *, record: SecurityRecord, membership: Membership, acting_user: User, risk_level: str | None = None,
    status: str | None = None, follow_up_on: date | None = None, assessment: str | None = None,
) -> SecurityRecord:
    _require(membership, SECURITY_ROLES)
    require_same_organisation(membership, record)
    changed = []
    if risk_level is not None:
        record.risk_level = _choice(risk_level, RiskLevel.values, "risk_level")
        changed.append("risk_level")
    if status is not None:
        record.status = _choice(status, SecurityStatus.values, "status")
        record.closed_at = timezone.now() if record.status == SecurityStatus.CLOSED else None
        changed += ["status", "closed_at"]
    if follow_up_on is not None:
        record.follow_up_on = follow_up_on
        changed.append("follow_up_on")
    if assessment is not None:
        record.assessment = _text(assessment, "assessment", max_length=8000)
        changed.append("assessment")
    if changed:
        record.save(update_fields=changed)
        audit.record(actor=acting_user, action="security.updated", target=record, fields=changed)
    return record


@transaction.atomic
def protective_measure_add(
    *, record: SecurityRecord, membership: Membership, acting_user: User, kind: str, description: str = "",
    taken_on: date | None = None,
) -> ProtectiveMeasure:
    _require(membership, SECURITY_ROLES)
    require_same_organisation(membership, record)
    taken_on = taken_on or timezone.localdate()
    if taken_on > timezone.localdate():
        raise ValidationError({"taken_on": _("The date cannot be in the future.")})
    measure = ProtectiveMeasure.objects.create(
        organisation_id=record.organisation_id, record=record, kind=_choice(kind, MeasureKind.values, "kind"),
        description=_text(description, "description", max_length=4000), taken_on=taken_on, created_by=acting_user,
    )
    audit.record(actor=acting_user, action="security.measure_added", target=record, fields=["measures"], detail={"kind": measure.kind})
    return measure


# --------------------------------------------------------------------------- reminders


# What is followed up on a date (`follow_up_on`) and reminded once for each date (`reminded_for`):
# which items are still open, and who is reminded.
_FOLLOW_UPS: dict[str, tuple[Callable[[], QuerySet[Any]], Callable[[Any], int]]] = {
    ReminderKind.REFERRAL_FOLLOW_UP: (
        lambda: Referral.objects.filter(status__in=OPEN_STATUSES), lambda r: r.assigned_to_id or r.created_by_id,
    ),
    ReminderKind.SECURITY_FOLLOW_UP: (
        lambda: SecurityRecord.objects.exclude(status=SecurityStatus.CLOSED), lambda r: r.assigned_to_id or r.created_by_id,
    ),
    # The commitments obtained at an activity: its recorder follows them up.
    ReminderKind.COMMITMENT_FOLLOW_UP: (lambda: Activity.objects.all(), lambda a: a.recorded_by_id),
}


def _follow_ups_due(kind: str, today: date) -> list[tuple[str, int]]:
    open_items, _who = _FOLLOW_UPS[kind]
    due = open_items().filter(follow_up_on__lte=today).filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("follow_up_on")))
    return [(kind, pk) for pk in due.values_list("pk", flat=True)]


def _claim_follow_up(kind: str, object_id: int, today: date) -> tuple[int, int, date] | None:
    open_items, who = _FOLLOW_UPS[kind]
    item = open_items().filter(pk=object_id, follow_up_on__lte=today).first()
    if item is None or item.follow_up_on is None or item.reminded_for == item.follow_up_on:
        return None
    won = type(item).objects.filter(pk=object_id, follow_up_on=item.follow_up_on).exclude(
        reminded_for=item.follow_up_on
    ).update(reminded_for=item.follow_up_on)
    return (item.organisation_id, who(item), item.follow_up_on) if won else None


def reminders_collect(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """What needs a reminder now, as (kind, id) pairs. Read-only: sending claims each one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ahead = now + timedelta(days=conf.REMINDER_DAYS_AHEAD)
    due: list[tuple[str, int]] = _follow_ups_due(ReminderKind.REFERRAL_FOLLOW_UP, today)
    due += [
        (ReminderKind.DEADLINE, pk)
        for pk in Deadline.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=ahead)
        .values_list("pk", flat=True)
    ]
    due += [
        (ReminderKind.HEARING, pk)
        for pk in Hearing.objects.filter(held__isnull=True, reminded_at__isnull=True, scheduled_at__lte=ahead, scheduled_at__gte=now)
        .values_list("pk", flat=True)
    ]
    due += _follow_ups_due(ReminderKind.SECURITY_FOLLOW_UP, today)
    due += _follow_ups_due(ReminderKind.COMMITMENT_FOLLOW_UP, today)
    return due


def _claim(kind: str, object_id: int, now: datetime) -> tuple[int, int, date] | None:
    """Atomically mark one item as reminded; (organisation id, user id, due date) when this call won."""
    if kind in _FOLLOW_UPS:
        return _claim_follow_up(kind, object_id, timezone.localdate(now))
    if kind == ReminderKind.DEADLINE:
        deadline = Deadline.objects.select_related("case").filter(pk=object_id, done_at__isnull=True).first()
        if deadline is None or not Deadline.objects.filter(pk=object_id, reminded_at__isnull=True).update(reminded_at=now):
            return None
        user_id = deadline.assigned_to_id or deadline.case.lawyer_id or deadline.created_by_id
        return deadline.organisation_id, user_id, timezone.localdate(deadline.due_at)
    if kind == ReminderKind.HEARING:
        hearing = Hearing.objects.select_related("case").filter(pk=object_id).first()
        if hearing is None or not Hearing.objects.filter(pk=object_id, reminded_at__isnull=True).update(reminded_at=now):
            return None
        return hearing.organisation_id, hearing.case.lawyer_id or hearing.created_by_id, timezone.localdate(hearing.scheduled_at)
    return None


REMINDER_SUBJECTS: dict[str, Any] = {
    ReminderKind.REFERRAL_FOLLOW_UP: gettext_lazy("Amparo: a referral needs follow-up"),
    ReminderKind.DEADLINE: gettext_lazy("Amparo: a case deadline is near"),
    ReminderKind.HEARING: gettext_lazy("Amparo: a hearing is coming up"),
    ReminderKind.SECURITY_FOLLOW_UP: gettext_lazy("Amparo: a security follow-up is due"),
    ReminderKind.COMMITMENT_FOLLOW_UP: gettext_lazy("Amparo: commitments from an activity need follow-up"),
}


def reminder_send(*, kind: str, object_id: int, now: datetime | None = None) -> Reminder | None:
    """Claim one item and leave its reminder; idempotent (a second call does nothing).

    The e-mail says only that something is due and where to look: no names, no case facts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = _claim(kind, object_id, now)
        if claimed is None:
            return None
        org_id, user_id, due_on = claimed
        reminder, created = Reminder.objects.get_or_create(
            organisation_id=org_id, user_id=user_id, kind=kind, object_id=object_id, due_on=due_on
        )
        if not created:
            return None
        audit.record(actor=None, action="reminder.created", organisation_id=org_id, target=reminder, detail={"kind": kind})
        user = User.objects.get(pk=user_id)
        if user.email:
            transaction.on_commit(lambda: _email_reminder(reminder_id=reminder.pk))
    return reminder


def _email_reminder(*, reminder_id: int) -> None:
    from django.conf import settings

    reminder = Reminder.objects.select_related("user").get(pk=reminder_id)
    # The job has no request: write in the organisation's default language (Spanish).
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(REMINDER_SUBJECTS[reminder.kind])
        body = f"{subject} ({reminder.due_on.isoformat()}).\n" + _("Open the task list: %(url)s") % {
            "url": absolute_url(reverse("response:tasks"))
        } + "\n"
    send_mail(subject, body, None, [reminder.user.email], fail_silently=False)
    Reminder.objects.filter(pk=reminder_id).update(emailed=True)


@transaction.atomic
def reminder_dismiss(*, reminder: Reminder, acting_user: User) -> None:
    if reminder.user_id != acting_user.pk:
        raise PermissionDenied
    Reminder.objects.filter(pk=reminder.pk, dismissed_at__isnull=True).update(dismissed_at=timezone.now())
