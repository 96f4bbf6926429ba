"""Disclosure control: crafted tables, then an attacker who reads everything published.

The attacker in these tests is deliberately independent of the library: it enumerates every
assignment of the hidden numbers that agrees with what was published (the values shown, the
"<5" marks, the "*" marks and every total), and collects the values each small cell can take.
A small cell is *recovered* when only one value remains.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from amparo.insights.lib.disclosure import (
    TOTAL,
    WHOLE,
    Mark,
    attacker_bounds,
    attacker_range,
    glued,
    nested,
    one_way,
    parts_of_counts,
    protect,
    protect_cells,
    suppress_count,
    two_way,
)

T = 5


BRUTE_FORCE_BUDGET = 60_000


def feasible_values(protected) -> dict | None:
    """Brute force: every value each hidden number can take, given everything published.
    None when the search space is too large to enumerate quickly."""
    net, marks = protected.net, protected.marks
    bounds = attacker_bounds(net, marks, protected.threshold)
    hidden = [k for k in net.arcs if marks[k] is not Mark.PUBLISHED]
    space = 1
    for k in hidden:
        lo, hi = bounds[k]
        space *= hi - lo + 1
    if space > BRUTE_FORCE_BUDGET:
        return None
    by_node: dict = defaultdict(list)
    for key, arc in net.arcs.items():
        if arc.tail != arc.head:
            by_node[arc.tail].append((key, -1))
            by_node[arc.head].append((key, +1))
    seen: dict = {k: set() for k in hidden}
    assignment = {k: net.arcs[k].value for k in net.arcs if marks[k] is Mark.PUBLISHED}

    def consistent() -> bool:
        for arcs in by_node.values():
            if all(k in assignment for k, _ in arcs) and sum(s * assignment[k] for k, s in arcs):
                return False
        return True

    def search(i: int) -> None:
        if not consistent():
            return
        if i == len(hidden):
            for k in hidden:
                seen[k].add(assignment[k])
            return
        key = hidden[i]
        lo, hi = bounds[key]
        for value in range(lo, hi + 1):
            assignment[key] = value
            search(i + 1)
        del assignment[key]

    search(0)
    return seen


def assert_nothing_recovered(protected, *, exempt=()) -> None:
    seen = feasible_values(protected)
    private = getattr(protected.marks, "private", frozenset())
    for key, mark in protected.marks.items():
        net_value = protected.net.arcs[key].value
        if key in exempt:
            continue
        if mark is Mark.PRIMARY or ((protected.withheld or key in private) and 0 < net_value < T):
            if seen is None:
                # Too many combinations to enumerate: the exact max-flow attacker (checked
                # against brute force on small tables below) decides.
                lo, hi = attacker_range(protected.net, protected.marks, protected.threshold, key)
                assert lo < hi, f"{key!r} recovered as {lo}"
                if not protected.withheld and key not in private:
                    assert (lo, hi) == (1, T - 1)
                continue
            values = seen[key]
            assert protected.net.arcs[key].value in values
            assert len(values) >= 2, f"{key!r} recovered as {values}"
            if not protected.withheld and key not in private:
                # Stronger than "not recovered": every small value stays possible.
                assert values >= set(range(1, T)), f"{key!r} narrowed to {sorted(values)}"


def published(protected) -> dict:
    return {k: protected.display(k) for k in protected.net.arcs}


# --- Crafted tables ---------------------------------------------------------------------


def test_it_shows_small_counts_as_less_than_the_threshold():
    p = protect_cells({"a": 3, "b": 12, "c": 0}, threshold=T)
    assert published(p) == {"a": "<5", "b": "12", "c": "0"}


def test_it_reads_the_threshold_from_settings(settings):
    settings.SUPPRESSION_THRESHOLD = 10
    p = protect_cells({"a": 7, "b": 12})
    assert published(p) == {"a": "<10", "b": "12"}
    assert suppress_count(9) == "<10"


def test_it_publishes_zero():
    assert suppress_count(0, threshold=T) == "0"
    assert suppress_count(4, threshold=T) == "<5"
    assert suppress_count(5, threshold=T) == "5"


def test_one_small_cell_and_a_total_needs_a_complement():
    p = protect(one_way({"a": 2, "b": 30, "c": 40}), threshold=T, fixed=[TOTAL])
    shown = published(p)
    assert shown["a"] == "<5"
    assert shown[TOTAL] == "72"
    # The cheapest other cell is hidden so that 72 − 40 − ? cannot be solved.
    assert shown["b"] == "*"
    assert shown["c"] == "40"
    assert attacker_range(p.net, p.marks, T, "a") == (1, 4)


def test_a_complement_with_no_slack_is_not_enough():
    # Hiding "b" (5) alone would tell the attacker a = 7 − 5 = 2: "*" means at least 5.
    p = protect(one_way({"a": 2, "b": 5, "c": 9}), threshold=T, fixed=[TOTAL])
    assert attacker_range(p.net, p.marks, T, "a") == (1, 4)
    assert_nothing_recovered(p)


def test_small_cells_that_only_add_up_among_themselves_withhold_the_table():
    # 8 = three cells of "<5" and one "*" of at least 5: all four would be 1, 1, 1, 5.
    p = protect(one_way({"a": 1, "b": 1, "c": 1, "d": 5}), threshold=T, fixed=[TOTAL])
    assert p.withheld
    assert published(p) == {TOTAL: "8", "a": "*", "b": "*", "c": "*", "d": "*"}
    assert_nothing_recovered(p)


def test_a_small_grand_total_hides_everything():
    p = protect(one_way({"a": 1, "b": 2}), threshold=T, fixed=[TOTAL])
    assert set(published(p).values()) == {"*"}


def test_two_way_small_cell_gets_a_rectangle_of_complements():
    cells = {("lima", "pnp"): 2, ("lima", "serenazgo"): 20, ("cusco", "pnp"): 30, ("cusco", "serenazgo"): 41}
    p = protect(two_way(cells), threshold=T, fixed=[TOTAL])
    shown = published(p)
    assert shown[("lima", "pnp")] == "<5"
    # Row, column and the opposite corner hide together; the margins stay.
    assert shown[("lima", "serenazgo")] == "*"
    assert shown[("cusco", "pnp")] == "*"
    assert shown[("cusco", "serenazgo")] == "*"
    assert shown[("row", "lima")] == "22"
    assert shown[TOTAL] == "93"
    assert_nothing_recovered(p)


def test_nested_province_hidden_with_its_sibling():
    values = {(): 50, ("15",): 40, ("15", "1501"): 38, ("15", "1502"): 2, ("04",): 10, ("04", "0401"): 10}
    p = protect(nested(values), threshold=T, fixed=[()])
    shown = published(p)
    assert shown[("15", "1502")] == "<5"
    assert shown[("15", "1501")] == "*"
    assert shown[("15",)] == "40"
    assert_nothing_recovered(p)


def test_month_quarter_year_hierarchy_cannot_be_differenced():
    values = {(): 60, (2024,): 60}
    months = [10, 2, 18, 5, 5, 5, 0, 0, 7, 3, 3, 2]
    for q in range(4):
        values[(2024, q + 1)] = sum(months[q * 3 : q * 3 + 3])
        for m in range(3):
            values[(2024, q + 1, q * 3 + m + 1)] = months[q * 3 + m]
    p = protect(nested(values), threshold=T, fixed=[()])
    assert p.display((2024, 1, 2)) == "<5"
    assert_nothing_recovered(p)


def test_it_rejects_totals_that_do_not_add_up():
    with pytest.raises(ValueError):
        nested({(): 5, ("a",): 3})
    with pytest.raises(ValueError):
        one_way({"a": -1})


def test_forced_hiding_is_protected_like_any_other():
    p = protect(one_way({"a": 30, "b": 40, "c": 50}), threshold=T, fixed=[TOTAL], force=["a"])
    assert published(p)["a"] == "*"
    # One hidden cell and a total would give it away, so a second one goes too.
    assert sum(1 for k in "abc" if p.display(k) == "*") >= 2


def test_cells_report_json_shape():
    p = protect(one_way({"a": 2, "b": 30, "c": 40}), threshold=T, fixed=[TOTAL])
    assert p.cell("a") == {"value": None, "display": "<5", "status": "primary"}
    assert p.cell("c") == {"value": 40, "display": "40", "status": "published"}
    assert p.cell("b")["status"] == "hidden"


# --- The recovery attack, property-based ------------------------------------------------

counts = st.one_of(st.integers(0, 4), st.integers(5, 14))
fast = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(st.lists(counts, min_size=1, max_size=6))
def test_attack_on_one_way_tables_fails(values):
    p = protect(one_way(dict(enumerate(values))), threshold=T, fixed=[TOTAL])
    assert_nothing_recovered(p)


@fast
@given(st.integers(1, 3), st.integers(2, 3), st.data())
def test_attack_on_two_way_tables_with_margins_fails(n_rows, n_cols, data):
    cells = {
        (r, c): data.draw(st.one_of(st.integers(0, 3), st.integers(5, 9)))
        for r, c in itertools.product(range(n_rows), range(n_cols))
    }
    p = protect(two_way(cells), threshold=T, fixed=[TOTAL])
    # Bound the brute force: a table that hides too many numbers is checked by max-flow only.
    assert_nothing_recovered(p)
    for key, mark in p.marks.items():
        if mark is Mark.PRIMARY:
            lo, hi = attacker_range(p.net, p.marks, T, key)
            assert (lo, hi) == (1, T - 1)


@fast
@given(st.lists(st.lists(counts, min_size=1, max_size=3), min_size=1, max_size=3))
def test_attack_on_nested_tables_fails(groups):
    values: dict = {(): sum(map(sum, groups))}
    for g, leaves in enumerate(groups):
        values[(g,)] = sum(leaves)
        for i, v in enumerate(leaves):
            values[(g, i)] = v
    p = protect(nested(values), threshold=T, fixed=[()])
    assert_nothing_recovered(p)


@fast
@given(st.lists(counts, min_size=2, max_size=5), st.lists(counts, min_size=2, max_size=5))
def test_attack_across_two_cuts_sharing_the_total_fails(by_place, by_type):
    # Two cuts of the same records (by place, by type) share only the grand total, which is
    # fixed on both, so each is protected on its own and together they say nothing more.
    total = sum(by_place)
    by_type = by_type[:-1] + [max(0, total - sum(by_type[:-1]))]
    if sum(by_type) != total:
        return
    a = protect(one_way(dict(enumerate(by_place))), threshold=T, fixed=[TOTAL])
    b = protect(one_way(dict(enumerate(by_type))), threshold=T, fixed=[TOTAL])
    assert a.display(TOTAL) == b.display(TOTAL)
    assert_nothing_recovered(a)
    assert_nothing_recovered(b)


@fast
@given(st.lists(counts, min_size=1, max_size=5))
def test_max_flow_attacker_agrees_with_brute_force(values):
    p = protect(one_way(dict(enumerate(values))), threshold=T, fixed=[TOTAL])
    seen = feasible_values(p)
    if seen is None:
        return
    for key, options in seen.items():
        assert attacker_range(p.net, p.marks, T, key) == (min(options), max(options))


@fast
@given(st.lists(st.lists(counts, min_size=1, max_size=2), min_size=1, max_size=2), st.lists(st.lists(counts, min_size=1, max_size=2), min_size=1, max_size=2), st.booleans())
def test_attack_across_organisation_pages_and_the_network_page_fails(org_a, org_b, b_has_page):
    # Two organisations' region › province tables and the network's, glued: the network page
    # minus one organisation's page must not reveal the other's small cells.
    def tree(groups):
        values = {(): sum(map(sum, groups))}
        for g, leaves in enumerate(groups):
            values[(g,)] = sum(leaves)
            for i, v in enumerate(leaves):
                values[(g, i)] = v
        return values

    # Organisations with fewer records than the threshold are kept out of the network (below).
    assume(sum(map(sum, org_b)) >= T)
    net = glued({"a": tree(org_a), "b": tree(org_b)})
    fixed = [("whole", ()), ("part", "a", ())] + ([("part", "b", ())] if b_has_page else [])
    private = [] if b_has_page else [k for k in net.arcs if k[0] == "part" and k[1] == "b"]
    b_total = [("part", "b", ())]  # fixed by the published totals: describes an organisation, no one
    p = protect(net, threshold=T, fixed=fixed, private=private, private_totals=b_total)
    assert_nothing_recovered(p, exempt=b_total)


def test_an_organisation_without_a_page_is_not_revealed_by_the_network_minus_the_others():
    net = parts_of_counts({"a": {"extortion": 20}, "b": {"extortion": 3}})
    p = protect(net, threshold=T, private=[("extortion", "b")])
    # The network shows 23 and "a" shows 20 would give b = 3: one of them must hide.
    assert p.display(("extortion", WHOLE)) == "*" or p.display(("extortion", "a")) == "*"
    assert_nothing_recovered(p)


def test_joint_pages_list_months_in_which_nobody_reported_anything():
    """The network page lists every month of its range; an organisation's quiet months and the
    network's empty months are published zeros, not missing cells (a regression from the demo)."""
    from datetime import date

    from amparo.insights.summary import CellFact, Facts, build_joint

    def facts(*months: tuple[int, int, int]) -> Facts:
        return Facts(cells=[CellFact(month=date(y, m, 1), department="15", province="1501", incidents=n, people=n, state_agent=0) for y, m, n in months])

    network, orgs = build_joint(
        {1: facts((2024, 1, 9), (2024, 5, 8)), 2: facts((2024, 3, 7), (2024, 8, 6))},
        shown={1, 2}, milestones_by_org={}, network_milestones=[],
    )
    months = {m["key"]: m["cell"] for m in network["months"]}
    assert "2024-04" in months and months["2024-04"]["display"] == "0"
    assert len(network["months"]) == 8 and set(orgs) == {1, 2}
