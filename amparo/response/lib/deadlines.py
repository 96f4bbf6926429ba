"""Deadline arithmetic: calendar days, business days (días hábiles) and hours, in Lima time.

Peruvian procedural deadlines are counted either in calendar days or in business days, which
skip weekends and national holidays. The holiday list below is the set of national public
holidays as commonly published (to verify each year against the decree in El Peruano; the
government also declares extra non-working days for the public sector, which organisations
add through `extra_holidays`). Nothing here knows any particular legal deadline except the
72 hours of Ley 30364, which lives in `procedure.py` with its source.

Pure module: no models, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")


class Unit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


# (month, day, first year observed). Holidays added in 2022–2023 are not applied to earlier years.
_FIXED_HOLIDAYS: tuple[tuple[int, int, int], ...] = (
    (1, 1, 0),  # Año Nuevo
    (5, 1, 0),  # Día del Trabajo
    (6, 7, 2023),  # Batalla de Arica y Día de la Bandera
    (6, 29, 0),  # San Pedro y San Pablo
    (7, 23, 2023),  # Día de la Fuerza Aérea del Perú
    (7, 28, 0),  # Fiestas Patrias
    (7, 29, 0),  # Fiestas Patrias
    (8, 6, 2022),  # Batalla de Junín
    (8, 30, 0),  # Santa Rosa de Lima
    (10, 8, 0),  # Combate de Angamos
    (11, 1, 0),  # Todos los Santos
    (12, 8, 0),  # Inmaculada Concepción
    (12, 9, 2022),  # Batalla de Ayacucho
    (12, 25, 0),  # Navidad
)


@lru_cache(maxsize=64)
def peru_national_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    days = {date(year, m, d) for m, d, since in _FIXED_HOLIDAYS if year >= since}
    days.add(easter - timedelta(days=3))  # Jueves Santo
    days.add(easter - timedelta(days=2))  # Viernes Santo
    return frozenset(days)


def is_business_day(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in peru_national_holidays(day.year) and day not in set(extra_holidays)


def add_business_days(start: date, days: int, extra_holidays: Iterable[date] = ()) -> date:
    """The day `days` business days after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    extra = frozenset(extra_holidays)
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, extra):
            remaining -= 1
    return current


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LIMA)


def compute_due(
    start: datetime, amount: int, unit: Unit | str, extra_holidays: Iterable[date] = ()
) -> datetime:
    """When a deadline counted from `start` falls due (aware datetime).

    Hours run on the clock. Day counts end at the close of the last day in Lima, because a
    filing made at any time on the last day is on time.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    unit = Unit(unit)
    if unit is Unit.HOURS:
        return start + timedelta(hours=amount)
    local_day = start.astimezone(LIMA).date()
    if unit is Unit.CALENDAR_DAYS:
        return _end_of_day(local_day + timedelta(days=amount))
    return _end_of_day(add_business_days(local_day, amount, extra_holidays))


@dataclass(frozen=True)
class DueState:
    overdue: bool
    due_soon: bool
    hours_left: float


def due_state(due_at: datetime, now: datetime, *, done: bool = False, soon: timedelta = timedelta(days=2)) -> DueState:
    """Whether an open deadline is overdue or coming up soon. A done deadline is never overdue."""
    hours_left = (due_at - now).total_seconds() / 3600
    if done:
        return DueState(overdue=False, due_soon=False, hours_left=hours_left)
    return DueState(overdue=now > due_at, due_soon=timedelta(0) <= due_at - now <= soon, hours_left=hours_left)
