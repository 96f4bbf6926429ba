from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field, StrictInt

from amparo.alerts.lib.detention import Standing
from amparo.alerts.models import (
    AlarmKind,
    AlarmSource,
    AlarmStatus,
    AlertKind,
    AlertStatus,
    Channel,
    DetentionBasis,
    LegalBasis,
    Severity,
)
from amparo.lib.inputs import StrictIn as Strict

RegionCode = Annotated[str, Field(pattern=r"^\d{2}$")]


class AlarmIn(Strict):
    kind: AlarmKind
    district: str | None = Field(default=None, pattern=r"^\d{6}$")
    place: str = Field(default="", max_length=300)
    police_station: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    people_count: StrictInt = Field(default=1, ge=1, le=500)


class AlarmOut(Schema):
    id: int
    uuid: UUID
    kind: AlarmKind
    source: AlarmSource
    status: AlarmStatus
    district: str | None = Field(None, alias="district_id")
    people_count: int
    raised_at: datetime
    escalation_step: int
    acknowledged_at: datetime | None
    closed_at: datetime | None
    incident: int | None = Field(None, alias="incident_id")


class AlarmDetailOut(AlarmOut):
    place: str
    police_station: str
    description: str
    contact: str


class AckOut(Schema):
    alarm: int = Field(alias="alarm_id")
    membership: int = Field(alias="membership_id")
    at: datetime


class DetainedIn(Strict):
    code_name: str = Field(max_length=60)
    since: datetime
    held_at: str = Field(default="", max_length=300)
    basis: DetentionBasis = DetentionBasis.UNKNOWN
    distance_hours: StrictInt = Field(default=0, ge=0, le=240)
    notes: str = Field(default="", max_length=2000)


class ReleaseIn(Strict):
    released_at: datetime


class DetainedOut(Schema):
    id: int
    alarm: int
    code_name: str
    held_at: str
    basis: DetentionBasis
    since: datetime
    released_at: datetime | None
    deadline: datetime
    standing: Standing


class AlertIn(Strict):
    kind: AlertKind
    region: RegionCode
    report: str = Field(min_length=1, max_length=2000)
    severity: Severity = Severity.WARNING
    perpetrator_description: str = Field(default="", max_length=400)
    vehicle: str = Field(default="", max_length=200)
    area: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    plate: str = Field(default="", max_length=20)
    expires_at: datetime | None = None
    incident: StrictInt | None = Field(default=None, ge=1, le=2**63 - 1, description="Id of the incident the alert comes from")


class PublishIn(Strict):
    title: str = Field(max_length=120)
    public_text: str = Field(max_length=600)
    legal_basis: LegalBasis
    legal_reason: str = Field(max_length=600)
    perpetrator_description: str | None = Field(default=None, max_length=400)
    vehicle: str | None = Field(default=None, max_length=200)
    area: str | None = Field(default=None, max_length=200)
    severity: Severity | None = None
    expires_at: datetime | None = None


class WithdrawIn(Strict):
    reason: str = Field(max_length=600)


class AlertOut(Schema):
    id: int
    uuid: UUID
    kind: AlertKind
    severity: Severity
    status: AlertStatus
    region: str = Field(alias="region_id")
    title: str
    public_text: str
    perpetrator_description: str
    vehicle: str
    area: str
    legal_basis: LegalBasis | Literal[""]
    expires_at: datetime
    published_at: datetime | None
    withdrawn_at: datetime | None
    incident: int | None = Field(None, alias="source_incident_id")


class LookupIn(Strict):
    phone: str = Field(default="", max_length=40)
    plate: str = Field(default="", max_length=20)


class LookupMatch(Schema):
    uuid: UUID
    title: str
    severity: Severity
    region: str = Field(alias="region_id")
    published_at: datetime | None
    expires_at: datetime


class LookupOut(Schema):
    found: bool
    matches: list[LookupMatch]


class SubscribeIn(Strict):
    channel: Channel
    address: Annotated[str, Field(max_length=500)] | dict = Field(description="Email, phone number, or the browser's PushSubscription JSON")
    regions: list[RegionCode] = Field(min_length=1, max_length=30)
    language: Literal["es", "en"] = "es"


class SubscribeOut(Schema):
    needs_confirmation: bool


class TokenIn(Strict):
    token: str = Field(max_length=500)


class PublicAlertOut(Schema):
    uuid: UUID
    kind: AlertKind
    severity: Severity
    title: str
    public_text: str
    perpetrator_description: str
    vehicle: str
    area: str
    published_at: datetime | None
    expires_at: datetime
