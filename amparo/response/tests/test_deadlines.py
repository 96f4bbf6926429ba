"""Deadline arithmetic in calendar days, business days and hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from amparo.response.lib.deadlines import (
    LIMA,
    Unit,
    add_business_days,
    compute_due,
    due_state,
    easter_sunday,
    is_business_day,
    peru_national_holidays,
)


def test_easter_dates_are_right() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)


def test_holy_thursday_and_good_friday_are_holidays() -> None:
    holidays = peru_national_holidays(2026)
    assert date(2026, 4, 2) in holidays and date(2026, 4, 3) in holidays
    assert date(2026, 7, 28) in holidays and date(2026, 12, 9) in holidays


def test_holidays_created_in_2022_do_not_apply_to_earlier_years() -> None:
    assert date(2021, 12, 9) not in peru_national_holidays(2021)


def test_business_days_skip_weekends_and_holidays() -> None:
    # Fri 24 Jul 2026 + 3 business days: skip Sat, Sun, Tue 28 and Wed 29 (Fiestas Patrias).
    assert add_business_days(date(2026, 7, 24), 3) == date(2026, 7, 31)
    assert not is_business_day(date(2026, 7, 25))
    assert is_business_day(date(2026, 7, 27))


def test_extra_non_working_days_are_skipped_too() -> None:
    assert add_business_days(date(2026, 7, 24), 1, extra_holidays=[date(2026, 7, 27)]) == date(2026, 7, 30)


def test_day_deadlines_end_at_the_close_of_the_last_day_in_lima() -> None:
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday, 10:00 in Lima
    due = compute_due(start, 5, Unit.CALENDAR_DAYS)
    assert due.astimezone(LIMA).date() == date(2026, 3, 7)
    assert (due.astimezone(LIMA).hour, due.astimezone(LIMA).minute) == (23, 59)
    assert compute_due(start, 5, Unit.BUSINESS_DAYS).astimezone(LIMA).date() == date(2026, 3, 9)


def test_a_late_evening_start_counts_from_the_lima_day() -> None:
    start = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # still Monday 22:00 in Lima
    assert compute_due(start, 1, Unit.CALENDAR_DAYS).astimezone(LIMA).date() == date(2026, 3, 3)


def test_hour_deadlines_run_on_the_clock() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert compute_due(start, 72, "hours") == start + timedelta(hours=72)


def test_it_rejects_naive_times_negative_amounts_and_unknown_units() -> None:
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 3, 2), 1, Unit.HOURS)
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 3, 2, tzinfo=UTC), -1, Unit.HOURS)
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 3, 2, tzinfo=UTC), 1, "weeks")


def test_due_state_marks_overdue_and_soon_but_never_done_items() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    assert due_state(now - timedelta(hours=1), now).overdue
    assert due_state(now + timedelta(days=1), now).due_soon
    assert not due_state(now + timedelta(days=10), now).due_soon
    assert not due_state(now - timedelta(days=1), now, done=True).overdue
