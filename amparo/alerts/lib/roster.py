"""Who is on call, by weekday and hour in Lima time, and who is next when nobody answers.

A shift is a rule: a set of weekdays, a start and an end time of day (an end at or before the start
means the shift runs past midnight into the next day), and a level in the escalation order
(0 = called first). The day a night shift belongs to is the day it starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")


@dataclass(frozen=True)
class ShiftRule:
    person_id: int
    weekdays: frozenset[int]  # 0 = Monday ... 6 = Sunday
    start: time
    end: time
    level: int = 0

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(LIMA)
        clock = local.time().replace(tzinfo=None)
        weekday = local.weekday()
        if self.start < self.end:
            return weekday in self.weekdays and self.start <= clock < self.end
        # Overnight (start == end is a 24-hour shift until the same time next day): the evening
        # part on a listed day, or the early-morning part after one.
        return (weekday in self.weekdays and clock >= self.start) or (
            (weekday - 1) % 7 in self.weekdays and clock < self.end
        )


def on_duty(rules: Iterable[ShiftRule], moment: datetime) -> list[list[int]]:
    """People on duty at ``moment``, grouped by escalation level, lowest level first.

    A person appears once, at the lowest level any of their covering shifts gives them."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    best: dict[int, int] = {}
    for rule in rules:
        if rule.covers(moment):
            best[rule.person_id] = min(rule.level, best.get(rule.person_id, rule.level))
    levels = sorted(set(best.values()))
    return [sorted(p for p, level in best.items() if level == lvl) for lvl in levels]


def escalation_step(*, raised_at: datetime, now: datetime, every_minutes: int) -> int:
    """How many escalation steps are due ``now`` for an unacknowledged alarm (0 = first group)."""
    if every_minutes <= 0:
        raise ValueError("every_minutes must be positive")
    elapsed = now - raised_at
    if elapsed < timedelta(0):
        return 0
    return int(elapsed // timedelta(minutes=every_minutes))


def groups_to_notify(levels: Sequence[Sequence[int]], *, step: int) -> list[int]:
    """Everyone in the first ``step + 1`` groups; past the last group, everyone (nobody is dropped)."""
    people: list[int] = []
    for group in levels[: step + 1]:
        people.extend(group)
    return people


def next_escalation_at(*, raised_at: datetime, step: int, every_minutes: int) -> datetime:
    return raised_at + timedelta(minutes=every_minutes * (step + 1))
