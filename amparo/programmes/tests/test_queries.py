"""The programme page's cost does not grow with its indicators, venues or activities."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amparo.programmes import selectors, services
from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
from conftest import organisation_keys_cached

pytestmark = pytest.mark.django_db


def _progress_queries(personas, programme) -> int:
    organisation_keys_cached()  # as on a server, where the keys were committed long ago
    with CaptureQueriesContext(connection) as captured:
        selectors.programme_progress(membership=personas.membership(personas.ana), programme=programme, today=date(2026, 6, 30))
    return len(captured)


def test_progress_is_one_grouped_query_whatever_the_indicators_and_venues(personas):
    carla = personas.membership(personas.carla)
    programme = make_programme(personas)
    venues = [make_venue(personas, f"Lugar {i}") for i in range(3)]

    def indicator(**fields):
        return services.indicator_create(membership=carla, acting_user=personas.carla, programme=programme, target=100, **fields)

    indicator(name="Pruebas", measure="tests_done")
    make_activity(personas, programme=programme, venue=venues[0], tests_done=5)
    small = _progress_queries(personas, programme)
    for i, venue in enumerate(venues):
        indicator(name=f"Pruebas en {venue.code_name}", measure="tests_done", venue=venue)
        make_activity(personas, programme=programme, venue=venue, held_on=date(2026, 2, 1) + timedelta(days=i), tests_done=3,
                      tests_reactive=1)
    indicator(name="Reactivos", measure="tests_reactive")
    indicator(name="Sesiones", measure="activities", activity_kind="testing_day")
    assert _progress_queries(personas, programme) == small
    progress = {p.indicator.name: p for p in selectors.programme_progress(membership=carla, programme=programme)}
    assert progress["Pruebas"].value == 5 + 9
    assert progress["Pruebas en Lugar 1"].value == 3 and [s.label for s in progress["Pruebas en Lugar 1"].sites] == ["Lugar 1"]
    assert progress["Sesiones"].value == 4
