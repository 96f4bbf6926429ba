"""From aggregated facts to the statistics a page shows, protected or not.

`Facts` is the same shape whether it comes from live incidents (an organisation's own
dashboard with filters) or from the precomputed aggregate tables (public and network pages).
`build_summary` turns facts into a JSON-ready document; with `protected=True` every number in it
has passed `amparo.insights.lib.disclosure`. All tables of one summary share the grand total,
which is published as is (or, below the threshold, nothing is published at all).
"""

from __future__ import annotations

import copy
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

# What a milestone is about: (violation code, perpetrator code, ubigeo prefix), "" where it
# names none; ("", "", "") is every incident.
Concern = tuple[str, str, str]


@dataclass(frozen=True)
class CellFact:
    month: date
    department: str
    province: str
    incidents: int
    people: int
    state_agent: int  # incidents involving a state agent
    key: int = 0  # sum of the incidents' record keys (lib/cellkey.py)
    state_key: int = 0  # … of those involving a state agent


@dataclass(frozen=True)
class TermFact:
    month: date
    department: str
    vocabulary: str  # "violation", "perpetrator", "right_group" or "place_type"
    code: str
    incidents: int
    key: int = 0  # sum of the incidents' record keys


@dataclass
class Facts:
    cells: list[CellFact] = field(default_factory=list)
    terms: list[TermFact] = field(default_factory=list)
    left_out: int = 0  # records without consent to share in statistics
    left_out_key: int = 0
    # Monthly counts of the incidents of one concern (violation, perpetrator, place), for
    # milestones the aggregate tables cannot answer: both vocabularies at once (they count each
    # on its own) or one place (a district, a province or a department).
    series: dict[Concern, dict[date, int]] = field(default_factory=dict)


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


class _PlaceTable:
    """Departments first, then provinces only where that is safe.

    The department table is protected on its own (one cell per department, the page's total
    fixed). Each published department is then drilled into as a separate one-way table whose
    total, the department's published count, is fixed: if its provinces cannot be protected,
    they are simply not shown and the department keeps its number. The tables share only
    published numbers, so protecting them one by one is as safe as protecting them together,
    and small provinces can never take the whole map down with them."""

    def __init__(self, values: dict[tuple, int], *, protected: bool, threshold: int) -> None:
        total = values[()]
        depts = {k[0]: v for k, v in values.items() if len(k) == 1}
        self.provinces: dict[str, _Table | None] = {}
        if not protected:
            self.departments = _Table(None, dict(depts))
            for d in depts:
                self.provinces[d] = _Table(None, {k[1]: v for k, v in values.items() if len(k) == 2 and k[0] == d})
            return
        self.departments = _Table(protect(one_way(depts, total=total), threshold=threshold, fixed=[TOTAL]), dict(depts))
        for d, value in depts.items():
            cell = self.departments.cell(d)
            provinces = {k[1]: v for k, v in values.items() if len(k) == 2 and k[0] == d}
            if cell["status"] != "published" or not value:
                self.provinces[d] = None
                continue
            table = protect(one_way(provinces, total=value), threshold=threshold, fixed=[TOTAL])
            self.provinces[d] = None if table.withheld else _Table(table, provinces)


WITHHELD_CELL = {"value": None, "display": "*", "status": "withheld"}


class _LevelTable:
    """A hierarchy protected one level at a time: the top level as a one-way table under the
    fixed grand total, then the children of each published number as a one-way table under that
    (fixed) number, and so on; the children of a hidden number are hidden. The tables share only
    published numbers, so this is as safe as protecting them together, and one awkward corner
    never withholds the whole hierarchy."""

    def __init__(self, values: dict[tuple, int], *, threshold: int) -> None:
        self.cells: dict[tuple, dict[str, Any]] = {(): _published(values[()])}
        children: dict[tuple, list[tuple]] = defaultdict(list)
        for path in values:
            if path:
                children[path[:-1]].append(path)
        queue = [()]
        while queue:
            parent = queue.pop()
            kids = children.get(parent, [])
            if not kids:
                continue
            table = protect(one_way({k: values[k] for k in kids}, total=values[parent]), threshold=threshold, fixed=[TOTAL])
            for k in kids:
                if table.withheld:
                    self.cells[k] = dict(WITHHELD_CELL)
                else:
                    self.cells[k] = table.cell(k)
                if self.cells[k]["status"] == "published" and values[k]:
                    queue.append(k)
                else:
                    self._hide_below(k, children)

    def _hide_below(self, path: tuple, children: dict[tuple, list[tuple]]) -> None:
        # Not complements: their size says nothing ("withheld", unlike a "*" of at least 5).
        for k in children.get(path, []):
            self.cells[k] = dict(WITHHELD_CELL)
            self._hide_below(k, children)

    def cell(self, key: tuple) -> dict[str, Any]:
        return self.cells[key]


