"""Reads of the Response app, always starting from what the membership may see.

"Not found" and "not yours" both raise Http404. Lawyers see exactly what is referred or
assigned to them: referrals addressed to them (once sent, with consent), the incidents and
people of those referrals, and the cases where they are the assigned lawyer.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from amparo.accounts.models import Membership, Role
from amparo.evidence.models import CustodyEvent, EvidenceFile
from amparo.records.models import Incident, Person
from amparo.response import conf
from amparo.response.lib.procedure import PROTECTION_DECISION_WINDOW, Route, Stage
from amparo.response.lib.referral_flow import OPEN_STATUSES, ReferralStatus
from amparo.response.models import (
    CaseStatus,
    Deadline,
    Hearing,
    LegalCase,
    Referral,
    Reminder,
    SecurityRecord,
    SecurityStatus,
    Service,
)

# List pages never need sealed columns, neither the referral's nor its incident's or person's:
# leaving them out saves decrypting every row (and keeps identities out of memory).
REFERRAL_LIST_DEFER = (
    "note", "outcome", "feedback_comment",
    *(f"incident__{f}" for f in Incident.SENSITIVE_FIELDS),
    *(f"person__{f}" for f in Person.SENSITIVE_FIELDS),
)

CASE_SEALED = ("title", "summary", "perpetrator_details")
CASE_JOIN_DEFER = tuple(f"case__{f}" for f in CASE_SEALED)
# A legal case's title is its label in lists (it carries codes, never names); the rest stays closed.
CASE_BODY_DEFER = ("case__summary", "case__perpetrator_details")
DEFENDER_JOIN_DEFER = tuple(f"defender__{f}" for f in Person.SENSITIVE_FIELDS)

# A referral gives its lawyer access to the record only once it has been sent to her, with
# consent, and until she declines it or it is withdrawn.
LAWYER_ACCESS_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404


# --------------------------------------------------------------------------- lawyer scope


def lawyer_referrals(*, membership: Membership) -> QuerySet[Referral]:
    return Referral.objects.filter(
        organisation_id=membership.organisation_id,
        lawyer_id=membership.user_id,
        status__in=LAWYER_ACCESS_STATUSES,
        shares_identifying_data=True,
        consent_given=True,
    )


def lawyer_incident_q(*, membership: Membership) -> Q:
    """Incidents a lawyer may read: referred to her or linked to a case assigned to her."""
    referred = lawyer_referrals(membership=membership).filter(incident__isnull=False).values("incident_id")
    in_cases = LegalCase.objects.filter(
        organisation_id=membership.organisation_id, lawyer_id=membership.user_id
    ).values("incident_links__incident_id")
    return Q(pk__in=referred) | Q(pk__in=in_cases)


def lawyer_person_q(*, membership: Membership) -> Q:
    """People a lawyer may read: the person of a referral to her (or, when the referral names
    no one, the people of its incident), and the people of cases assigned to her."""
    referrals = lawyer_referrals(membership=membership)
    named = referrals.filter(person__isnull=False).values("person_id")
    whole_incident = referrals.filter(person__isnull=True, incident__isnull=False).values("incident_id")
    in_cases = LegalCase.objects.filter(
        organisation_id=membership.organisation_id, lawyer_id=membership.user_id
    ).values("person_links__person_id")
    return Q(pk__in=named) | Q(incident_links__incident_id__in=whole_incident) | Q(pk__in=in_cases)


def _incident_scope(membership: Membership) -> QuerySet[Incident]:
    from amparo.records.selectors import incident_scope

    return incident_scope(membership=membership)


# --------------------------------------------------------------------------- directory


@dataclass
class DirectoryFilters:
    department: str = ""
    need: str = ""
    kind: str = ""
    query: str = ""
    trans_friendly: bool = False
    sex_worker_friendly: bool = False


def service_scope(*, membership: Membership) -> QuerySet[Service]:
    return Service.objects.filter(Q(organisation__isnull=True) | Q(organisation_id=membership.organisation_id))


def service_list_for(*, membership: Membership, filters: DirectoryFilters | None = None) -> QuerySet[Service]:
    """Active services matching a region and a need. National services match every region."""
    f = filters or DirectoryFilters()
    qs = service_scope(membership=membership).filter(is_active=True).select_related("department", "district")
    if f.department:
        qs = qs.filter(Q(department_id=f.department) | Q(department__isnull=True))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.query:
        qs = qs.filter(Q(name__icontains=f.query.strip()) | Q(address__icontains=f.query.strip()))
    if f.trans_friendly:
        qs = qs.filter(trans_friendly=True)
    if f.sex_worker_friendly:
        qs = qs.filter(treats_sex_workers_well=True)
    if f.need:
        # JSON containment differs between SQLite and PostgreSQL; a list of ids keeps it portable.
        ids = [pk for pk, needs in qs.values_list("pk", "needs") if f.need in (needs or [])]
        qs = qs.filter(pk__in=ids)
    # Local contacts first (they are the ones peers checked), then national ones.
    return qs.order_by(F("organisation_id").desc(nulls_last=True), "name")


def service_get_for(*, membership: Membership, service_id: Any) -> Service:
    try:
        return service_scope(membership=membership).get(pk=_int(service_id))
    except Service.DoesNotExist:
        raise Http404


@dataclass
class ServiceStats:
    referrals: int = 0
    completed: int = 0
    declined: int = 0
    rated: int = 0
    average_rating: float | None = None
    respectful: int = 0


def service_stats_for(*, membership: Membership, service_ids: list[int]) -> dict[int, ServiceStats]:
    """Per service: how many referrals this organisation made, completed, and how people rated them."""
    rows = (
        Referral.objects.for_member(membership).filter(service_id__in=service_ids)
        .values("service_id")
        .annotate(
            total=Count("pk"),
            completed=Count("pk", filter=Q(status=ReferralStatus.COMPLETED)),
            declined=Count("pk", filter=Q(status=ReferralStatus.DECLINED)),
            rated=Count("pk", filter=Q(feedback_rating__isnull=False)),
            average=Avg("feedback_rating"),
            respectful=Count("pk", filter=Q(feedback_respectful=True)),
        )
    )
    stats = {pk: ServiceStats() for pk in service_ids}
    for row in rows:
        stats[row["service_id"]] = ServiceStats(
            referrals=row["total"], completed=row["completed"], declined=row["declined"], rated=row["rated"],
            average_rating=round(row["average"], 1) if row["average"] is not None else None,
            respectful=row["respectful"],
        )
    return stats


# --------------------------------------------------------------------------- referrals


def referral_scope(*, membership: Membership) -> QuerySet[Referral]:
    base = Referral.objects.for_member(membership)
    if membership.role in (Role.ADMIN, Role.COORDINATOR):
        return base
    if membership.role == Role.DOCUMENTER:
        visible = _incident_scope(membership).values("pk")
        return base.filter(
            Q(created_by_id=membership.user_id) | Q(assigned_to_id=membership.user_id) | Q(incident_id__in=visible)
        )
    if membership.role == Role.LAWYER:
        # She also sees referrals she declined, so her answer stays on record for her.
        return base.filter(
            lawyer_id=membership.user_id,
            status__in=(*LAWYER_ACCESS_STATUSES, ReferralStatus.DECLINED),
        )
    return base.none()


def referral_list_for(*, membership: Membership, status: str = "", incident: Incident | None = None) -> QuerySet[Referral]:
    qs = referral_scope(membership=membership).select_related("service", "lawyer", "incident", "person", "assigned_to")
    qs = qs.defer(*REFERRAL_LIST_DEFER)
    if status:
        qs = qs.filter(status=status)
    if incident is not None:
        qs = qs.filter(incident=incident)
    return qs.order_by("-created_at", "-pk")


def referral_get_for(*, membership: Membership, referral_id: Any) -> Referral:
    try:
        return referral_scope(membership=membership).select_related(
            "service", "lawyer", "incident", "person", "assigned_to", "created_by"
        ).get(pk=_int(referral_id))
    except Referral.DoesNotExist:
        raise Http404


def lawyers_for(*, membership: Membership) -> QuerySet[Membership]:
    return Membership.objects.filter(
        organisation_id=membership.organisation_id, role=Role.LAWYER, is_active=True
    ).select_related("user").order_by("user__username")


def staff_for(*, membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.for_member(membership).filter(is_active=True)
        .exclude(role=Role.ANALYST)
        .select_related("user")
        .order_by("user__username")
    )


# --------------------------------------------------------------------------- cases


def case_scope(*, membership: Membership) -> QuerySet[LegalCase]:
    base = LegalCase.objects.for_member(membership)
    if membership.role in (Role.ADMIN, Role.COORDINATOR):
        return base
    if membership.role == Role.LAWYER:
        return base.filter(lawyer_id=membership.user_id)
    if membership.role == Role.DOCUMENTER:
        visible = _incident_scope(membership).values("pk")
        return base.filter(Q(created_by_id=membership.user_id) | Q(incident_links__incident_id__in=visible)).distinct()
    return base.none()


def _overdue_deadlines(now: datetime) -> QuerySet[Deadline]:
    return Deadline.objects.filter(done_at__isnull=True, due_at__lt=now)


def case_list_for(*, membership: Membership, status: str = "", overdue_only: bool = False, now: datetime | None = None) -> QuerySet[LegalCase]:
    now = now or timezone.now()
    overdue = _overdue_deadlines(now).filter(case_id=OuterRef("pk"))
    qs = (
        case_scope(membership=membership)
        .defer("summary", "perpetrator_details")
        .select_related("lawyer")
        .annotate(
            is_overdue=Exists(overdue),
            next_due=Min("deadlines__due_at", filter=Q(deadlines__done_at__isnull=True)),
        )
    )
    if status:
        qs = qs.filter(status=status)
    if overdue_only:
        qs = qs.filter(is_overdue=True)
    return qs.order_by("-is_overdue", "next_due", "-pk")


def case_get_for(*, membership: Membership, case_id: Any) -> LegalCase:
    try:
        return case_scope(membership=membership).select_related("lawyer", "created_by").get(pk=_int(case_id))
    except LegalCase.DoesNotExist:
        raise Http404


def case_timeline(*, case: LegalCase) -> list[Any]:
    return list(case.events.select_related("route", "created_by").order_by("occurred_at", "pk"))


def case_deadlines(*, case: LegalCase) -> QuerySet[Deadline]:
    return case.deadlines.select_related("assigned_to", "route").order_by("done_at", "due_at")


def case_route_get_for(*, membership: Membership, case: LegalCase, route_id: Any) -> Any:
    try:
        return case.routes.get(pk=_int(route_id))
    except case.routes.model.DoesNotExist:
        raise Http404


def deadline_get_for(*, membership: Membership, deadline_id: Any) -> Deadline:
    try:
        return Deadline.objects.select_related("case").get(
            pk=_int(deadline_id), case__in=case_scope(membership=membership)
        )
    except Deadline.DoesNotExist:
        raise Http404


def case_document_get_for(*, membership: Membership, case: LegalCase, document_id: Any) -> Any:
    try:
        return case.documents.select_related("evidence").get(pk=_int(document_id))
    except case.documents.model.DoesNotExist:
        raise Http404


# --------------------------------------------------------------------------- evidence


def evidence_scope(*, membership: Membership) -> QuerySet[EvidenceFile]:
    """Evidence files of incidents the member sees, and of cases the member sees."""
    if membership.role not in (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER):
        return EvidenceFile.objects.none()
    base = EvidenceFile.objects.for_member(membership).filter(deleted_at__isnull=True)
    if membership.role in (Role.ADMIN, Role.COORDINATOR):
        return base
    incidents = _incident_scope(membership).values("pk")
    cases = case_scope(membership=membership).values("pk")
    return base.filter(Q(incident_id__in=incidents) | Q(case_documents__case_id__in=cases)).distinct()


def evidence_get_for(*, membership: Membership, evidence_uid: Any) -> EvidenceFile:
    try:
        return evidence_scope(membership=membership).get(uid=evidence_uid)
    except (EvidenceFile.DoesNotExist, ValueError, ValidationError):
        raise Http404


def incident_evidence(*, membership: Membership, incident: Incident) -> QuerySet[EvidenceFile]:
    return evidence_scope(membership=membership).filter(incident=incident).defer("original_name", "description").order_by("uploaded_at")


def evidence_custody(*, evidence: EvidenceFile) -> QuerySet[CustodyEvent]:
    return CustodyEvent.objects.filter(evidence=evidence).order_by("at", "pk")


# --------------------------------------------------------------------------- security


def security_scope(*, membership: Membership) -> QuerySet[SecurityRecord]:
    if membership.role not in (Role.ADMIN, Role.COORDINATOR):
        return SecurityRecord.objects.none()
    return SecurityRecord.objects.for_member(membership)


def security_list_for(*, membership: Membership) -> QuerySet[SecurityRecord]:
    return (
        security_scope(membership=membership)
        .defer("assessment", *DEFENDER_JOIN_DEFER, *(f"incident__{f}" for f in Incident.SENSITIVE_FIELDS))
        .select_related("incident", "defender", "assigned_to")
        .annotate(measure_count=Count("measures"))
        .order_by("status", "follow_up_on", "-pk")
    )


def security_get_for(*, membership: Membership, record_id: Any) -> SecurityRecord:
    try:
        return security_scope(membership=membership).select_related("incident", "defender", "assigned_to").get(pk=_int(record_id))
    except SecurityRecord.DoesNotExist:
        raise Http404


def defenders_for(*, membership: Membership) -> QuerySet[Person]:
    if membership.role not in (Role.ADMIN, Role.COORDINATOR):
        return Person.objects.none()
    return Person.objects.for_member(membership).filter(is_defender=True).order_by("code_name")


# --------------------------------------------------------------------------- work views


def case_people_codes(*, case_ids: list[int]) -> dict[int, list[str]]:
    """The people's code names of each case, in one query (lists name the case and its people)."""
    from amparo.response.models import CasePerson

    codes: dict[int, list[str]] = {pk: [] for pk in case_ids}
    for case_id, code in CasePerson.objects.filter(case_id__in=case_ids).order_by("person__code_name").values_list(
        "case_id", "person__code_name"
    ):
        codes.setdefault(case_id, []).append(code)
    return codes


