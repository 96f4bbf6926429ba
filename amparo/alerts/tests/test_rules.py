"""The on-call roster, escalation and detention-limit arithmetic (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from amparo.alerts.lib import detention, normalise, roster
from amparo.alerts.lib.roster import LIMA, ShiftRule

WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})


def lima(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LIMA)


# 2026-11-23 is a Monday.
RULES = [
    ShiftRule(person_id=1, weekdays=WEEKDAYS, start=time(8), end=time(20), level=0),  # day lawyer
    ShiftRule(person_id=2, weekdays=WEEKDAYS, start=time(20), end=time(8), level=0),  # night lawyer
    ShiftRule(
        person_id=3, weekdays=frozenset(range(7)), start=time(0), end=time(0), level=1
    ),  # coordinator 24 h
    ShiftRule(person_id=4, weekdays=WEEKEND, start=time(9), end=time(18), level=0),
]


def test_the_day_lawyer_is_on_call_on_a_weekday_afternoon() -> None:
    assert roster.on_duty(RULES, lima(2026, 11, 23, 15)) == [[1], [3]]


def test_the_night_shift_runs_past_midnight_into_the_next_day() -> None:
    assert roster.on_duty(RULES, lima(2026, 11, 23, 23, 30)) == [[2], [3]]
    assert roster.on_duty(RULES, lima(2026, 11, 24, 3)) == [[2], [3]]


def test_friday_night_shift_covers_early_saturday_but_not_saturday_night() -> None:
    assert roster.on_duty(RULES, lima(2026, 11, 28, 7, 59)) == [[2], [3]]
    assert roster.on_duty(RULES, lima(2026, 11, 28, 21)) == [[3]]


def test_monday_early_morning_is_not_covered_by_a_sunday_that_has_no_night_shift() -> None:
    assert roster.on_duty(RULES, lima(2026, 11, 23, 6)) == [[3]]


def test_the_end_time_is_exclusive() -> None:
    assert roster.on_duty(RULES, lima(2026, 11, 23, 20)) == [[2], [3]]


def test_selection_uses_lima_time_whatever_the_clock_zone() -> None:
    # 02:00 UTC on Tuesday is 21:00 on Monday in Lima (UTC-5, no daylight saving).
    assert roster.on_duty(RULES, datetime(2026, 11, 24, 2, tzinfo=UTC)) == [[2], [3]]


def test_a_person_appears_once_at_their_lowest_level() -> None:
    rules = [
        *RULES,
        ShiftRule(person_id=3, weekdays=WEEKDAYS, start=time(8), end=time(20), level=0),
    ]
    assert roster.on_duty(rules, lima(2026, 11, 23, 10)) == [[1, 3]]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        roster.on_duty(RULES, datetime(2026, 11, 23, 10))


def test_escalation_moves_one_group_per_period_without_acknowledgement() -> None:
    raised = lima(2026, 11, 23, 10)
    levels = [[1], [3], [5, 6]]
    assert (
        roster.escalation_step(
            raised_at=raised, now=raised + timedelta(minutes=9), every_minutes=10
        )
        == 0
    )
    assert (
        roster.escalation_step(
            raised_at=raised, now=raised + timedelta(minutes=10), every_minutes=10
        )
        == 1
    )
    assert roster.groups_to_notify(levels, step=0) == [1]
    assert roster.groups_to_notify(levels, step=1) == [1, 3]
    assert roster.groups_to_notify(levels, step=7) == [1, 3, 5, 6]
    assert roster.next_escalation_at(
        raised_at=raised, step=1, every_minutes=10
    ) == raised + timedelta(minutes=20)


# --- detention limits ----------------------------------------------------------------------


def test_an_identity_check_of_a_peruvian_lasts_at_most_four_hours() -> None:
    since = lima(2026, 11, 23, 22)
    r = detention.reckon(
        basis=detention.Basis.IDENTITY_CHECK_NATIONAL, since=since, now=since + timedelta(hours=2)
    )
    assert r.deadline == lima(2026, 11, 24, 2)
    assert r.standing is detention.Standing.WITHIN
    assert r.remaining == timedelta(hours=2)


def test_an_identity_check_of_a_foreigner_lasts_at_most_twelve_hours() -> None:
    since = lima(2026, 11, 23, 22)
    r = detention.reckon(
        basis=detention.Basis.IDENTITY_CHECK_FOREIGN, since=since, now=since + timedelta(hours=13)
    )
    assert r.deadline == lima(2026, 11, 24, 10)
    assert r.standing is detention.Standing.EXCEEDED
    assert r.remaining == -timedelta(hours=1)


def test_flagrant_detention_is_48_hours_plus_distance() -> None:
    since = lima(2026, 11, 23, 1)
    r = detention.reckon(basis=detention.Basis.FLAGRANT, since=since, now=since, distance_hours=6)
    assert r.deadline == since + timedelta(hours=54)


def test_the_special_regime_is_fifteen_calendar_days() -> None:
    assert detention.limit_for(detention.Basis.SPECIAL_REGIME) == timedelta(days=15)


def test_an_unknown_basis_warns_on_the_shortest_limit() -> None:
    assert detention.limit_for(detention.Basis.UNKNOWN) == timedelta(hours=4)


def test_the_last_hour_is_due_soon_and_a_late_release_is_recorded() -> None:
    since = lima(2026, 11, 23, 10)
    basis = detention.Basis.IDENTITY_CHECK_NATIONAL
    assert detention.reckon(
        basis=basis, since=since, now=since + timedelta(hours=3, minutes=30)
    ).standing is (detention.Standing.DUE_SOON)
    late = detention.reckon(
        basis=basis,
        since=since,
        now=since + timedelta(hours=9),
        released_at=since + timedelta(hours=6),
    )
    assert late.standing is detention.Standing.RELEASED_LATE
    assert late.held_for == timedelta(hours=6)
    ok = detention.reckon(
        basis=basis,
        since=since,
        now=since + timedelta(hours=9),
        released_at=since + timedelta(hours=1),
    )
    assert ok.standing is detention.Standing.RELEASED


def test_release_before_detention_and_naive_times_are_refused() -> None:
    since = lima(2026, 11, 23, 10)
    with pytest.raises(ValueError):
        detention.reckon(
            basis=detention.Basis.FLAGRANT, since=since, now=since, released_at=since - timedelta(1)
        )
    with pytest.raises(ValueError):
        detention.reckon(basis=detention.Basis.FLAGRANT, since=datetime(2026, 1, 1), now=since)


# --- normalisation for the lookup -----------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["987654321", "+51 987 654 321", "0051-987-654-321", "(51) 987654321"]
)
def test_phone_numbers_match_however_typed(typed: str) -> None:
    assert normalise.phone(typed) == "987654321"


@pytest.mark.parametrize("typed", ["ABC-123", "abc 123", " a b c 1 2 3 "])
def test_plates_match_however_typed(typed: str) -> None:
    assert normalise.plate(typed) == "ABC123"


@pytest.mark.parametrize("bad", ["", "12", "x" * 30])
def test_nonsense_is_not_a_phone_or_plate(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise.phone(bad)
    with pytest.raises(ValueError):
        normalise.plate(bad)
