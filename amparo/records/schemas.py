"""Strict JSON shapes for the records API.

Input schemas forbid unknown keys, cap every string, take enums from the models' TextChoices
and refuse JSON of the wrong type (no "3" for 3, no "yes" for true). Vocabulary codes,
districts and dates in the future are checked by the services, which own those rules.
Output schemas are built field by field in `api.py`: sealed fields appear only under
`sensitive`, only on detail endpoints, and only when asked for.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, ClassVar

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from amparo.lib.inputs import StrictIn
from amparo.records.models import (
    AgeBand,
    DatePrecision,
    GenderIdentity,
    Harm,
    IdDocumentType,
    IncidentOrigin,
    IncidentStatus,
    MigrantStatus,
    Nationality,
    PersonRole,
    Reliability,
    WorkSetting,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The declared format is this pattern, not OpenAPI's "time" (RFC 3339 wants a UTC offset,
# while incidents keep the local time in Lima as the person said it).
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"
_ISO_TIME = re.compile(TIME_PATTERN)
_TIME_SCHEMA = {"type": "string", "pattern": TIME_PATTERN, "description": "Local time in Lima, HH:MM or HH:MM:SS.", "examples": ["22:30"]}


def _iso_date(value: Any) -> Any:
    # Lax pydantic would also take a Unix timestamp or a datetime string for a date.
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError("date_format", _("Give the date as YYYY-MM-DD."))
    return value


def _iso_time(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, str) or not _ISO_TIME.match(value):
        raise PydanticCustomError("time_format", _("Give the time as HH:MM."))
    return value


JsonDate = Annotated[date, BeforeValidator(_iso_date)]
# Years 1990–2100: the bounds of every date of amparo.lib.inputs.StrictIn.
IncidentDate = JsonDate
JsonTime = Annotated[time, BeforeValidator(_iso_time), WithJsonSchema(_TIME_SCHEMA)]
LocalTime = Annotated[time, WithJsonSchema(_TIME_SCHEMA)]
# Vocabulary codes: whether the code exists is the service's question.
Code = Annotated[StrictStr, Field(min_length=1, max_length=48, pattern=r"^[a-z0-9_]+$")]
DepartmentCode = Annotated[StrictStr, Field(pattern=r"^\d{2}$")]
DistrictCode = Annotated[StrictStr, Field(pattern=r"^\d{6}$")]
# Ids fit a signed 64-bit column; larger numbers are refused before they reach the database.
RecordId = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]


def _text(max_length: int) -> Any:
    return Field(default="", max_length=max_length)


class NoExplicitNull(StrictIn):
    """For partial updates: a key may be left out, but only the fields in NULLABLE may be null."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise PydanticCustomError("null", _("This field cannot be empty."))
        return value


# ---- incidents -------------------------------------------------------------------------------


