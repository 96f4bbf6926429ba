"""JSON shapes of the public intake API (strict: unknown fields and wrong types are refused)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StrictBool

from amparo.intake.models import Report, ReportMessage
from amparo.lib.inputs import StrictIn as Strict

# Vocabulary codes; whether they exist is the form's question.
Code = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z0-9_]+$")]


class ChallengeOut(Schema):
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str


class ChoiceOut(Schema):
    code: str
    label: str


class FormOptionsOut(Schema):
    violations: list[ChoiceOut]
    perpetrators: list[ChoiceOut]
    departments: list[ChoiceOut]
    date_precisions: list[ChoiceOut]
    reporters: list[ChoiceOut]
    max_files: int
    max_narrative_chars: int


class PublicDistrictOut(Schema):
    code: str
    name: str
    label: str


class FileIn(Strict):
    name: str = Field("", max_length=200)
    content_base64: str = Field(..., max_length=3_000_000)


class ReportIn(Strict):
    pow: str = Field(..., max_length=2000, description="Base64 JSON solution of a challenge from .../challenge (ALTCHA scheme).")
    violations: list[Code] = Field(..., min_length=1, max_length=40)
    occurred_on: datetime.date | None = None
    date_precision: Report.Precision | Literal[""] = ""
    department: str = Field("", max_length=4, description="INEI department code, 'none' for 'prefer not to say', or empty.")
    district: str = Field("", max_length=120, description="District name, or 'Name (Province)'.")
    perpetrators: list[Code] = Field(default_factory=list, max_length=40)
    narrative: str = Field(..., max_length=20000)
    reporter: Report.Reporter
    consent_store: StrictBool
    consent_share_stats: StrictBool = False
    consent_help: StrictBool = False
    consent_legal_action: StrictBool = False
    contact: str = Field("", max_length=1000)
    language: str = Field("es", max_length=8, description="es or en; anything else is read as es, so no report is lost over it.")
    files: list[FileIn] = Field(default_factory=list, max_length=10)


class ReceiptOut(Schema):
    receipt: str
    passphrase: str
    status: Report.Status


class FollowUpIn(Strict):
    receipt: str = Field(..., max_length=40)
    passphrase: str = Field(..., max_length=200)


class AddIn(FollowUpIn):
    text: str = Field("", max_length=10000)
    files: list[FileIn] = Field(default_factory=list, max_length=10)


class WithdrawIn(FollowUpIn):
    confirm: StrictBool


class MessageOut(Schema):
    author: ReportMessage.Author
    body: str
    created_at: datetime.datetime


class FollowUpOut(Schema):
    status: Literal["new", "accepted", "merged", "withdrawn", "closed"] = Field(description="A report marked as spam reads as closed.")
    status_label: str
    received_at: datetime.datetime
    messages: list[MessageOut]