def _time_table(values: dict[tuple, int], *, protected: bool, threshold: int) -> Any:
    """year › quarter › month, protected as one hierarchy; where that would withhold it whole (a
    few small months that only add up among themselves), one level at a time instead."""
    table = _table(values, nested, protected=protected, threshold=threshold, fixed=[()])
    if table.protected is not None and table.protected.withheld:
        return _LevelTable(values, threshold=threshold)
    return table


def concern_key(violation: str = "", perpetrator: str = "", place: str = "") -> str:
    """The key of a milestone's concern ("" for all incidents everywhere)."""
    if place:
        return f"{violation}|{perpetrator}|{place}"
    return f"{violation}|{perpetrator}" if violation or perpetrator else ""


def concern_of(m: dict) -> Concern:
    """What a milestone is about: (violation, perpetrator, place), "" where it names none."""
    return (m.get("violation", "") or "", m.get("perpetrator", "") or "", m.get("place", "") or "")


def needs_series(concern: Concern) -> bool:
    """Whether a concern must be counted from the incidents (`selectors.concern_series`): the
    aggregate tables count one vocabulary at a time and no place finer than the summary's."""
    violation, perpetrator, place = concern
    return bool(place or (violation and perpetrator))


def _concern_months(facts: Facts, concern: Concern) -> dict[date, int] | None:
    """Monthly counts of the incidents a milestone is about, if the facts hold them."""
    if concern in facts.series:
        return dict(facts.series[concern])
    violation, perpetrator, _place = concern
    if needs_series(concern):
        return None
    vocabulary, code = ("violation", violation) if violation else ("perpetrator", perpetrator)
    out: dict[date, int] = defaultdict(int)
    for term in facts.terms:
        if term.vocabulary == vocabulary and term.code == code:
            out[term.month] += term.incidents
    return dict(out)


def _concern_table(series: dict[date, int], months: list[date], *, protected: bool, threshold: int) -> dict[str, Any]:
    """year › quarter counts of one concern, protected as their own hierarchy (its total fixed)."""
    total = sum(series.values())
    values: dict[tuple, int] = defaultdict(int)
    values[()] = total
    for m in months:
        values[(m.year,)] += 0
        values[(m.year, _quarter(m))] += 0
    for m, n in series.items():
        values[(m.year,)] += n
        values[(m.year, _quarter(m))] += n
    quarters = sorted({(m.year, _quarter(m)) for m in months})
    if protected and 0 < total < threshold:
        hidden = {"value": None, "display": "*", "status": "withheld"}
        return {"total": {"value": None, "display": f"<{threshold}", "status": "primary"}, "quarters": [{"key": f"{y}-Q{q}", "cell": dict(hidden)} for y, q in quarters]}
    table = _table(dict(values), nested, protected=protected and total > 0, threshold=threshold, fixed=[()])
    return {"total": table.cell(()), "quarters": [{"key": f"{y}-Q{q}", "cell": table.cell((y, q))} for y, q in quarters]}