class IncidentFilterIn(StrictIn):
    date_from: JsonDate | None = None
    date_to: JsonDate | None = None
    department: DepartmentCode | None = None
    violation: Code | None = None
    perpetrator: Code | None = None
    status: IncidentStatus | None = None
    q: str = Field(default="", max_length=24)
    limit: int = Field(default=25, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000_000)

    @field_validator("date_to")
    @classmethod
    def _range(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value and start and start > value:
            raise PydanticCustomError("date_range", _("The start date is after the end date."))
        return value


class IncidentIn(StrictIn):
    occurred_on: IncidentDate
    date_precision: DatePrecision = DatePrecision.DAY
    occurred_time: JsonTime | None = None
    department: DepartmentCode | None = None
    district: DistrictCode | None = None
    place_type: Code | None = None
    violations: list[Code] = Field(min_length=1, max_length=40)
    perpetrators: list[Code] = Field(default_factory=list, max_length=40)
    perpetrator_details: StrictStr = _text(2000)
    narrative: StrictStr = _text(20000)
    people_affected: StrictInt = Field(default=1, ge=1, le=10000)
    source: Code | None = None
    reliability: Reliability = Reliability.UNKNOWN
    consent_store: StrictBool
    consent_share_stats: StrictBool = False
    consent_legal_action: StrictBool = False
    consent_contact: StrictBool = False
    contact_preference: StrictStr = _text(500)
    person_ids: list[RecordId] = Field(default_factory=list, max_length=100)

    @field_validator("district")
    @classmethod
    def _district_in_department(cls, value: str | None, info: ValidationInfo) -> str | None:
        department = info.data.get("department")
        if value and department and not value.startswith(department):
            raise PydanticCustomError("district_region", _("That district is not in the chosen region."))
        return value


class IncidentPatch(NoExplicitNull):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"occurred_time", "district", "place_type", "source", "assigned_to"})

    occurred_on: IncidentDate | None = None
    date_precision: DatePrecision | None = None
    occurred_time: JsonTime | None = None
    district: DistrictCode | None = None
    place_type: Code | None = None
    violations: list[Code] | None = Field(default=None, min_length=1, max_length=40)
    perpetrators: list[Code] | None = Field(default=None, max_length=40)
    perpetrator_details: StrictStr | None = Field(default=None, max_length=2000)
    narrative: StrictStr | None = Field(default=None, max_length=20000)
    people_affected: StrictInt | None = Field(default=None, ge=1, le=10000)
    source: Code | None = None
    reliability: Reliability | None = None
    consent_store: StrictBool | None = None
    consent_share_stats: StrictBool | None = None
    consent_legal_action: StrictBool | None = None
    consent_contact: StrictBool | None = None
    contact_preference: StrictStr | None = Field(default=None, max_length=500)
    # Coordinators and admins only, as on the incident page.
    status: IncidentStatus | None = None
    assigned_to: RecordId | None = None


class TermRef(Schema):
    code: str


class PlaceOut(Schema):
    code: str
    name: str


class IncidentSummaryOut(Schema):
    id: int
    reference: str
    status: IncidentStatus
    origin: IncidentOrigin
    occurred_on: date
    date_precision: DatePrecision
    department: PlaceOut | None
    district: PlaceOut | None
    place_type: str | None
    violations: list[str]
    perpetrators: list[str]
    involves_state_agent: bool
    people_affected: int
    reliability: Reliability
    created_by: int | None
    assigned_to: int | None
    created_at: datetime
    updated_at: datetime


class IncidentPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[IncidentSummaryOut]


class IncidentPersonOut(Schema):
    id: int
    code_name: str
    role: PersonRole
    harms: list[Harm] = Field(default_factory=list, description="What happened to this person.")


class IncidentSensitiveOut(Schema):
    narrative: str
    perpetrator_details: str
    contact_preference: str


class IncidentDetailOut(IncidentSummaryOut):
    occurred_time: LocalTime | None
    province: PlaceOut | None
    source: str | None
    consent_store: bool
    consent_share_stats: bool
    consent_legal_action: bool
    consent_contact: bool
    consent_recorded_at: datetime | None
    people: list[IncidentPersonOut]
    sensitive: IncidentSensitiveOut | None = Field(
        description="Decrypted narrative and descriptors; only with ?reveal=true, and every reveal is audited."
    )


# ---- people ---------------------------------------------------------------------------------


