"""The network page and its organisations' pages, read together by an attacker.

Each organisation's page is protected alone; the network page is summed from its members' pages.
These tests check the two promises of issue 12 that follow: an organisation's page loses nothing
to the network (at least 90% of what it would publish alone, on generated networks with one large
urban organisation and small remote ones), and an exact attacker who reads every page at once —
organisation pages, the network page, "<5" marks, "*" marks, every total — still cannot narrow a
small number of any organisation.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from amparo.insights.lib.disclosure import Mark, Marks, attacker_range, glued
from amparo.insights.lib.synthetic import generated_network
from amparo.insights.summary import (
    CellFact,
    Facts,
    _months_between,
    _place_values,
    _time_values,
    build_joint,
    build_summary,
    cell_index,
)

T = 5
TODAY = date(2026, 11, 15)


def published_nonzero(doc: dict, raw: dict) -> int:
    """How many nonzero numbers a page publishes."""
    raw_idx, idx = cell_index(raw), cell_index(doc)
    return sum(1 for key, cell in raw_idx.items() if cell["value"] and key in idx and idx[key]["status"] == "published")


@pytest.mark.parametrize(("n_orgs", "incidents"), [(2, 2000), (6, 6000), (15, 15000)])
def test_every_organisation_page_keeps_what_it_would_publish_alone(n_orgs, incidents):
    facts = generated_network(n_orgs, incidents)
    shown = set(facts) - {n_orgs - 1} if n_orgs > 2 else set(facts)  # one member without a page
    network, orgs = build_joint(facts, shown=shown, milestones_by_org={}, network_milestones=[], today=TODAY)
    assert set(orgs) == shown
    for o, page in orgs.items():
        raw = build_summary(facts[o], protected=False, today=TODAY)
        alone = build_summary(facts[o], protected=True, today=TODAY)
        assert published_nonzero(page, raw) >= 0.9 * published_nonzero(alone, raw), f"organisation {o}"
    # The network page carries the cost, and still shows most of the years and regions.
    assert network["combined"] and network["total"]["status"] == "published"


def test_the_network_page_is_the_sum_of_the_pages_where_it_publishes():
    facts = generated_network(6, 4000)
    network, orgs = build_joint(facts, shown=set(facts), milestones_by_org={}, network_milestones=[], today=TODAY)
    pages = [cell_index(p) for p in orgs.values()]
    for key, cell in cell_index(network).items():
        if cell["status"] == "published":
            assert cell["value"] == sum(p[key]["value"] if key in p else 0 for p in pages), key
        else:
            assert any(key not in p or p[key]["status"] != "published" for p in pages), key
            # Shown as "*" or as the range the organisations' pages already imply.
            known = sum(p[key]["value"] for p in pages if key in p and p[key]["status"] == "published")
            small = sum(1 for p in pages if key in p and p[key]["status"] == "primary")
            starred = sum(1 for p in pages if key in p and p[key]["status"] == "hidden")
            if cell["display"] != "*":
                assert cell["low"] == known + small + 5 * starred, key
                assert cell["high"] is None or cell["high"] == known + 4 * small, key


# --- The attacker who reads every page ----------------------------------------------------------


def _marks_for(net, facts_by_org, network, orgs, table: str) -> Marks:  # type: ignore[no-untyped-def]
    """What the pages say about every number of the joint table, in the attacker's terms:
    published values, "<5" (1 … 4), "*" on an organisation's page (at least 5), and numbers shown
    nowhere or "*" on the network page (anything from 0)."""
    marks, private = Marks(), set()
    indexes = {o: cell_index(doc) for o, doc in orgs.items()}
    indexes[None] = cell_index(network)

    def doc_key(path: tuple) -> tuple:
        if table == "place":
            return ("total",) if not path else ("departments", path[0]) if len(path) == 1 else ("provinces", *path)
        if not path:
            return ("total",)
        if len(path) == 1:
            return ("years", str(path[0]))
        if len(path) == 2:
            return ("quarters", f"{path[0]}-Q{path[1]}")
        return ("months", f"{path[0]}-{path[2]:02d}")

    for key, arc in net.arcs.items():
        owner, path = (key[1], key[2]) if key[0] == "part" else (None, key[1])
        if owner is not None and owner not in orgs:
            marks[key] = Mark.HIDDEN  # a member without a page: shown nowhere
            private.add(key)
            continue
        idx = indexes[owner]
        cell = idx.get(doc_key(path))
        if cell is None:
            if arc.value == 0 or table == "time":
                assert arc.value == 0
                marks[key] = Mark.PUBLISHED  # outside the page's range or region list: nobody there
            else:
                marks[key] = Mark.HIDDEN  # a province not drilled into
                private.add(key)
        elif cell["status"] == "published":
            assert cell["value"] == arc.value
            marks[key] = Mark.PUBLISHED
        elif owner is None:
            marks[key] = Mark.HIDDEN  # the network's "*" claims nothing about the size
            private.add(key)
        else:
            marks[key] = Mark.PRIMARY if cell["status"] == "primary" else Mark.HIDDEN
            if cell["status"] == "withheld":
                private.add(key)
    marks.private = frozenset(private)
    return marks


def assert_pages_reveal_no_small_number(facts_by_org: dict[int, Facts], shown: set[int]) -> None:
    network, orgs = build_joint(facts_by_org, shown=shown, milestones_by_org={}, network_milestones=[], threshold=T, today=TODAY)
    members = {o: f for o, f in facts_by_org.items() if sum(c.incidents for c in f.cells) >= T}
    if not members:
        return
    all_months = [c.month for f in members.values() for c in f.cells]
    months = _months_between(min(all_months), max(all_months))
    for table, values in (("place", {o: _place_values(f) for o, f in members.items()}), ("time", {o: _time_values(f, months) for o, f in members.items()})):
        net = glued(values)
        marks = _marks_for(net, members, network, orgs, table)
        for key, mark in marks.items():
            value = net.arcs[key].value
            if mark is Mark.PRIMARY:
                # Every small number of an organisation's page stays anywhere in 1 … 4.
                assert attacker_range(net, marks, T, key) == (1, T - 1), (table, key)
            elif key in marks.private and 0 < value < T and not (key[0] == "part" and key[2] == ()):
                lo, hi = attacker_range(net, marks, T, key)
                assert lo < hi, (table, key, value)


def _facts(cells: list[tuple[int, int, int, int]]) -> Facts:
    return Facts(
        cells=[CellFact(date(2024, 1 + m, 1), f"0{d + 1}", f"0{d + 1}0{p + 1}", n, n, 0) for m, d, p, n in cells if n],
    )


counts = st.one_of(st.integers(0, 4), st.integers(5, 14))
cell = st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 1), counts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell, min_size=1, max_size=6), min_size=2, max_size=3), st.integers(0, 2))
def test_attack_on_every_page_at_once_fails(orgs, without_page):
    facts = {o: _facts(cells) for o, cells in enumerate(orgs)}
    assume(all(sum(c.incidents for c in f.cells) >= T for f in facts.values()))
    shown = set(facts) - {without_page}
    assert_pages_reveal_no_small_number(facts, shown)


def test_attack_on_a_generated_network_fails():
    facts = generated_network(3, 500, seed=3)
    assert_pages_reveal_no_small_number(facts, set(facts) - {2})


# --- Regions -------------------------------------------------------------------------------------


def test_small_provinces_never_take_their_region_with_them():
    # Every province is small, in every department: the old nested protection withheld the whole
    # table. Departments are now protected first and published; provinces stay folded.
    facts = Facts(cells=[
        CellFact(date(2024, 1, 1), d, f"{d}0{p}", n, n, 0)
        for d, provinces in (("15", (3, 4, 2, 1, 4, 3, 2, 4)), ("04", (4, 3, 2, 4, 1)), ("10", (4, 4)))
        for p, n in enumerate(provinces, start=1)
    ])
    doc = build_summary(facts, protected=True, threshold=T, today=TODAY)
    shown = {d["code"]: d for d in doc["departments"]}
    assert shown["15"]["cell"]["display"] == "23" and shown["04"]["cell"]["display"] == "14"
    assert all(not d["provinces"] or all(p["cell"]["status"] != "published" or p["cell"]["value"] in (0, None) or p["cell"]["value"] >= T for p in d["provinces"]) for d in doc["departments"])
    # Eight provinces of 1 … 4 adding up to 23 leave each anywhere in 1 … 4: all "<5", safely.
    assert {p["cell"]["display"] for p in shown["15"]["provinces"]} == {"<5"}
    # Two provinces adding up to 8 would both be 4: the region is published, its provinces folded.
    assert shown["10"]["cell"]["display"] == "8" and shown["10"]["provinces"] == []


def test_provinces_are_shown_where_they_can_be():
    facts = Facts(cells=[
        CellFact(date(2024, 1, 1), "15", prov, n, n, 0)
        for prov, n in (("1501", 60), ("1502", 12), ("1503", 9), ("1504", 2))
    ] + [CellFact(date(2024, 1, 1), "04", "0401", 7, 7, 0)])
    doc = build_summary(facts, protected=True, threshold=T, today=TODAY)
    lima = next(d for d in doc["departments"] if d["code"] == "15")
    provinces = {p["code"]: p["cell"]["display"] for p in lima["provinces"]}
    assert lima["cell"]["display"] == "83"
    assert provinces["1504"] == "<5" and provinces["1501"] == "60"
    assert sorted(provinces.values()).count("*") == 1