def build_summary(
    facts: Facts,
    *,
    protected: bool,
    threshold: int | None = None,
    milestones: Sequence[dict] = (),
    today: date | None = None,
    concerns: Iterable[Concern] = (),
) -> dict[str, Any]:
    """One scope's statistics, every table protected on its own (`protected=True`).

    `concerns` adds the quarterly series of more (violation, perpetrator, place) concerns than this
    scope's own milestones need (the network's milestones, so that its page can be summed from
    its organisations' pages)."""
    t = threshold_default() if threshold is None else threshold
    today = today or date.today()
    total = sum(c.incidents for c in facts.cells)
    doc: dict[str, Any] = {
        "protected": protected,
        "threshold": t,
        "total": _published(total),
        "left_out": {"value": None, "display": suppress_count(facts.left_out, threshold=t), "status": "primary"}
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
        "concerns": {},
        "departments_with_reports": [],
    }
    if protected and (facts.left_out >= t or facts.left_out == 0):
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
    time = _time_table(_time_values(facts, months), protected=protected, threshold=t)
    doc["months"] = [{"key": _month_key(m), "cell": time.cell((m.year, _quarter(m), m.month))} for m in months]
    quarters = sorted({(m.year, _quarter(m)) for m in months})
    doc["quarters"] = [{"key": f"{y}-Q{q}", "cell": time.cell((y, q))} for y, q in quarters]
    years = sorted({m.year for m in months})
    doc["years"] = [{"key": str(y), "cell": time.cell((y,))} for y in years]

    # Place: departments, and provinces where they can be shown ("" = not recorded).
    place_values = _place_values(facts)
    place = _PlaceTable(place_values, protected=protected, threshold=t)
    departments = sorted({k[0] for k in place_values if len(k) == 1})
    for d in departments:
        provinces = place.provinces[d]
        doc["departments"].append(
            {
                "code": d,
                "cell": place.departments.cell(d),
                "provinces": [] if provinces is None else [{"code": p, "cell": provinces.cell(p)} for p in sorted(provinces.values)],
            }
        )
    doc["departments_with_reports"] = [d for d in departments if d and place_values[(d,)] > 0]

    # Place type and state agents: each record in exactly one cell.
    place_types: dict[str, int] = defaultdict(int)
    for term in facts.terms:
        if term.vocabulary == "place_type":
            place_types[term.code] += term.incidents
    if sum(place_types.values()) < total:
        place_types[""] += total - sum(place_types.values())  # facts without a place type: not recorded
    agent_yes = sum(c.state_agent for c in facts.cells)
    agent = {"yes": agent_yes, "no": total - agent_yes}
    pt = _table(dict(place_types), lambda v: one_way(v, total=total), protected=protected, threshold=t, fixed=[TOTAL])
    doc["place_types"] = [{"code": k, "cell": pt.cell(k)} for k in sorted(place_types, key=lambda k: (-place_types[k], k))]
    sa = _table(agent, lambda v: one_way(v, total=total), protected=protected, threshold=t, fixed=[TOTAL])
    doc["state_agent"] = {"yes": sa.cell("yes"), "no": sa.cell("no"), "share": None}
    _state_agent_share(doc)

    # Violations, perpetrators, rights affected: one incident may count under several.
    for vocabulary, out_key in (("violation", "violations"), ("perpetrator", "perpetrators"), ("right_group", "right_groups")):
        counts: dict[str, int] = defaultdict(int)
        for term in facts.terms:
            if term.vocabulary == vocabulary:
                counts[term.code] += term.incidents
        table = _standalone(dict(counts), protected=protected, threshold=t)
        doc[out_key] = [{"code": k, "cell": table.cell(k)} for k in sorted(counts, key=lambda k: (-counts[k], k))]

    # People affected: total, and by year hiding the years whose incident count is hidden.
    people_total = sum(c.people for c in facts.cells)
    people_by_year: dict[int, int] = defaultdict(int)
    for y in years:
        people_by_year[y] += 0
    for c in facts.cells:
        people_by_year[c.month.year] += c.people
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

    # What milestones are about: each concern's quarters, protected as their own table.
    wanted = {concern_of(m) for m in milestones} | set(concerns)
    for concern in sorted(wanted):
        key = concern_key(*concern)
        if not key:
            continue
        series = _concern_months(facts, concern)
        if series is None:
            continue
        # A view filtered to a period counts only that period's months.
        series = {m: n for m, n in series.items() if months[0] <= m <= months[-1]}
        doc["concerns"][key] = {
            "violation": concern[0], "perpetrator": concern[1], "place": concern[2],
            **_concern_table(series, months, protected=protected, threshold=t),
        }
    _compare_milestones(doc, milestones, today=today)
    return doc