def _reminded_activities(membership: Membership, ids: list[int]) -> dict[int, Any]:
    """The activities of commitment reminders that the member may still see (programmes sits above us)."""
    if not ids:
        return {}
    from amparo.programmes.selectors import activity_list_for
    from amparo.programmes.services import RECORDERS

    if membership.role not in RECORDERS:
        return {}
    return {a.pk: a for a in activity_list_for(membership=membership).filter(pk__in=ids)}


@dataclass
class ReminderLine:
    """A reminder with what it is about: the legal case (reference and title) and the people's codes."""

    reminder: Reminder
    what: str = ""
    case: LegalCase | None = None
    incident_reference: str = ""
    people: list[str] = field(default_factory=list)
    url: str = ""


def reminder_lines_for(*, membership: Membership, reminders: list[Reminder]) -> list[ReminderLine]:
    """Name each reminder's case and people. Only what the member may still see is named."""
    from django.urls import reverse

    from amparo.response.models import ReminderKind

    by_kind: dict[str, list[int]] = {}
    for r in reminders:
        by_kind.setdefault(r.kind, []).append(r.object_id)
    cases = case_scope(membership=membership).defer("summary", "perpetrator_details")
    deadlines = {d.pk: d for d in Deadline.objects.filter(pk__in=by_kind.get(ReminderKind.DEADLINE, []), case__in=cases)}
    hearings = {h.pk: h for h in Hearing.objects.filter(pk__in=by_kind.get(ReminderKind.HEARING, []), case__in=cases).defer("place", "result")}
    referrals = {
        r.pk: r
        for r in referral_scope(membership=membership)
        .filter(pk__in=by_kind.get(ReminderKind.REFERRAL_FOLLOW_UP, []))
        .select_related("incident", "person", "service", "lawyer")
        .defer(*REFERRAL_LIST_DEFER)
    }
    security = {
        s.pk: s
        for s in security_scope(membership=membership)
        .filter(pk__in=by_kind.get(ReminderKind.SECURITY_FOLLOW_UP, []))
        .select_related("defender", "incident")
        .defer("assessment", *DEFENDER_JOIN_DEFER, *(f"incident__{f}" for f in Incident.SENSITIVE_FIELDS))
    }
    activities = _reminded_activities(membership, by_kind.get(ReminderKind.COMMITMENT_FOLLOW_UP, []))
    case_ids = {d.case_id for d in deadlines.values()} | {h.case_id for h in hearings.values()}
    case_ids |= {r.legal_case_id for r in referrals.values() if r.legal_case_id}
    case_map = {c.pk: c for c in cases.filter(pk__in=case_ids)}
    people = case_people_codes(case_ids=list(case_map))
    lines = []
    for reminder in reminders:
        line = ReminderLine(reminder=reminder)
        case_id = None
        if reminder.kind == ReminderKind.DEADLINE and reminder.object_id in deadlines:
            deadline = deadlines[reminder.object_id]
            line.what, case_id = deadline.title, deadline.case_id
        elif reminder.kind == ReminderKind.HEARING and reminder.object_id in hearings:
            hearing = hearings[reminder.object_id]
            line.what, case_id = hearing.purpose, hearing.case_id
        elif reminder.kind == ReminderKind.REFERRAL_FOLLOW_UP and reminder.object_id in referrals:
            referral = referrals[reminder.object_id]
            line.what = referral.target_label
            line.incident_reference = referral.incident.reference if referral.incident else ""
            line.people = [referral.person.code_name] if referral.person else []
            line.url = reverse("response:referral_detail", args=[referral.pk])
            case_id = referral.legal_case_id
        elif reminder.kind == ReminderKind.SECURITY_FOLLOW_UP and reminder.object_id in security:
            record = security[reminder.object_id]
            line.incident_reference = record.incident.reference
            line.people = [record.defender.code_name]
            line.url = reverse("response:security_detail", args=[record.pk])
        elif reminder.kind == ReminderKind.COMMITMENT_FOLLOW_UP and reminder.object_id in activities:
            activity = activities[reminder.object_id]
            line.what = " · ".join(x for x in (activity.get_kind_display(), activity.venue.code_name if activity.venue else "") if x)
            line.incident_reference = date_format(activity.held_on, "SHORT_DATE_FORMAT")
            line.url = reverse("programmes:activity_detail", args=[activity.pk])
        if case_id is not None and case_id in case_map:
            line.case = case_map[case_id]
            line.people = line.people or people.get(case_id, [])
            line.url = line.url or reverse("response:case_detail", args=[case_id])
        lines.append(line)
    return lines


