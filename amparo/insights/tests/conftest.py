"""Helpers for statistics tests: incidents seeded through the real services.

Lima (personas.org) and Arequipa (personas.other_org) as in the root conftest; a third
organisation, Cusco, is created where a test needs one that shares nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from conftest import make_incident


def seed(org, user, n: int, *, start: date = date(2023, 1, 10), district: str = "150101", **overrides):  # type: ignore[no-untyped-def]
    """n incidents, one every ~12 days from `start`, all in `district` unless overridden."""
    made = []
    for i in range(n):
        day = date.fromordinal(start.toordinal() + 12 * i)
        fields = {"occurred_on": day, "district": district}
        fields.update(overrides)
        made.append(make_incident(org, user, **fields))
    return made


@pytest.fixture
def lima_data(personas):  # type: ignore[no-untyped-def]
    """40 incidents in Lima with consent, 3 without; 2 in Callao (a small cell)."""
    seed(personas.org, personas.carla, 40)
    seed(personas.org, personas.carla, 3, consent_share_stats=False)
    seed(personas.org, personas.carla, 2, district="070101", violation_codes=["extortion"], perpetrator_codes=["serenazgo"])
    return personas