def build_perturbed(facts: Facts, *, threshold: int | None = None, milestones: Sequence[dict] = (), today: date | None = None) -> dict[str, Any]:
    """A summary protected by the cell key method (`lib/cellkey.py`) instead of suppression: for
    views that can be filtered at will (the analyst's dashboard), where two suppressed views could
    be subtracted. Every count is its true value plus a small perturbation fixed by the records in
    it; small results show as "<5". Tables no longer add up exactly, and the page says so."""
    from amparo.insights.lib.cellkey import perturbed_cell

    t = threshold_default() if threshold is None else threshold
    today = today or date.today()
    raw = build_summary(facts, protected=False, threshold=t, milestones=(), today=today)
    # The same tables built from the record keys instead of the counts: each cell's key.
    keyed = Facts(
        cells=[CellFact(c.month, c.department, c.province, c.key, c.key, c.state_key) for c in facts.cells],
        terms=[TermFact(x.month, x.department, x.vocabulary, x.code, x.key) for x in facts.terms],
        left_out=facts.left_out_key,
    )
    keys = cell_index(build_summary(keyed, protected=False, threshold=t, today=today)) if facts.cells else {}
    doc = copy.deepcopy(raw)
    doc["protected"], doc["perturbed"] = True, True
    total = doc["total"]["value"]
    if 0 < total < t:
        return build_summary(facts, protected=True, threshold=t, today=today)
    for key, cell in cell_index(doc).items():
        cell.update(perturbed_cell(cell["value"], keys[key]["value"] if key in keys else 0, t))
    if doc.get("state_agent"):
        _state_agent_share(doc)
    # Milestones about one violation or perpetrator need their own series: not on this view.
    _compare_milestones(doc, milestones, today=today)
    return doc


def _state_agent_share(doc: dict[str, Any]) -> None:
    yes, total = doc["state_agent"]["yes"]["value"], doc["total"]["value"]
    doc["state_agent"]["share"] = round(100 * yes / total) if yes is not None and total else None


def _compare_milestones(doc: dict[str, Any], milestones: Sequence[dict], *, today: date) -> None:
    out = []
    for m in milestones:
        key = concern_key(*concern_of(m))
        if key and key not in doc["concerns"]:
            comparison = None
        else:
            quarters = doc["concerns"][key]["quarters"] if key else doc["quarters"]
            comparison = compare_around(quarters, m["date"], today=today)
        out.append(dict(m, concern=key, comparison=comparison))
    doc["milestones"] = out


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
        out.left_out_key += p.left_out_key
        for key, months in p.series.items():
            merged = out.series.setdefault(key, {})
            for m, n in months.items():
                merged[m] = merged.get(m, 0) + n
    return out


def _time_values(facts: Facts, months: list[date]) -> dict[tuple, int]:
    """Counts by year › quarter › month, with explicit zeros for every month of the range."""
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


# --- Several scopes at once: the network and its organisations ------------------------------------

HIDDEN_CELL = {"value": None, "display": "*", "status": "hidden"}


