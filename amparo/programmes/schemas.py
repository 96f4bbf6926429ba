"""JSON shapes of the Programmes API.

Input is strict (amparo.lib.inputs.StrictIn): unknown fields refused, text, dates and numbers
through the one vocabulary, every closed set an enum in the OpenAPI schema. Counts are whole
numbers, never people.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StrictInt, WithJsonSchema

from amparo.lib.inputs import StrictIn
from amparo.programmes.models import (
    ActivityKind,
    InstitutionKind,
    Measure,
    ProgrammeKind,
    VenueKind,
)

Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
# A number in the schema (Decimal would also document a free string): 0–100, one decimal at most.
Score = Annotated[Decimal, Field(ge=0, le=100, max_digits=4, decimal_places=1),
                  WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100, "description": "0–100, one decimal at most"})]
DistrictCode = Annotated[str, Field(pattern=r"^\d{6}$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


# ---- programmes and indicators -------------------------------------------------------------------


class ProgrammeIn(StrictIn):
    kind: ProgrammeKind = ProgrammeKind.GRANT
    name: Name
    funder: str = Field("", max_length=200)
    starts_on: date
    ends_on: date


class ProgrammePatch(StrictIn):
    kind: ProgrammeKind | None = None
    name: Name | None = None
    funder: str | None = Field(None, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None


class IndicatorIn(StrictIn):
    name: Name
    measure: Measure
    activity_kind: ActivityKind | Literal[""] = ""
    target: StrictInt = Field(ge=1, le=100_000_000)
    starts_on: date | None = None
    ends_on: date | None = None
    venue_id: Id | None = None


class IndicatorOut(Schema):
    id: int
    programme_id: int
    name: str
    measure: Measure
    activity_kind: ActivityKind | Literal[""]
    target: int
    starts_on: date
    ends_on: date
    venue_id: int | None
    standard: str


class SiteOut(Schema):
    venue: str  # the venue's code name, or "street"
    value: int | None  # null when withheld (small health counts)
    display: str


class ProgressOut(Schema):
    indicator: IndicatorOut
    value: int | None  # null when withheld (small health counts)
    display: str
    percent: int | None
    projected: int | None
    projected_percent: int | None
    on_track: bool | None
    met: bool | None
    sites: list[SiteOut]


class ProgrammeOut(Schema):
    id: int
    kind: ProgrammeKind
    name: str
    funder: str
    starts_on: date
    ends_on: date
    progress: list[ProgressOut]


# ---- venues --------------------------------------------------------------------------------------


class VenueIn(StrictIn):
    code_name: str = Field(min_length=1, max_length=60)
    kind: VenueKind
    district: DistrictCode
    address: str = Field("", max_length=300)
    contact: str = Field("", max_length=300)


class VenueOut(Schema):
    id: int
    code_name: str
    kind: VenueKind
    district: str
    is_active: bool
    # Sealed: given to planners only, null for everyone else.
    address: str | None
    contact: str | None


# ---- activities ----------------------------------------------------------------------------------


class _ActivityCounts(StrictIn):
    participants_sex_workers: Count = 0
    participants_trans_women: Count = 0
    participants_police: Count = 0
    participants_health_staff: Count = 0
    participants_officials: Count = 0
    participants_other: Count = 0
    condoms: Count = 0
    lubricants: Count = 0
    leaflets: Count = 0
    tests_done: Count = 0
    tests_reactive: Count = 0
    tests_confirmed: Count = 0
    linked_to_care: Count = 0
    scored_participants: Count = 0


class ActivityIn(_ActivityCounts):
    kind: ActivityKind
    held_on: date
    programme_id: Id | None = None
    venue_id: Id | None = None
    # Blank: the venue's district.
    district: DistrictCode | None = None
    facilitator_ids: list[Id] = Field(default_factory=list, max_length=50)
    institution_kind: InstitutionKind = InstitutionKind.NONE
    institution: str = Field("", max_length=300)
    pre_score_average: Score | None = None
    post_score_average: Score | None = None
    commitments: str = Field("", max_length=2000)
    follow_up_on: date | None = None
    notes: str = Field("", max_length=2000)


class ActivityPatch(StrictIn):
    """Only the fields given change; the whole activity is checked again as when it was recorded."""

    kind: ActivityKind | None = None
    held_on: date | None = None
    programme_id: Id | None = None
    venue_id: Id | None = None
    district: DistrictCode | None = None
    facilitator_ids: list[Id] | None = Field(None, max_length=50)
    institution_kind: InstitutionKind | None = None
    institution: str | None = Field(None, max_length=300)
    participants_sex_workers: Count | None = None
    participants_trans_women: Count | None = None
    participants_police: Count | None = None
    participants_health_staff: Count | None = None
    participants_officials: Count | None = None
    participants_other: Count | None = None
    condoms: Count | None = None
    lubricants: Count | None = None
    leaflets: Count | None = None
    tests_done: Count | None = None
    tests_reactive: Count | None = None
    tests_confirmed: Count | None = None
    linked_to_care: Count | None = None
    scored_participants: Count | None = None
    pre_score_average: Score | None = None
    post_score_average: Score | None = None
    commitments: str | None = Field(None, max_length=2000)
    follow_up_on: date | None = None
    notes: str | None = Field(None, max_length=2000)


class ActivityOut(Schema):
    id: int
    programme_id: int | None
    kind: ActivityKind
    held_on: date
    district: str
    venue_id: int | None
    institution_kind: InstitutionKind
    participants_sex_workers: int
    participants_trans_women: int
    participants_police: int
    participants_health_staff: int
    participants_officials: int
    participants_other: int
    condoms: int
    lubricants: int
    leaflets: int
    tests_done: int
    tests_reactive: int
    tests_confirmed: int
    linked_to_care: int
    scored_participants: int
    pre_score_average: float | None
    post_score_average: float | None
    follow_up_on: date | None
    recorded_by_id: int
    created_at: datetime


class ActivityDetailOut(ActivityOut):
    facilitator_ids: list[int]
    institution: str
    commitments: str
    notes: str
