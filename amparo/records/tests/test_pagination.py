from __future__ import annotations

import pytest

from amparo.lib.pagination import IdsFirstPaginator
from amparo.records.selectors import incident_list_for
from conftest import make_incident

pytestmark = pytest.mark.django_db


def test_pages_hold_the_same_rows_in_the_same_order_as_a_plain_slice(personas):
    from datetime import date

    for day in (3, 1, 3, 2, 3, 1, 2):
        make_incident(personas.org, personas.carla, occurred_on=date(2025, 1, day))
    incidents = incident_list_for(membership=personas.membership(personas.carla))
    expected = list(incidents.values_list("pk", flat=True))
    seen = []
    paginator = IdsFirstPaginator(incidents, 3)
    for number in paginator.page_range:
        page = paginator.page(number)
        seen += [i.pk for i in page]
        assert all(i.department is not None for i in page)  # joined rows come back whole
    assert seen == expected and paginator.count == 7
