"""JSON shapes of the Response API.

Input is strict (amparo.lib.inputs.StrictIn): unknown fields refused, text, dates and numbers
through the one vocabulary, every closed set an enum in the OpenAPI schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from amparo.lib.inputs import StrictIn
from amparo.response.lib.deadlines import Unit
from amparo.response.lib.directory import Language, Need, ServiceKind
from amparo.response.lib.procedure import Outcome, Route, Stage
from amparo.response.lib.referral_flow import ReferralStatus
from amparo.response.models import (
    CaseEventKind,
    CaseStatus,
    ConsentMethod,
    DocumentKind,
    MeasureKind,
    RiskLevel,
    SecurityStatus,
    VerificationStatus,
)

Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
DepartmentCode = Annotated[str, Field(pattern=r"^(\d{2})?$")]


class ServiceStatsOut(Schema):
    referrals: int
    completed: int
    declined: int
    rated: int
    average_rating: float | None
    respectful: int


class ServiceOut(Schema):
    id: int
    national: bool
    code: str
    kind: ServiceKind
    name: str
    description: str
    department: str | None
    address: str
    hours: str
    phone: str
    email: str
    languages: list[str]
    needs: list[str]
    trans_friendly: bool
    treats_sex_workers_well: bool
    last_checked_on: date | None
    verification: VerificationStatus
    sources: list[str]
    stats: ServiceStatsOut | None = None


class ServiceIn(StrictIn):
    kind: ServiceKind
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    department: DepartmentCode = ""
    address: str = Field("", max_length=200)
    hours: str = Field("", max_length=120)
    phone: str = Field("", max_length=60)
    email: str = Field("", max_length=254)
    languages: list[Language] = Field(default_factory=list, max_length=len(Language))
    needs: list[Need] = Field(default_factory=list, max_length=len(Need))
    trans_friendly: StrictBool = False
    treats_sex_workers_well: StrictBool = False
    last_checked_on: date | None = None
    notes: str = Field("", max_length=2000)
    lawyer_id: Id | None = None


class ReferralIn(StrictIn):
    incident_id: Id | None = None
    person_id: Id | None = None
    service_id: Id | None = None
    lawyer_id: Id | None = None
    need: Need | Literal[""] = ""
    consent_given: StrictBool = False
    consent_method: ConsentMethod | Literal[""] = ""
    shares_identifying_data: StrictBool = True
    note: str = Field("", max_length=4000)
    follow_up_on: date | None = None
    assigned_to_id: Id | None = None


class ReferralStatusIn(StrictIn):
    status: ReferralStatus
    outcome: str = Field("", max_length=4000)
    follow_up_on: date | None = None


class FeedbackIn(StrictIn):
    rating: StrictInt = Field(ge=1, le=5)
    respectful: StrictBool | None = None
    comment: str = Field("", max_length=4000)


class ReferralOut(Schema):
    id: int
    status: ReferralStatus
    incident_id: int | None
    incident_reference: str | None
    person_id: int | None
    service_id: int | None
    lawyer_id: int | None
    need: Need | Literal[""]
    consent_given: bool
    shares_identifying_data: bool
    follow_up_on: date | None
    assigned_to_id: int | None
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    completed_at: datetime | None
    feedback_rating: int | None


class ReferralDetailOut(ReferralOut):
    note: str
    outcome: str
    feedback_respectful: bool | None
    feedback_comment: str


class CaseIn(StrictIn):
    title: str = Field(min_length=1, max_length=200)
    incident_ids: list[Id] = Field(default_factory=list, max_length=100)
    person_ids: list[Id] = Field(default_factory=list, max_length=100)
    lawyer_id: Id | None = None
    summary: str = Field("", max_length=20000)
    perpetrator_details: str = Field("", max_length=4000)
    opened_on: date | None = None


class RouteIn(StrictIn):
    route: Route
    stage: Stage
    forum: str = Field("", max_length=160)
    case_number: str = Field("", max_length=120)
    started_on: date | None = None
    requested_at: datetime | None = None


class StageIn(StrictIn):
    stage: Stage
    occurred_at: datetime | None = None
    note: str = Field("", max_length=4000)
    outcome: Outcome = Outcome.PENDING
    in_force_until: date | None = None


class DeadlineIn(StrictIn):
    title: str = Field(min_length=1, max_length=160)
    due_at: datetime | None = None
    amount: StrictInt | None = Field(default=None, ge=0, le=3650, description="Hours or days, with `unit`, when `due_at` is not given.")
    unit: Unit | Literal[""] = ""
    counted_from: datetime | None = None
    assigned_to_id: Id | None = None
    route_id: Id | None = None


class HearingIn(StrictIn):
    scheduled_at: datetime
    place: str = Field("", max_length=300)
    purpose: str = Field("", max_length=160)
    route_id: Id | None = None


class EventIn(StrictIn):
    kind: Literal["note", "filing"] = "note"
    occurred_at: datetime
    description: str = Field(min_length=1, max_length=8000)
    route_id: Id | None = None


class CloseIn(StrictIn):
    outcome: Outcome


class RouteOut(Schema):
    id: int
    route: Route
    stage: Stage
    forum: str
    started_on: date
    requested_at: datetime | None
    decided_at: datetime | None
    in_force_until: date | None
    outcome: Outcome
    next_stages: list[Stage]


class DeadlineOut(Schema):
    id: int
    case_id: int
    title: str
    due_at: datetime
    done_at: datetime | None
    overdue: bool
    assigned_to_id: int | None


class HearingOut(Schema):
    id: int
    scheduled_at: datetime
    purpose: str
    held: bool | None


class EventOut(Schema):
    id: int
    kind: CaseEventKind
    occurred_at: datetime
    stage: Stage | Literal[""]
    route_id: int | None
    description: str


class DocumentOut(Schema):
    id: int
    kind: DocumentKind
    evidence_uid: str
    sha256_original: str
    sha256_stored: str
    metadata_stripped: bool
    added_at: datetime


class CaseOut(Schema):
    id: int
    reference: str
    status: CaseStatus
    outcome: Outcome
    lawyer_id: int | None
    opened_on: date
    overdue: bool
    next_due: datetime | None


class CaseDetailOut(CaseOut):
    title: str
    summary: str
    perpetrator_details: str
    perpetrator_codes: list[str]
    incident_ids: list[int]
    person_ids: list[int]
    routes: list[RouteOut]
    deadlines: list[DeadlineOut]
    hearings: list[HearingOut]
    timeline: list[EventOut]
    documents: list[DocumentOut]


class SecurityIn(StrictIn):
    incident_id: Id
    defender_id: Id
    risk_level: RiskLevel = RiskLevel.MEDIUM
    assessment: str = Field("", max_length=8000)
    follow_up_on: date | None = None


class MeasureIn(StrictIn):
    kind: MeasureKind
    description: str = Field("", max_length=4000)
    taken_on: date | None = None


class MeasureOut(Schema):
    id: int
    kind: MeasureKind
    taken_on: date
    description: str


class SecurityOut(Schema):
    id: int
    incident_id: int
    defender_id: int
    risk_level: RiskLevel
    status: SecurityStatus
    follow_up_on: date | None
    measures: list[MeasureOut] = []


class TasksOut(Schema):
    follow_ups: list[ReferralOut]
    unanswered: list[ReferralOut]
    to_answer: list[ReferralOut]
    deadlines: list[DeadlineOut]
    hearings: list[HearingOut]


class DurationOut(Schema):
    count: int
    median_hours: float | None
    p90_hours: float | None


class ResponseTimesOut(Schema):
    since: datetime
    incident_to_first_action: DurationOut
    referral_to_answer: DurationOut
    referral_to_completion: DurationOut
    open_referrals: int
    open_cases: int


class OverdueOut(Schema):
    deadlines: list[DeadlineOut]
    follow_ups: list[ReferralOut]
    unanswered: list[ReferralOut]
    protection_undecided_case_ids: list[int]
    security_record_ids: list[int]