class PersonFilterIn(StrictIn):
    q: str = Field(default="", max_length=60)
    limit: int = Field(default=25, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class PersonIn(StrictIn):
    code_name: StrictStr = Field(min_length=1, max_length=60)
    chosen_name: StrictStr = _text(200)
    legal_name: StrictStr = _text(200)
    id_document_type: IdDocumentType = IdDocumentType.NONE
    id_number: StrictStr = _text(40)
    phone: StrictStr = _text(40)
    safe_contact: StrictStr = _text(500)
    address: StrictStr = _text(500)
    hiv_status: StrictStr = _text(100)
    gender_identity: GenderIdentity = GenderIdentity.NOT_SAID
    age_band: AgeBand = AgeBand.NOT_SAID
    nationality: Nationality = Nationality.NOT_SAID
    migrant_status: MigrantStatus = MigrantStatus.NOT_SAID
    work_setting: WorkSetting = WorkSetting.NOT_SAID
    is_defender: StrictBool = False

    @field_validator("code_name")
    @classmethod
    def _code_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise PydanticCustomError("blank", _("Give the person a code name."))
        return value


class PersonPatch(NoExplicitNull):
    code_name: StrictStr | None = Field(default=None, min_length=1, max_length=60)
    chosen_name: StrictStr | None = Field(default=None, max_length=200)
    legal_name: StrictStr | None = Field(default=None, max_length=200)
    id_document_type: IdDocumentType | None = None
    id_number: StrictStr | None = Field(default=None, max_length=40)
    phone: StrictStr | None = Field(default=None, max_length=40)
    safe_contact: StrictStr | None = Field(default=None, max_length=500)
    address: StrictStr | None = Field(default=None, max_length=500)
    hiv_status: StrictStr | None = Field(default=None, max_length=100)
    gender_identity: GenderIdentity | None = None
    age_band: AgeBand | None = None
    nationality: Nationality | None = None
    migrant_status: MigrantStatus | None = None
    work_setting: WorkSetting | None = None
    is_defender: StrictBool | None = None

    @field_validator("code_name")
    @classmethod
    def _code_name(cls, value: str | None) -> str | None:
        if value is not None:
            value = value.strip()
            if not value:
                raise PydanticCustomError("blank", _("Give the person a code name."))
        return value


class PersonLookupIn(StrictIn):
    """Phone and ID number travel in the body, never in the URL, so they stay out of access logs."""

    phone: StrictStr = _text(40)
    id_number: StrictStr = _text(40)

    @model_validator(mode="after")
    def _one_of(self) -> PersonLookupIn:
        if not self.phone.strip() and not self.id_number.strip():
            raise PydanticCustomError("required", _("Give a phone number or an ID number."))
        return self


class IncidentPersonIn(StrictIn):
    """Link a person already recorded (person_id) or a new one (person) to an incident."""

    person_id: RecordId | None = None
    person: PersonIn | None = None
    role: PersonRole = PersonRole.VICTIM
    harms: list[Harm] = Field(default_factory=list, max_length=len(Harm.values), description="What happened to this person.")

    @model_validator(mode="after")
    def _exactly_one(self) -> IncidentPersonIn:
        if (self.person_id is None) == (self.person is None):
            raise PydanticCustomError("one_of", _("Give either person_id or person, not both."))
        return self


class PersonSummaryOut(Schema):
    id: int
    code_name: str
    gender_identity: GenderIdentity
    age_band: AgeBand
    nationality: Nationality
    migrant_status: MigrantStatus
    work_setting: WorkSetting
    is_defender: bool
    created_at: datetime
    updated_at: datetime


class PersonPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[PersonSummaryOut]


class PersonIncidentOut(Schema):
    id: int
    reference: str
    occurred_on: date
    status: IncidentStatus


class PersonSensitiveOut(Schema):
    chosen_name: str
    legal_name: str
    id_document_type: IdDocumentType
    id_number: str
    phone: str
    safe_contact: str
    address: str
    hiv_status: str


class PersonDetailOut(PersonSummaryOut):
    incidents: list[PersonIncidentOut]
    sensitive: PersonSensitiveOut | None = Field(
        description="Decrypted identity; only with ?reveal=true, and every reveal is audited."
    )


class IncidentPersonLinkOut(Schema):
    person: PersonSummaryOut
    role: PersonRole
    harms: list[Harm] = Field(default_factory=list)
    matched_existing: bool = Field(description="True when a new person's phone or ID number matched someone already recorded.")
