"""The demo gives each organisation a year of programmes: every programme page shows something."""

from __future__ import annotations

from datetime import date

import pytest

from amparo.programmes import selectors
from amparo.programmes.demo import demo_programmes_load
from amparo.programmes.models import Activity, ActivityKind, Programme, Venue

pytestmark = pytest.mark.django_db


def test_the_demo_loads_a_year_of_programmes_over_sixteen_venues(personas):
    counts = demo_programmes_load(organisations=[personas.org], today=date(2026, 11, 1))
    assert counts["programmes"] == 3 and counts["venues"] == 16 and counts["activities"] > 16 * 20
    assert Venue.objects.filter(organisation=personas.org).count() == 16
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert {ActivityKind.POLICE_TRAINING, ActivityKind.TESTING_DAY, ActivityKind.MEMBER_TRAINING,
            ActivityKind.ADVOCACY_MEETING, ActivityKind.AGREEMENT_SIGNED} <= kinds
    campaign = next(p for p in Programme.objects.all() if p.name == "Campaña de pruebas de VIH (ejemplo)")
    assert campaign.ends_on == date(2026, 12, 1)
    progress = selectors.programme_progress(membership=personas.membership(personas.ana), programme=campaign, today=date(2026, 11, 1))
    tests = next(p for p in progress if p.indicator.measure == "tests_done")
    assert 5_000 < tests.value < 15_000 and len(tests.sites) == 16 and tests.projected > tests.value
    assert all(selectors.indicator_value(p.indicator) > 0 for p in progress)
    assert Activity.objects.filter(kind=ActivityKind.POLICE_TRAINING).first().institution.endswith("(ejemplo)")
