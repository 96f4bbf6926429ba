"""From aggregated facts to the statistics a page shows, protected or not.

`Facts` is the same shape whether it comes from live incidents (an organisation's own
dashboard with filters) or from the precomputed aggregate tables (public and network pages).
`build_summary` turns facts into a JSON-ready document; with `protected=True` every number in it
has passed `amparo.insights.lib.disclosure`. All tables of one summary share the grand total,
which is published as is (or, below the threshold, nothing is published at all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from amparo.insights.lib.disclosure import (
    TOTAL,
    Protected,
    nested,
    one_way,
    protect,
    protect_cells,
    suppress_count,
    threshold_default,
)
from amparo.insights.lib.rates import rate_ratio


@dataclass(frozen=True)
class CellFact:
    month: date
    department: str
    province: str
    incidents: int
    people: int
    state_agent: int  # incidents involving a state agent


@dataclass(frozen=True)
class TermFact:
    month: date
    department: str
    vocabulary: str  # "violation", "perpetrator", "right_group" or "place_type"
    code: str
    incidents: int


@dataclass
class Facts:
    cells: list[CellFact] = field(default_factory=list)
    terms: list[TermFact] = field(default_factory=list)
    left_out: int = 0  # records without consent to share in statistics


def _published(value: int) -> dict[str, Any]:
    return {"value": value, "display": str(value), "status": "published"}


def _quarter(d: date) -> int:
    return (d.month - 1) // 3 + 1


def _month_key(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


def _months_between(first: date, last: date) -> list[date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


class _Table:
    """A table that is either protected or shown as is (the coordinator's own screen)."""

    def __init__(self, protected: Protected | None, values: dict) -> None:
        self.protected, self.values = protected, values

    def cell(self, key: Any) -> dict[str, Any]:
        if self.protected is None:
            return _published(self.values[key])
        return self.protected.cell(key)


def _table(net_values: dict, builder, *, protected: bool, threshold: int, fixed=(), force=()) -> _Table:
    net = builder(net_values)
    values = {k: a.value for k, a in net.arcs.items()}
    if not protected:
        return _Table(None, values)
    return _Table(protect(net, threshold=threshold, fixed=fixed, force=force), values)


def _standalone(values: dict[str, int], *, protected: bool, threshold: int) -> _Table:
    if not protected:
        return _Table(None, values)
    return _Table(protect_cells(values, threshold=threshold), values)


def build_summary(
    facts: Facts,
    *,
    protected: bool,
    threshold: int | None = None,
    milestones: Sequence[dict] = (),
    today: date | None = None,
    views: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`views` (from `build_joint`) replaces this scope's own protection with its view of tables
    protected together with other scopes."""
    t = threshold_default() if threshold is None else threshold
    today = today or date.today()
    total = sum(c.incidents for c in facts.cells)
    doc: dict[str, Any] = {
        "protected": protected,
        "threshold": t,
        "total": _published(total),
        "left_out": {"value": None, "display": suppress_count(facts.left_out, threshold=t), "status": "published"}
        if protected
        else _published(facts.left_out),
        "withheld": False,
        "months": [],
        "quarters": [],
        "years": [],
        "departments": [],
        "place_types": [],
        "violations": [],
        "perpetrators": [],
        "right_groups": [],
        "state_agent": None,
        "people": None,
        "people_by_year": [],
        "first_month": None,
        "last_month": None,
        "milestones": [],
        "departments_with_reports": [],
    }
    if protected and facts.left_out >= t:
        doc["left_out"] = _published(facts.left_out)
    if protected and 0 < total < t:
        # Too few records to publish anything but "fewer than 5".
        doc["total"] = {"value": None, "display": f"<{t}", "status": "primary"}
        doc["withheld"] = True
        return doc
    if total == 0:
        return doc

    months = _months_between(min(c.month for c in facts.cells), max(c.month for c in facts.cells))
    doc["first_month"], doc["last_month"] = _month_key(months[0]), _month_key(months[-1])

    # Time: year › quarter › month, one protected hierarchy for every granularity.
    time_values: dict[tuple, int] = defaultdict(int)
    time_values[()] = total
    for m in months:
        time_values[(m.year,)] += 0
        time_values[(m.year, _quarter(m))] += 0
        time_values[(m.year, _quarter(m), m.month)] += 0
    for c in facts.cells:
        for key in ((c.month.year,), (c.month.year, _quarter(c.month)), (c.month.year, _quarter(c.month), c.month.month)):
            time_values[key] += c.incidents
    time = views["time"] if views else _table(dict(time_values), nested, protected=protected, threshold=t, fixed=[()])
    doc["months"] = [{"key": _month_key(m), "cell": time.cell((m.year, _quarter(m), m.month))} for m in months]
    quarters = sorted({(m.year, _quarter(m)) for m in months})
    doc["quarters"] = [{"key": f"{y}-Q{q}", "cell": time.cell((y, q))} for y, q in quarters]
    years = sorted({m.year for m in months})
    doc["years"] = [{"key": str(y), "cell": time.cell((y,))} for y in years]

    # Place: department › province ("" = not recorded).
    place_values: dict[tuple, int] = defaultdict(int)
    place_values[()] = total
    for c in facts.cells:
        place_values[(c.department,)] += c.incidents
        place_values[(c.department, c.province)] += c.incidents
    place = views["place"] if views else _table(dict(place_values), nested, protected=protected, threshold=t, fixed=[()])
    departments = sorted({k[0] for k in place_values if len(k) == 1})
    for d in departments:
        provinces = sorted(k[1] for k in place_values if len(k) == 2 and k[0] == d)
        doc["departments"].append(
            {
                "code": d,
                "cell": place.cell((d,)),
                "provinces": [{"code": p, "cell": place.cell((d, p))} for p in provinces],
            }
        )
    doc["departments_with_reports"] = [d for d in departments if d and place_values[(d,)] > 0]

    # Place type and state agents: each record in exactly one cell.
    place_types: dict[str, int] = defaultdict(int)
    for term in facts.terms:
        if term.vocabulary == "place_type":
            place_types[term.code] += term.incidents
    agent_yes = sum(c.state_agent for c in facts.cells)
    agent = {"yes": agent_yes, "no": total - agent_yes}
    pt = views["place_type"] if views else _table(dict(place_types), lambda v: one_way(v, total=total), protected=protected, threshold=t, fixed=[TOTAL])
    doc["place_types"] = [{"code": k, "cell": pt.cell(k)} for k in sorted(place_types, key=lambda k: (-place_types[k], k))]
    sa = views["agent"] if views else _table(agent, lambda v: one_way(v, total=total), protected=protected, threshold=t, fixed=[TOTAL])
    yes = sa.cell("yes")
    doc["state_agent"] = {
        "yes": yes,
        "no": sa.cell("no"),
        "share": round(100 * yes["value"] / total) if yes["value"] is not None else None,
    }

    # Violations, perpetrators, rights affected: one incident may count under several.
    for vocabulary, out_key in (("violation", "violations"), ("perpetrator", "perpetrators"), ("right_group", "right_groups")):
        counts: dict[str, int] = defaultdict(int)
        for term in facts.terms:
            if term.vocabulary == vocabulary:
                counts[term.code] += term.incidents
        table = views[vocabulary] if views else _standalone(dict(counts), protected=protected, threshold=t)
        doc[out_key] = [{"code": k, "cell": table.cell(k)} for k in sorted(counts, key=lambda k: (-counts[k], k))]

    # People affected: total, and by year hiding the years whose incident count is hidden.
    people_total = sum(c.people for c in facts.cells)
    people_by_year: dict[int, int] = defaultdict(int)
    for c in facts.cells:
        people_by_year[c.month.year] += c.people
    if views:
        # Jointly protected scopes publish the total of people affected only.
        doc["people"] = views["people"].cell(TOTAL)
        doc["milestones"] = [dict(m, comparison=compare_around(doc["quarters"], m["date"], today=today)) for m in milestones]
        return doc
    hidden_years = [y for y in years if time.cell((y,))["value"] is None]
    pe = _table(
        dict(people_by_year),
        lambda v: one_way(v, total=people_total),
        protected=protected,
        threshold=t,
        fixed=[TOTAL],
        force=hidden_years,
    )
    doc["people"] = pe.cell(TOTAL)
    doc["people_by_year"] = [{"key": str(y), "cell": pe.cell(y)} for y in years]

    doc["milestones"] = [
        dict(m, comparison=compare_around(doc["quarters"], m["date"], today=today)) for m in milestones
    ]
    return doc


def _quarter_index(key: str) -> tuple[int, int]:
    year, q = key.split("-Q")
    return int(year), int(q)


def compare_around(quarters: Sequence[dict], when: str, *, today: date, window: int = 4) -> dict[str, Any] | None:
    """Monthly report rate in up to `window` whole quarters before and after a milestone.

    Only published quarters are used, and the quarter of the milestone and the current
    (incomplete) quarter are left out, so the comparison reveals nothing the page does not
    already show.
    """
    y, m = int(when[:4]), int(when[5:7])
    q_m = (y, (m - 1) // 3 + 1)
    q_now = (today.year, (today.month - 1) // 3 + 1)
    indexed = [(_quarter_index(q["key"]), q["cell"]["value"]) for q in quarters]
    before = [v for k, v in indexed if k < q_m][-window:]
    after = [v for k, v in indexed if q_m < k < q_now][:window]
    if not before or not after or any(v is None for v in before + after):
        return None
    r = rate_ratio(
        before_count=sum(before), before_months=3 * len(before), after_count=sum(after), after_months=3 * len(after)
    )
    return {
        "before_quarters": len(before),
        "after_quarters": len(after),
        "rate_before": round(r.rate_before, 2),
        "rate_after": round(r.rate_after, 2),
        "ratio": None if r.ratio is None else round(r.ratio, 3),
        "low": None if r.low is None else round(r.low, 3),
        "high": None if r.high is None or r.high == float("inf") else round(r.high, 3),
        "clear_change": r.clear_change,
        "counts": [sum(before), sum(after)],
    }


def merge_facts(parts: Iterable[Facts]) -> Facts:
    out = Facts()
    for p in parts:
        out.cells.extend(p.cells)
        out.terms.extend(p.terms)
        out.left_out += p.left_out
    return out


# --- Several scopes at once: the network and its organisations ------------------------------------


class _View:
    """One scope's window on a jointly protected table: maps its keys to the joint keys."""

    def __init__(self, protected: Protected, mapping) -> None:  # type: ignore[no-untyped-def]
        self.protected, self.mapping = protected, mapping

    def cell(self, key: Any) -> dict[str, Any]:
        return self.protected.cell(self.mapping(key))


def _time_values(facts: Facts, months: list[date]) -> dict[tuple, int]:
    """Counts by year › quarter › month, with explicit zeros for every month of the network's
    range: pages list each month of that range, so an empty month must be a (published) zero."""
    values: dict[tuple, int] = defaultdict(int)
    values[()] = sum(c.incidents for c in facts.cells)
    for m in months:
        for key in ((m.year,), (m.year, _quarter(m)), (m.year, _quarter(m), m.month)):
            values[key] += 0
    for c in facts.cells:
        q = _quarter(c.month)
        for key in ((c.month.year,), (c.month.year, q), (c.month.year, q, c.month.month)):
            values[key] += c.incidents
    return dict(values)


def _place_values(facts: Facts) -> dict[tuple, int]:
    values: dict[tuple, int] = defaultdict(int)
    values[()] = sum(c.incidents for c in facts.cells)
    for c in facts.cells:
        values[(c.department,)] += c.incidents
        values[(c.department, c.province)] += c.incidents
    return dict(values)


def build_joint(
    facts_by_org: dict[int, Facts],
    *,
    shown: set[int],
    milestones_by_org: dict[int, list[dict]],
    network_milestones: Sequence[dict],
    threshold: int | None = None,
    today: date | None = None,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The network's summary and the summaries of its organisations that have public pages,
    protected as one set of tables, so that no page can be subtracted from another to reveal a
    small number. Organisations without a page take part in the sums but none of their numbers
    is shown; organisations with fewer records than the threshold are left out."""
    from amparo.insights.lib.disclosure import WHOLE, glued, parts_of_counts, two_way

    t = threshold_default() if threshold is None else threshold
    totals = {o: sum(c.incidents for c in f.cells) for o, f in facts_by_org.items()}
    # An organisation with fewer records than the threshold would be the difference between the
    # network and the others: it joins the network once it has enough.
    facts_by_org = {o: f for o, f in facts_by_org.items() if totals[o] >= t}
    public = {o for o in shown if o in facts_by_org}
    private_orgs = set(facts_by_org) - public
    fixed_parts = [("part", o, ()) for o in public]

    def joint(net, fixed, private_keys, totals_keys=()):  # type: ignore[no-untyped-def]
        return protect(net, threshold=t, fixed=fixed, private=private_keys, private_totals=totals_keys)

    def private_of(net, index: int):  # type: ignore[no-untyped-def]
        return [k for k in net.arcs if isinstance(k, tuple) and len(k) > index and k[index] in private_orgs and (index != 1 or k[0] == "part")]

    if not facts_by_org:
        return build_summary(Facts(), protected=True, threshold=t), {}
    org_totals = [("part", o, ()) for o in private_orgs]
    all_months = [c.month for f in facts_by_org.values() for c in f.cells]
    months = _months_between(min(all_months), max(all_months)) if all_months else []
    time_net = glued({o: _time_values(f, months) for o, f in facts_by_org.items()})
    time = joint(time_net, [("whole", ()), *fixed_parts], private_of(time_net, 1), org_totals)
    place_net = glued({o: _place_values(f) for o, f in facts_by_org.items()})
    place = joint(place_net, [("whole", ()), *fixed_parts], private_of(place_net, 1), org_totals)

    def crossed(categories_by_org: dict[int, dict[str, int]]) -> Protected:
        cells = {(o, c): n for o, cats in categories_by_org.items() for c, n in cats.items()}
        net = two_way(cells, rows=list(facts_by_org))
        private_keys = [k for k in net.arcs if (k[0] == "row" and k[1] in private_orgs) or (k[0] in private_orgs)]
        return joint(net, [TOTAL, *[("row", o) for o in public]], private_keys, [("row", o) for o in private_orgs])

    place_types, agents = {}, {}
    for o, f in facts_by_org.items():
        pts: dict[str, int] = defaultdict(int)
        for term in f.terms:
            if term.vocabulary == "place_type":
                pts[term.code] += term.incidents
        place_types[o] = dict(pts)
        yes = sum(c.state_agent for c in f.cells)
        agents[o] = {"yes": yes, "no": totals[o] - yes}
    pt, sa = crossed(place_types), crossed(agents)

    def standalone(vocabulary: str) -> Protected:
        counts: dict[int, dict[str, int]] = {}
        for o, f in facts_by_org.items():
            c: dict[str, int] = defaultdict(int)
            for term in f.terms:
                if term.vocabulary == vocabulary:
                    c[term.code] += term.incidents
            counts[o] = dict(c)
        net = parts_of_counts(counts)
        return joint(net, [], [k for k in net.arcs if k[1] in private_orgs])

    terms = {v: standalone(v) for v in ("violation", "perpetrator", "right_group")}
    people_net = parts_of_counts({o: {"people": sum(c.people for c in f.cells)} for o, f in facts_by_org.items()})
    people = joint(people_net, [], [k for k in people_net.arcs if k[1] in private_orgs])

    def views_for(o: int | None) -> dict[str, Any]:
        if o is None:
            return {
                "time": _View(time, lambda k: ("whole", k)),
                "place": _View(place, lambda k: ("whole", k)),
                "place_type": _View(pt, lambda k: TOTAL if k == TOTAL else ("col", k)),
                "agent": _View(sa, lambda k: TOTAL if k == TOTAL else ("col", k)),
                **{v: _View(terms[v], lambda k: (k, WHOLE)) for v in terms},
                "people": _View(people, lambda k: ("people", WHOLE)),
            }
        return {
            "time": _View(time, lambda k: ("part", o, k)),
            "place": _View(place, lambda k: ("part", o, k)),
            "place_type": _View(pt, lambda k: ("row", o) if k == TOTAL else (o, k)),
            "agent": _View(sa, lambda k: ("row", o) if k == TOTAL else (o, k)),
            **{v: _View(terms[v], lambda k: (k, o)) for v in terms},
            "people": _View(people, lambda k: ("people", o)),
        }

    network = build_summary(
        merge_facts(facts_by_org.values()), protected=True, threshold=t, milestones=network_milestones, today=today,
        views=views_for(None),
    )
    orgs = {
        o: build_summary(
            facts_by_org[o], protected=True, threshold=t, milestones=milestones_by_org.get(o, []), today=today,
            views=views_for(o),
        )
        for o in public
    }
    return network, orgs