def cell_index(doc: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    """Every number of a summary by a key that is the same on every page: ("months", "2024-03"),
    ("departments", "15"), ("provinces", "15", "1501"), ("concern", key, "2024-Q1") and so on."""
    idx: dict[tuple, dict[str, Any]] = {("total",): doc["total"], ("left_out",): doc["left_out"]}
    if doc.get("people"):
        idx[("people",)] = doc["people"]
    for table in ("months", "quarters", "years", "people_by_year"):
        for row in doc.get(table, []):
            idx[(table, row["key"])] = row["cell"]
    for d in doc.get("departments", []):
        idx[("departments", d["code"])] = d["cell"]
        for p in d["provinces"]:
            idx[("provinces", d["code"], p["code"])] = p["cell"]
    for table in ("place_types", "violations", "perpetrators", "right_groups"):
        for row in doc.get(table, []):
            idx[(table, row["code"])] = row["cell"]
    if doc.get("state_agent"):
        idx[("state_agent", "yes")] = doc["state_agent"]["yes"]
        idx[("state_agent", "no")] = doc["state_agent"]["no"]
    for key, concern in doc.get("concerns", {}).items():
        idx[("concern", key, "total")] = concern["total"]
        for row in concern["quarters"]:
            idx[("concern", key, row["key"])] = row["cell"]
    return idx


def _part_value(doc: dict[str, Any], idx: dict[tuple, dict[str, Any]], key: tuple) -> int | None:
    """What one part's page says about a number: its value, 0 when the page implies that nothing
    is there, None when the page does not say."""
    cell = idx.get(key)
    if cell is not None:
        return cell["value"] if cell["status"] == "published" else None
    if key[0] == "provinces":
        dept = idx.get(("departments", key[1]))
        if dept is None or (dept["status"] == "published" and dept["value"] == 0):
            return 0
        drilled = any(d["code"] == key[1] and d["provinces"] for d in doc.get("departments", []))
        return 0 if drilled else None
    if key[0] == "concern":
        concern = doc.get("concerns", {}).get(key[1])
        if concern is None:
            return None
        return 0 if concern["total"]["status"] == "published" else None
    # Months outside a page's range, departments, categories and years it does not list: nobody there.
    return 0


def _part_bounds(idx: dict[tuple, dict[str, Any]], key: tuple, threshold: int, *, shown: bool) -> tuple[int, int | None]:
    """What a reader of one part's page knows about a number it does not publish: "<5" is 1 … 4,
    "*" on an organisation's page is at least the threshold; a part that is shown nowhere (the
    members without a page) says nothing."""
    cell = idx.get(key)
    if not shown or cell is None:
        return 0, None
    if cell["status"] == "primary":
        return 1, threshold - 1
    if cell["status"] == "hidden":
        return threshold, None
    return 0, None


def combine_parts(
    raw: dict[str, Any], parts: Sequence[dict[str, Any]], *, threshold: int, today: date, milestones: Sequence[dict] = (),
    unshown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The network's page, built from the pages of its parts: a number is published only where
    every part publishes its share, and it is then their sum.

    The parts are the organisations' own pages, each protected alone, and `unshown`, all members
    without a page together, protected alone and shown nowhere. Every published network number
    is therefore a sum of numbers already published (or, for members without a page, safe to
    publish), and every other one is shown as the range that the organisations' pages already
    imply ("1203–1206", "≥ 4031") or "*": the network page adds nothing an attacker could
    subtract, whatever the organisations' pages hide, and no organisation's page gives up a
    number for the network's sake. Where a month needs a star, the quarter or the year usually
    does not: the page then opens on the coarser time.
    """
    doc = copy.deepcopy(raw)
    doc["protected"], doc["threshold"], doc["combined"] = True, threshold, True
    everyone = [(p, cell_index(p), True) for p in parts] + ([(unshown, cell_index(unshown), False)] if unshown else [])
    for key, cell in cell_index(doc).items():
        values = [_part_value(p, idx, key) for p, idx, _shown in everyone]
        if all(v is not None for v in values) and cell["value"] == sum(v for v in values if v is not None):
            cell.update(_published(cell["value"]))
            continue
        low: int = 0
        high: int | None = 0
        for (_p, idx, shown), v in zip(everyone, values, strict=True):
            if v is not None:  # published, or safe to publish for the members without a page
                low, high = low + v, None if high is None else high + v
                continue
            lo, hi = _part_bounds(idx, key, threshold, shown=shown)
            low, high = low + lo, None if high is None or hi is None else high + hi
        cell.update(HIDDEN_CELL)
        if low:
            cell.update(low=low, high=high, display=f"{low}–{high}" if high is not None else f"≥{low}")
    if doc.get("state_agent"):
        _state_agent_share(doc)
    _compare_milestones(doc, milestones, today=today)
    return doc


def build_joint(
    facts_by_org: dict[int, Facts],
    *,
    shown: set[int],
    milestones_by_org: dict[int, list[dict]],
    network_milestones: Sequence[dict],
    threshold: int | None = None,
    today: date | None = None,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """The network's summary and the summaries of its organisations that have public pages.

    Each organisation's page is protected alone, exactly as if there were no network, and the
    network's page is summed from them (`combine_parts`), so no page can be subtracted from
    another and the organisations' pages come first. Organisations with fewer records than the
    threshold are left out of the network: they would be its difference with the others."""
    t = threshold_default() if threshold is None else threshold
    today = today or date.today()
    members = {o: f for o, f in facts_by_org.items() if sum(c.incidents for c in f.cells) >= t}
    if not members:
        return build_summary(Facts(), protected=True, threshold=t, today=today), {}
    public = {o for o in shown if o in members}
    concerns = {concern_of(m) for m in network_milestones}
    orgs = {
        o: build_summary(members[o], protected=True, threshold=t, milestones=milestones_by_org.get(o, []), today=today, concerns=concerns)
        for o in public
    }
    private = [f for o, f in members.items() if o not in public]
    unshown = build_summary(merge_facts(private), protected=True, threshold=t, today=today, concerns=concerns) if private else None
    raw = build_summary(merge_facts(members.values()), protected=False, threshold=t, today=today, concerns=concerns)
    network = combine_parts(raw, list(orgs.values()), threshold=t, today=today, milestones=network_milestones, unshown=unshown)
    return network, orgs
