"""One input vocabulary for every HTML form and every API schema.

Text, dates and whole numbers from outside are checked here and nowhere else, so a page and an
API route answer the same input the same way:

- text: no NUL, no other control character (tab and line breaks are fine), no bidirectional
  override (it can make a name or a plate read differently from what is stored), no lone
  surrogate and no U+FFFD (what invalid UTF-8 becomes once Django decodes it); NFC-normalised,
  surrounding blanks removed;
- dates and datetimes: years 1990–2100 unless a field says otherwise, checked on the value as
  given, before any conversion that could overflow (year 9999 at -05:00 is past year 9999 UTC);
- whole numbers: always bounded, at most a signed 64-bit column.

Forms use the field classes (`TextField`, `DateField`, `DateTimeField`, `IntegerField`); API
schemas inherit `StrictIn`, which applies the same checks to every field of every input model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Schema
from pydantic import ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

EARLIEST_YEAR = 1990
LATEST_YEAR = 2100
# Signed 64-bit: the widest integer column on SQLite and PostgreSQL.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

# C0 controls except tab, LF and CR; DEL and C1 controls; bidi embeddings, overrides and
# isolates; lone surrogates; U+FFFD (undecodable input) and the two non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffd\ufffe\uffff]")

MESSAGE_CHARACTERS = _("Some characters could not be read or are not allowed. Please check the text and send it again.")
MESSAGE_YEAR = _("Check the year: it must be between %(earliest)s and %(latest)s.")
MESSAGE_NUMBER = _("Must be between %(min)s and %(max)s.")


# ---- the rules ------------------------------------------------------------------------------


def has_forbidden_characters(value: str) -> bool:
    return bool(_FORBIDDEN.search(value))


def clean_text(value: str, *, verbatim: bool = False) -> str:
    """The text as we keep it; ValidationError (code "characters") for what we refuse.

    `verbatim` (passwords) checks the characters but keeps the text exactly as typed.
    """
    if has_forbidden_characters(value):
        raise ValidationError(MESSAGE_CHARACTERS, code="characters")
    return value if verbatim else unicodedata.normalize("NFC", value).strip()


def check_year(value: date | datetime, *, earliest: int = EARLIEST_YEAR, latest: int = LATEST_YEAR) -> None:
    if not earliest <= value.year <= latest:
        raise ValidationError(MESSAGE_YEAR, code="year", params={"earliest": earliest, "latest": latest})


def check_int(value: int, *, minimum: int = INT_MIN, maximum: int = INT_MAX) -> None:
    if not minimum <= value <= maximum:
        raise ValidationError(MESSAGE_NUMBER, code="range", params={"min": minimum, "max": maximum})


def text_safe_for_xml(value: str) -> str:
    """Text stored before these rules existed, made safe to write into XML 1.0 (feeds, XLSForms)."""
    return _FORBIDDEN.sub("", value)


# ---- Django form fields -----------------------------------------------------------------------


class TextField(forms.CharField):
    """CharField with the text rule. Django decodes invalid UTF-8 as U+FFFD: refused here.

    With strip=False (passwords) the text is checked but kept exactly as typed.
    """

    def to_python(self, value: Any) -> str | None:
        text: str | None = super().to_python(value)
        return clean_text(text, verbatim=not self.strip) if text else text


class DateField(forms.DateField):
    def __init__(self, *args: Any, earliest_year: int = EARLIEST_YEAR, latest_year: int = LATEST_YEAR, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.earliest_year, self.latest_year = earliest_year, latest_year

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None:
            check_year(value, earliest=self.earliest_year, latest=self.latest_year)


class DateTimeField(forms.DateTimeField):
    def __init__(self, *args: Any, earliest_year: int = EARLIEST_YEAR, latest_year: int = LATEST_YEAR, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.earliest_year, self.latest_year = earliest_year, latest_year

    def to_python(self, value: Any) -> datetime | None:
        # Django makes a naive value aware in the current zone, which overflows at the edges of
        # the calendar: check the year on the value as typed first.
        if isinstance(value, str) and value.strip():
            from django.utils.dateparse import parse_datetime

            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None:
                check_year(parsed, earliest=self.earliest_year, latest=self.latest_year)
        result: datetime | None = super().to_python(value)
        return result

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None:
            check_year(value, earliest=self.earliest_year, latest=self.latest_year)


class IntegerField(forms.IntegerField):
    """IntegerField that is always bounded (a 64-bit column at most) so it never overflows one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", INT_MIN)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(*args, **kwargs)


# ---- API path and query parameters ---------------------------------------------------------------

# Ids fit a signed 64-bit column; larger numbers are refused before they reach the database.
PathId = Annotated[int, Path(ge=1, le=INT_MAX)]
QueryId = Annotated[int | None, Query(None, ge=1, le=INT_MAX)]
Slug = Annotated[str, Path(max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
RegionCode = Annotated[str, Path(pattern=r"^\d{2}$")]


# ---- API schemas ------------------------------------------------------------------------------


def _pydantic_error(exc: ValidationError) -> PydanticCustomError:
    # Already translated and formatted (no context: pydantic leaves the text as it is).
    message = exc.messages[0] if exc.messages else str(MESSAGE_CHARACTERS)
    return PydanticCustomError(exc.code or "invalid", message)


def _check_value(value: Any, *, earliest: int, latest: int) -> Any:
    """Clean a parsed value, walking lists and mappings (a list of codes, a JSON address)."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        check_int(value)
        return value
    if isinstance(value, datetime | date):
        check_year(value, earliest=earliest, latest=latest)
        return value
    if isinstance(value, list | tuple):
        return type(value)(_check_value(v, earliest=earliest, latest=latest) for v in value)
    if isinstance(value, Mapping):
        return {
            _check_value(k, earliest=earliest, latest=latest): _check_value(v, earliest=earliest, latest=latest)
            for k, v in value.items()
        }
    return value


def _check_raw(value: Any) -> None:
    """Before parsing, so that a lone surrogate never reaches pydantic: refuse the characters the text rule refuses."""
    if isinstance(value, str):
        if has_forbidden_characters(value):
            raise ValidationError(MESSAGE_CHARACTERS, code="characters")
    elif isinstance(value, list | tuple):
        for v in value:
            _check_raw(v)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_raw(k)
            _check_raw(v)


class StrictIn(Schema):
    """Base of every API input: unknown keys refused, every field through the rules above.

    A field with other year bounds says so in YEARS, e.g. {"born_on": (1900, 2100)}.
    """

    model_config = ConfigDict(extra="forbid")
    YEARS: ClassVar[dict[str, tuple[int, int]]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_unreadable(cls, value: Any, info: ValidationInfo) -> Any:
        try:
            _check_raw(value)
        except ValidationError as exc:
            raise _pydantic_error(exc) from None
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _vocabulary(cls, value: Any, info: ValidationInfo) -> Any:
        earliest, latest = cls.YEARS.get(info.field_name or "", (EARLIEST_YEAR, LATEST_YEAR))
        try:
            return _check_value(value, earliest=earliest, latest=latest)
        except ValidationError as exc:
            raise _pydantic_error(exc) from None