@dataclass
class Tasks:
    follow_ups: list[Referral] = field(default_factory=list)
    unanswered: list[Referral] = field(default_factory=list)
    to_answer: list[Referral] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    hearings: list[Hearing] = field(default_factory=list)
    security: list[SecurityRecord] = field(default_factory=list)
    reminders: list[ReminderLine] = field(default_factory=list)
    # Code names of the people of each case named in the lists above.
    case_people: dict[int, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(x) for x in (self.follow_ups, self.unanswered, self.to_answer, self.deadlines, self.hearings, self.security))


# Work lists show the most urgent items first and stop there: a list of hundreds helps nobody.
TASK_LIMIT = 50
OVERDUE_LIMIT = 100


def my_tasks(*, membership: Membership, now: datetime | None = None) -> Tasks:
    """What this user must do: follow-ups, deadlines, hearings, unanswered referrals (most urgent first)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    soon = today + timedelta(days=7)
    user_id = membership.user_id
    referrals = referral_scope(membership=membership).select_related("service", "lawyer", "incident", "person").defer(*REFERRAL_LIST_DEFER)
    tasks = Tasks()
    tasks.follow_ups = list(
        referrals.filter(assigned_to_id=user_id, status__in=OPEN_STATUSES, follow_up_on__lte=soon).order_by("follow_up_on")[:TASK_LIMIT]
    )
    tasks.unanswered = list(
        referrals.filter(
            Q(assigned_to_id=user_id) | Q(created_by_id=user_id),
            status=ReferralStatus.SENT,
            sent_at__lt=now - timedelta(days=conf.UNANSWERED_AFTER_DAYS),
        ).order_by("sent_at")[:TASK_LIMIT]
    )
    if membership.role == Role.LAWYER:
        tasks.to_answer = list(referrals.filter(lawyer_id=user_id, status=ReferralStatus.SENT).order_by("sent_at")[:TASK_LIMIT])
    cases = case_scope(membership=membership)
    tasks.deadlines = list(
        Deadline.objects.filter(case__in=cases, done_at__isnull=True)
        .filter(Q(assigned_to_id=user_id) | Q(assigned_to__isnull=True, case__lawyer_id=user_id))
        .filter(due_at__lte=now + timedelta(days=14))
        .select_related("case")
        .defer(*CASE_BODY_DEFER)
        .order_by("due_at")[:TASK_LIMIT]
    )
    tasks.hearings = list(
        Hearing.objects.filter(case__in=cases, scheduled_at__gte=now, scheduled_at__lte=now + timedelta(days=14))
        .filter(Q(case__lawyer_id=user_id) | Q(created_by_id=user_id))
        .select_related("case")
        .defer("place", "result", *CASE_BODY_DEFER)
        .order_by("scheduled_at")[:TASK_LIMIT]
    )
    tasks.case_people = case_people_codes(case_ids=sorted({d.case_id for d in tasks.deadlines} | {h.case_id for h in tasks.hearings}))
    for deadline in tasks.deadlines:
        deadline.people = tasks.case_people.get(deadline.case_id, [])  # type: ignore[attr-defined]
    for hearing in tasks.hearings:
        hearing.people = tasks.case_people.get(hearing.case_id, [])  # type: ignore[attr-defined]
    tasks.security = list(
        security_scope(membership=membership)
        .filter(assigned_to_id=user_id, follow_up_on__lte=soon)
        .exclude(status=SecurityStatus.CLOSED)
        .select_related("defender")
        .defer("assessment", *DEFENDER_JOIN_DEFER)
        .order_by("follow_up_on")[:TASK_LIMIT]
    )
    tasks.reminders = reminder_lines_for(
        membership=membership,
        reminders=list(
            Reminder.objects.for_member(membership).filter(user_id=user_id, dismissed_at__isnull=True)[:50]
        ),
    )
    return tasks


@dataclass
class CaseLine:
    case: LegalCase
    people: list[str]
    next_deadline: Deadline | None


@dataclass
class WorkHome:
    """What a lawyer finds on her home page: referrals to answer, her open legal cases (title,
    people, next deadline), and her hearings of the coming two weeks."""

    to_answer: list[Referral] = field(default_factory=list)
    cases: list[CaseLine] = field(default_factory=list)
    hearings: list[Hearing] = field(default_factory=list)


def work_home_for(*, membership: Membership, now: datetime | None = None) -> WorkHome | None:
    if membership.role != Role.LAWYER:
        return None
    now = now or timezone.now()
    home = WorkHome()
    home.to_answer = list(
        referral_scope(membership=membership)
        .filter(lawyer_id=membership.user_id, status=ReferralStatus.SENT)
        .select_related("incident", "person")
        .defer(*REFERRAL_LIST_DEFER)
        .order_by("sent_at")[:TASK_LIMIT]
    )
    cases = list(
        case_scope(membership=membership)
        .filter(status=CaseStatus.OPEN)
        .defer("summary", "perpetrator_details")
        .annotate(next_due=Min("deadlines__due_at", filter=Q(deadlines__done_at__isnull=True)))
        .order_by(F("next_due").asc(nulls_last=True), "-pk")[:TASK_LIMIT]
    )
    ids = [c.pk for c in cases]
    people = case_people_codes(case_ids=ids)
    next_deadlines: dict[int, Deadline] = {}
    for deadline in Deadline.objects.filter(case_id__in=ids, done_at__isnull=True).order_by("due_at", "pk"):
        next_deadlines.setdefault(deadline.case_id, deadline)
    home.cases = [CaseLine(case=c, people=people.get(c.pk, []), next_deadline=next_deadlines.get(c.pk)) for c in cases]
    home.hearings = list(
        Hearing.objects.filter(case__in=case_scope(membership=membership), scheduled_at__gte=now,
                               scheduled_at__lte=now + timedelta(days=14))
        .select_related("case")
        .defer("place", "result", *CASE_BODY_DEFER)
        .order_by("scheduled_at")[:TASK_LIMIT]
    )
    return home


@dataclass
class Overdue:
    deadlines: list[Deadline] = field(default_factory=list)
    follow_ups: list[Referral] = field(default_factory=list)
    unanswered: list[Referral] = field(default_factory=list)
    protection_undecided: list[Any] = field(default_factory=list)
    security: list[SecurityRecord] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(x) for x in (self.deadlines, self.follow_ups, self.unanswered, self.protection_undecided, self.security))


def organisation_overdue(*, membership: Membership, now: datetime | None = None) -> Overdue:
    """Everything overdue in the organisation (coordinators and admins only)."""
    if membership.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Http404
    now = now or timezone.now()
    today = timezone.localdate(now)
    org_id = membership.organisation_id
    from amparo.response.models import CaseRoute

    return Overdue(
        deadlines=list(
            _overdue_deadlines(now).filter(organisation_id=org_id).select_related("case", "assigned_to")
            .defer(*CASE_JOIN_DEFER).order_by("due_at")[:OVERDUE_LIMIT]
        ),
        follow_ups=list(
            Referral.objects.filter(organisation_id=org_id, status__in=OPEN_STATUSES, follow_up_on__lt=today)
            .select_related("service", "lawyer", "assigned_to", "incident")
            .defer(*REFERRAL_LIST_DEFER)
            .order_by("follow_up_on")[:OVERDUE_LIMIT]
        ),
        unanswered=list(
            Referral.objects.filter(
                organisation_id=org_id, status=ReferralStatus.SENT,
                sent_at__lt=now - timedelta(days=conf.UNANSWERED_AFTER_DAYS),
            )
            .select_related("service", "lawyer", "assigned_to", "incident")
            .defer(*REFERRAL_LIST_DEFER)
            .order_by("sent_at")[:OVERDUE_LIMIT]
        ),
        protection_undecided=list(
            CaseRoute.objects.filter(
                organisation_id=org_id, route=Route.PROTECTION, stage=Stage.REQUESTED,
                requested_at__lt=now - PROTECTION_DECISION_WINDOW,
            )
            .select_related("case")
            .defer("case_number", "case__title", "case__summary", "case__perpetrator_details")
            .order_by("requested_at")[:OVERDUE_LIMIT]
        ),
        security=list(
            SecurityRecord.objects.filter(organisation_id=org_id, follow_up_on__lt=today)
            .exclude(status=SecurityStatus.CLOSED)
            .select_related("defender", "assigned_to")
            .defer("assessment", *DEFENDER_JOIN_DEFER)
            .order_by("follow_up_on")[:OVERDUE_LIMIT]
        ),
    )


@dataclass
class Duration:
    count: int
    median_hours: float | None
    p90_hours: float | None


def _duration(hours: list[float]) -> Duration:
    if not hours:
        return Duration(0, None, None)
    hours.sort()
    p90 = hours[min(len(hours) - 1, int(round(0.9 * (len(hours) - 1))))]
    return Duration(len(hours), round(statistics.median(hours), 1), round(p90, 1))


@dataclass
class ResponseTimes:
    since: datetime
    incident_to_first_action: Duration
    referral_to_completion: Duration
    referral_to_answer: Duration
    open_referrals: int
    open_cases: int


def response_times(*, membership: Membership, days: int = 365, now: datetime | None = None) -> ResponseTimes:
    """How fast the organisation acts: incident → first referral, case or security record; referral → completion."""
    if membership.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Http404
    now = now or timezone.now()
    since = now - timedelta(days=days)
    org_id = membership.organisation_id
    incidents = Incident.objects.filter(organisation_id=org_id, created_at__gte=since).annotate(
        first_referral=Min("referrals__created_at"),
        first_case=Min("case_links__case__created_at"),
        first_security=Min("security_records__created_at"),
    ).values_list("created_at", "first_referral", "first_case", "first_security")
    first_action = []
    for created, *actions in incidents:
        times = [t for t in actions if t is not None]
        if times:
            first_action.append(max(0.0, (min(times) - created).total_seconds() / 3600))
    referrals = Referral.objects.filter(organisation_id=org_id, created_at__gte=since)
    completion = [
        (done - created).total_seconds() / 3600
        for created, done in referrals.filter(completed_at__isnull=False).values_list("created_at", "completed_at")
        if done is not None
    ]
    answer = [
        (answered - sent).total_seconds() / 3600
        for sent, answered in referrals.filter(answered_at__isnull=False, sent_at__isnull=False).values_list("sent_at", "answered_at")
        if sent is not None and answered is not None
    ]
    return ResponseTimes(
        since=since,
        incident_to_first_action=_duration(first_action),
        referral_to_completion=_duration(completion),
        referral_to_answer=_duration(answer),
        open_referrals=Referral.objects.filter(organisation_id=org_id, status__in=OPEN_STATUSES).count(),
        open_cases=LegalCase.objects.filter(organisation_id=org_id, status=CaseStatus.OPEN).count(),
    )
