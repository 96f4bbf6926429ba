"""JSON shapes of the Response API. Input is strict: unknown fields are refused."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


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
    kind: str
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
    verification: str
    sources: list[str]
    stats: ServiceStatsOut | None = None


class ServiceIn(StrictIn):
    kind: str
    name: str = Field(max_length=200)
    description: str = Field("", max_length=4000)
    department: str = Field("", max_length=2)
    address: str = Field("", max_length=200)
    hours: str = Field("", max_length=120)
    phone: str = Field("", max_length=60)
    email: str = Field("", max_length=254)
    languages: list[str] = []
    needs: list[str] = []
    trans_friendly: bool = False
    treats_sex_workers_well: bool = False
    last_checked_on: date | None = None
    notes: str = Field("", max_length=2000)
    lawyer_id: int | None = None


class ReferralIn(StrictIn):
    incident_id: int | None = None
    person_id: int | None = None
    service_id: int | None = None
    lawyer_id: int | None = None
    need: str = ""
    consent_given: bool = False
    consent_method: str = ""
    shares_identifying_data: bool = True
    note: str = Field("", max_length=4000)
    follow_up_on: date | None = None
    assigned_to_id: int | None = None


class ReferralStatusIn(StrictIn):
    status: str
    outcome: str = Field("", max_length=4000)
    follow_up_on: date | None = None


class FeedbackIn(StrictIn):
    rating: int
    respectful: bool | None = None
    comment: str = Field("", max_length=4000)


class ReferralOut(Schema):
    id: int
    status: str
    incident_id: int | None
    incident_reference: str | None
    person_id: int | None
    service_id: int | None
    lawyer_id: int | None
    need: str
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
    title: str = Field(max_length=200)
    incident_ids: list[int] = []
    person_ids: list[int] = []
    lawyer_id: int | None = None
    summary: str = Field("", max_length=20000)
    perpetrator_details: str = Field("", max_length=4000)
    opened_on: date | None = None


class RouteIn(StrictIn):
    route: str
    stage: str
    forum: str = Field("", max_length=160)
    case_number: str = Field("", max_length=120)
    started_on: date | None = None
    requested_at: datetime | None = None


class StageIn(StrictIn):
    stage: str
    occurred_at: datetime | None = None
    note: str = Field("", max_length=4000)
    outcome: str = ""
    in_force_until: date | None = None


class DeadlineIn(StrictIn):
    title: str = Field(max_length=160)
    due_at: datetime | None = None
    amount: int | None = None
    unit: str = ""
    counted_from: datetime | None = None
    assigned_to_id: int | None = None
    route_id: int | None = None


class HearingIn(StrictIn):
    scheduled_at: datetime
    place: str = Field("", max_length=300)
    purpose: str = Field("", max_length=160)
    route_id: int | None = None


class EventIn(StrictIn):
    kind: str = "note"
    occurred_at: datetime
    description: str = Field(max_length=8000)
    route_id: int | None = None


class CloseIn(StrictIn):
    outcome: str


class RouteOut(Schema):
    id: int
    route: str
    stage: str
    forum: str
    started_on: date
    requested_at: datetime | None
    decided_at: datetime | None
    in_force_until: date | None
    outcome: str
    next_stages: list[str]


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
    kind: str
    occurred_at: datetime
    stage: str
    route_id: int | None
    description: str


class DocumentOut(Schema):
    id: int
    kind: str
    evidence_uid: str
    sha256_original: str
    sha256_stored: str
    metadata_stripped: bool
    added_at: datetime


class CaseOut(Schema):
    id: int
    reference: str
    status: str
    outcome: str
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
    incident_id: int
    defender_id: int
    risk_level: str = "medium"
    assessment: str = Field("", max_length=8000)
    follow_up_on: date | None = None


class MeasureIn(StrictIn):
    kind: str
    description: str = Field("", max_length=4000)
    taken_on: date | None = None


class MeasureOut(Schema):
    id: int
    kind: str
    taken_on: date
    description: str


class SecurityOut(Schema):
    id: int
    incident_id: int
    defender_id: int
    risk_level: str
    status: str
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
