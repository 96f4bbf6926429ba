"""Cell key perturbation of filtered views: what differencing gives an attacker, and what not.

An analyst can filter the dashboard at will (period, region, violation, perpetrator, gender,
migrant status), so two views can differ by one or a few records. With suppression alone,
"January–March minus January–February" would give March's small count exactly. With the cell key
method, each view's numbers carry perturbations fixed by the records in them, and the difference
is the small count plus noise.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from amparo.insights.lib.cellkey import PRIME, perturbation, perturbed_cell, record_key
from amparo.insights.summary import CellFact, Facts, build_perturbed, build_summary

T = 5


def _difference_distribution() -> dict[int, float]:
    """P(D1 − D2 = x) for two independent perturbations of large counts (the attacker knows the
    method and its tables, not the keys)."""
    table = Counter()
    steps = 20_000
    for i in range(steps):
        table[perturbation(50, i * PRIME // steps)] += 1
    p = {d: n / steps for d, n in table.items()}
    return {x: sum(p[a] * p.get(a - x, 0) for a in p) for x in range(-4, 5)}


def _view(record_ids: list[int]) -> int:
    """The published total of a view made of these records."""
    key = sum(record_key(i) for i in record_ids)
    return perturbed_cell(len(record_ids), key, T)["value"]


def test_the_same_records_always_read_the_same():
    ids = list(range(100, 160))
    assert _view(ids) == _view(list(reversed(ids)))  # any filter that selects them
    facts = Facts(cells=[CellFact(date(2024, 1, 1), "15", "1501", 60, 60, 0, key=sum(record_key(i) for i in ids))])
    assert build_perturbed(facts) == build_perturbed(facts)


def test_perturbations_are_small_unbiased_and_keep_zero():
    values = [perturbation(40, k) for k in range(0, PRIME, PRIME // 5000)]
    assert set(values) <= {-2, -1, 0, 1, 2}
    assert abs(sum(values) / len(values)) < 0.05
    ones = [perturbation(1, k) for k in range(0, PRIME, PRIME // 5000)]
    assert min(ones) == -1 and abs(sum(ones) / len(ones)) < 0.05
    assert perturbed_cell(0, 12345, T) == {"value": 0, "display": "0", "status": "published"}


def test_subtracting_two_filtered_views_does_not_give_the_small_number(settings):
    """January–March minus January–February, for 2,000 different deployments (secrets): the best
    guess of March's count (1 … 4) from the difference is right less than half the time, and the
    attacker is 90% sure of one value in fewer than one pair in ten (when both perturbations land
    at opposite ends of the table)."""
    diff = _difference_distribution()
    rng = random.Random(5)
    right = sure = 0
    trials = 2000
    for trial in range(trials):
        settings.STATS_RECORD_KEY_SECRET = f"deployment-{trial}"
        from amparo.insights.lib import cellkey

        cellkey._params.cache_clear()
        small = rng.randint(1, 4)  # records in March
        base = rng.sample(range(1, 10**6), 40)  # January–February
        march = rng.sample(range(10**6, 2 * 10**6), small)
        observed = _view(base + march) - _view(base)
        likelihood = {k: diff.get(observed - k, 0.0) for k in range(1, 5)}
        guess = max(likelihood, key=lambda k: likelihood[k])
        right += guess == small
        sure += likelihood[guess] >= 0.9 * sum(likelihood.values())
    assert right / trials < 0.5
    assert sure / trials < 0.1


def test_averaging_many_differences_is_what_a_determined_analyst_can_still_do(settings):
    """The limit docs/insights.md states: with many different pairs of views that isolate the same
    records, the noise averages out. One pair leaves the count uncertain; about thirty give it."""
    from amparo.insights.lib import cellkey

    settings.STATS_RECORD_KEY_SECRET = "one deployment"
    cellkey._params.cache_clear()
    rng = random.Random(9)
    march = rng.sample(range(10**6, 2 * 10**6), 3)

    def averaged(pairs: int) -> float:
        total = 0
        for _ in range(pairs):
            base = rng.sample(range(1, 10**6), rng.randint(20, 60))
            total += _view(base + march) - _view(base)
        return total / pairs

    assert round(averaged(30)) == 3
    singles = [round(averaged(1)) for _ in range(200)]
    assert Counter(singles)[3] / 200 < 0.5


@pytest.mark.django_db
def test_an_analyst_filtering_the_dashboard_sees_perturbed_numbers_that_do_not_move(lima_data, client):
    from conftest import login

    login(client, lima_data.ana)
    first = client.get("/estadisticas/?date_from=2023-01-01&date_to=2023-12-31").context["summary"]
    again = client.get("/estadisticas/?date_from=2023-01-01&date_to=2023-12-31").context["summary"]
    assert first["perturbed"] and first == again
    body = client.get("/estadisticas/").content.decode()
    assert "pequeños ajustes aleatorios" in body


def test_suppressed_and_perturbed_summaries_have_the_same_shape():
    ids = list(range(1, 31))
    facts = Facts(cells=[CellFact(date(2024, m, 1), "15", "1501", 10, 10, 2, key=sum(record_key(i) for i in ids[: 10]), state_key=record_key(1) + record_key(2)) for m in (1, 2, 3)])
    a, b = build_summary(facts, protected=True), build_perturbed(facts)
    assert {k for k in a if k != "perturbed"} <= set(b)
    assert all(m["cell"]["value"] in (None, 8, 9, 10, 11, 12) for m in b["months"])


def test_a_small_true_count_never_reads_as_a_published_number():
    """A true 1–4 is shown "<5" whatever its perturbation (a true 3 pushed up by 2 never reads 5)."""
    for count in range(1, 5):
        for key in range(0, 10_000, 7):
            assert perturbed_cell(count, key, threshold=5)["display"] == "<5"
