"""Turn a summary document into labelled charts, tables and the coverage note for a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from amparo.insights.lib.charts import Chart, Milestone, Point, bar_chart, line_chart
from amparo.insights.lib.geo import choropleth
from amparo.places.models import Department, District, Province
from amparo.vocab.models import RightGroup, Term

GRANULARITIES = ("month", "quarter", "year")
CHART_NAMES = ("trend", "map", "violations", "perpetrators", "place_types", "rights")


def _point(cell: dict[str, Any]) -> Point:
    return Point(cell["value"], cell["display"], cell.get("low"), cell.get("high"))


@dataclass
class Labels:
    terms: dict[tuple[str, str], str] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    provinces: dict[str, str] = field(default_factory=dict)
    districts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, summary: dict[str, Any]) -> Labels:
        places = {m.get("place") or "" for m in summary.get("milestones", [])}
        codes = {d["code"] for d in summary.get("departments", [])} | {p for p in places if len(p) == 2}
        provinces = {p["code"] for d in summary.get("departments", []) for p in d["provinces"]} | {p for p in places if len(p) == 4}
        terms = {(t.vocabulary, t.code): t.label for t in Term.objects.all()}
        return cls(
            terms=terms,
            departments=dict(Department.objects.filter(code__in=codes).values_list("code", "name")),
            provinces=dict(Province.objects.filter(code__in=provinces).values_list("code", "name")),
            districts=dict(District.objects.filter(code__in=[p for p in places if len(p) == 6]).values_list("code", "name")),
        )

    def term(self, vocabulary: str, code: str) -> str:
        if not code:
            return _("Not recorded")
        return self.terms.get((vocabulary, code), code)

    def department(self, code: str) -> str:
        return self.departments.get(code, code) if code else _("Region not recorded")

    def province(self, code: str) -> str:
        return self.provinces.get(code, code) if code else _("Province not recorded")

    def place(self, code: str) -> str:
        """Where a milestone applies, as the end of "reports of … in …"."""
        if len(code) == 2:
            return _("the department of %(name)s") % {"name": self.departments.get(code, code)}
        if len(code) == 4:
            return _("the province of %(name)s") % {"name": self.provinces.get(code, code)}
        return _("the district of %(name)s") % {"name": self.districts.get(code, code)}


def hidden_note(summary: dict[str, Any]) -> str:
    if not summary.get("protected"):
        return ""
    t = summary["threshold"]
    if summary.get("perturbed"):
        return _("Numbers carry small random adjustments; “<%(t)s” means a result below %(t)s.") % {"t": t}
    if summary.get("combined"):
        return _("“*” hides a number that some organisation's own page does not publish.")
    return _(
        "“<%(t)s” means between 1 and %(last)s reports; “*” hides a number that would let someone work out a small one."
    ) % {"t": t, "last": t - 1}


def trend_series(summary: dict[str, Any], granularity: str) -> list[dict[str, Any]]:
    return summary.get({"month": "months", "quarter": "quarters", "year": "years"}[granularity], [])


def _milestone_positions(summary: dict[str, Any], granularity: str, keys: list[str]) -> list[Milestone]:
    out = []
    for m in summary.get("milestones", []):
        y, mo = int(m["date"][:4]), int(m["date"][5:7])
        key = {"month": f"{y}-{mo:02d}", "quarter": f"{y}-Q{(mo - 1) // 3 + 1}", "year": str(y)}[granularity]
        if key in keys:
            out.append(Milestone(keys.index(key) - 0.5 + (0.5 if granularity != "month" else 0.0), m["title"]))
    return out


def build_charts(summary: dict[str, Any], labels: Labels, *, granularity: str = "month", slug_prefix: str = "") -> dict[str, Chart]:
    note = hidden_note(summary)
    charts: dict[str, Chart] = {}
    if summary.get("withheld") or not summary.get("months"):
        return charts
    series = trend_series(summary, granularity)
    keys = [s["key"] for s in series]
    title = {
        "month": _("Incidents reported per month"),
        "quarter": _("Incidents reported per quarter"),
        "year": _("Incidents reported per year"),
    }[granularity]
    charts["trend"] = line_chart(
        slug=f"{slug_prefix}trend",
        title=title,
        desc=_("Number of incidents reported from %(first)s to %(last)s, with milestones marked.")
        % {"first": summary["first_month"], "last": summary["last_month"]},
        labels=keys,
        series=[(_("Incidents"), [_point(s["cell"]) for s in series])],
        milestones=_milestone_positions(summary, granularity, keys),
        label_header=_("Period"),
        hidden_note=note,
    )
    charts["map"] = choropleth(
        slug=f"{slug_prefix}map",
        title=_("Incidents by region"),
        desc=_("Map of Peru's regions shaded by the number of incidents reported in each."),
        # A network region shown as a range ("≥ 4031") is shaded by what is known for sure.
        values={d["code"]: Point(d["cell"]["value"] if d["cell"]["value"] is not None else d["cell"].get("low"), d["cell"]["display"]) for d in summary["departments"] if d["code"]},
        region_header=_("Region"),
        value_header=_("Incidents"),
        hidden_label=_("Hidden (small number)"),
        zero_label=_("No reports"),
        notes=[note] if note else [],
    )
    for name, key, vocabulary, title in (
        ("violations", "violations", "violation", _("What happened")),
        ("perpetrators", "perpetrators", "perpetrator", _("Who did it")),
        ("place_types", "place_types", "place_type", _("Where it happened")),
    ):
        charts[name] = bar_chart(
            slug=f"{slug_prefix}{name}",
            title=title,
            desc=_("Incidents by category. One incident can count in several categories.")
            if name != "place_types"
            else _("Incidents by type of place."),
            bars=[(labels.term(vocabulary, row["code"]), _point(row["cell"])) for row in summary[key]],
            label_header=_("Category"),
            value_header=_("Incidents"),
            hidden_note=note,
        )
    groups = dict(RightGroup.choices)
    charts["rights"] = bar_chart(
        slug=f"{slug_prefix}rights",
        title=_("Rights affected"),
        desc=_("Incidents grouped by the right affected, as regional observatories group them."),
        bars=[(str(groups.get(row["code"], row["code"])), _point(row["cell"])) for row in summary["right_groups"]],
        label_header=_("Right"),
        value_header=_("Incidents"),
        hidden_note=note,
    )
    return charts


def coverage_note(summary: dict[str, Any], labels: Labels) -> list[str]:
    """What a reader must know before using these numbers."""
    scope = summary.get("scope", {})
    lines = []
    orgs = scope.get("organisations", [])
    if orgs:
        lines.append(_("Contributing organisations: %(names)s.") % {"names": ", ".join(orgs)})
    regions = [labels.department(c) for c in summary.get("departments_with_reports", [])]
    if regions:
        lines.append(_("Regions with reports: %(names)s.") % {"names": ", ".join(sorted(regions))})
    if summary.get("first_month"):
        lines.append(_("Reports since %(first)s, up to %(last)s.") % {"first": summary["first_month"], "last": summary["last_month"]})
    lines.append(
        _(
            "These are reports that people chose to make to these organisations. They are not a measure of how "
            "common violence is (not prevalence): more reports can mean more trust or more outreach, fewer can mean "
            "less reporting."
        )
    )
    left = summary.get("left_out", {})
    if left and left.get("status") == "hidden":
        lines.append(_("Some records are left out because the person did not agree to their use in statistics."))
    elif left and left.get("display") not in (None, "0"):
        lines.append(
            _("%(n)s records are left out because the person did not agree to their use in statistics.")
            % {"n": left["display"]}
        )
    if summary.get("perturbed"):
        lines.append(
            _(
                "These numbers carry small random adjustments (up to 2 either way, the same every time for the same "
                "records) so that two filtered views cannot be subtracted to reveal a small number; totals may not "
                "add up exactly. Results below %(t)s are shown as “<%(t)s”."
            )
            % {"t": summary["threshold"]}
        )
    elif summary.get("combined"):
        lines.append(
            _(
                "This page adds up the organisations' own protected numbers: a number is shown only where every "
                "organisation's share of it is published, and is otherwise hidden (“*”), so that no page can be "
                "subtracted from another."
            )
        )
    elif summary.get("protected"):
        lines.append(
            _("Numbers below %(t)s are shown as “<%(t)s” and some others are hidden (“*”) so that nobody can be identified.")
            % {"t": summary["threshold"]}
        )
    if summary.get("milestones"):
        lines.append(reports_caveat())
    return lines


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def concern_words(m: dict[str, Any], labels: Labels | None) -> str:
    """What a milestone is about, as the object of "reports of …"."""
    violation, perpetrator, place = m.get("violation") or "", m.get("perpetrator") or "", m.get("place") or ""
    if labels is None:
        labels = Labels.load({"milestones": [m]})
    if violation and perpetrator:
        what = _("%(violation)s by %(perpetrator)s") % {
            "violation": _lower_first(labels.term("violation", violation)),
            "perpetrator": _lower_first(labels.term("perpetrator", perpetrator)),
        }
    elif violation:
        what = _lower_first(labels.term("violation", violation))
    elif perpetrator:
        what = _("incidents by %(perpetrator)s") % {"perpetrator": _lower_first(labels.term("perpetrator", perpetrator))}
    else:
        what = _("incidents")
    if place:
        return _("%(what)s in %(place)s") % {"what": what, "place": labels.place(place)}
    return what


def _month_words(iso: str) -> str:
    from django.utils.dates import MONTHS

    return _("%(month)s %(year)s") % {"month": MONTHS[int(iso[5:7])], "year": iso[:4]}


def _number(value: float, places: int) -> str:
    from django.utils.formats import number_format

    # number_format cuts digits off; round first so that 2.58 reads 2.6 (2,6 in Spanish).
    return number_format(round(value, places), places)


def milestone_sentence(m: dict[str, Any], labels: Labels | None = None) -> str:
    """One plain sentence on what changed after a milestone, from published numbers only.

    The rates are reports per month in up to four whole, published quarters on each side; the
    interval is the exact 95% interval of the rate ratio. When it includes 1 (no change), the
    sentence says that the change cannot be told apart from chance."""
    c = m.get("comparison")
    what = concern_words(m, labels)
    since = {"milestone": m["title"], "month": _month_words(m["date"])}
    if not c:
        return _("Since %(milestone)s (%(month)s): not enough published numbers on reports of %(what)s around that date to compare.") % {
            **since, "what": what,
        }
    from amparo.insights.lib.rates import rate_ratio

    r = rate_ratio(
        before_count=c["counts"][0], before_months=3 * c["before_quarters"],
        after_count=c["counts"][1], after_months=3 * c["after_quarters"],
    )
    words = {
        **since, "what": what, "before": _number(r.rate_before, 1), "after": _number(r.rate_after, 1),
        "months_before": 3 * c["before_quarters"], "months_after": 3 * c["after_quarters"],
    }
    if r.ratio is None or r.low is None or r.high is None:
        return _("Since %(milestone)s (%(month)s): too few reports of %(what)s to compare.") % {**since, "what": what}
    interval = {
        "ratio": _number(r.ratio, 2),
        "low": _number(r.low, 2),
        "high": "∞" if r.high == float("inf") else _number(r.high, 2),
    }
    if r.clear_change and r.ratio < 1:
        text = _(
            "Since %(milestone)s (%(month)s), reports of %(what)s fell from %(before)s to %(after)s a month "
            "(%(months_before)s months before, %(months_after)s after; rate ratio %(ratio)s, 95%% interval %(low)s to %(high)s)."
        )
    elif r.clear_change:
        text = _(
            "Since %(milestone)s (%(month)s), reports of %(what)s rose from %(before)s to %(after)s a month "
            "(%(months_before)s months before, %(months_after)s after; rate ratio %(ratio)s, 95%% interval %(low)s to %(high)s)."
        )
    else:
        text = _(
            "Since %(milestone)s (%(month)s), reports of %(what)s went from %(before)s to %(after)s a month, a difference "
            "that could be chance (%(months_before)s months before, %(months_after)s after; rate ratio %(ratio)s, 95%% "
            "interval %(low)s to %(high)s, which includes no change)."
        )
    return text % {**words, **interval}


def comparison_texts(summary: dict[str, Any], labels: Labels | None = None) -> list[tuple[dict[str, Any], str]]:
    """Each milestone with its sentence; the caveat about reports is said once, by the page."""
    return [(m, milestone_sentence(m, labels)) for m in summary.get("milestones", [])]


def reports_caveat() -> str:
    return _("These are reports, not the amount of violence: fewer reports can also mean that fewer people report.")


def default_granularity(summary: dict[str, Any], share: float = 0.8) -> str:
    """The finest time unit whose cells are at least 80% published (else the year)."""
    for granularity in GRANULARITIES:
        cells = trend_series(summary, granularity)
        if cells and sum(1 for c in cells if c["cell"]["status"] == "published") >= share * len(cells):
            return granularity
    return "year"


def granularity_note(summary: dict[str, Any], granularity: str, chosen: bool) -> str:
    """Why the page opens on quarters or years, when it does."""
    if chosen or granularity == "month" or not summary.get("protected"):
        return ""
    if granularity == "quarter":
        return _("Shown by quarter: by month, more than one number in five would have to be hidden to protect small ones.")
    return _("Shown by year: by month or quarter, more than one number in five would have to be hidden to protect small ones.")


def department_rows(summary: dict[str, Any], labels: Labels) -> list[dict[str, Any]]:
    """Departments with their provinces, drilled down only where some province is published."""
    rows = []
    for d in sorted(summary.get("departments", []), key=lambda d: labels.department(d["code"])):
        provinces = [
            {"name": labels.province(p["code"]), "cell": p["cell"]}
            for p in d["provinces"]
        ]
        drill = any(p["cell"]["status"] == "published" and p["cell"]["value"] for p in d["provinces"]) and len(provinces) > 1
        rows.append({"code": d["code"], "name": labels.department(d["code"]), "cell": d["cell"], "provinces": provinces if drill else []})
    return rows
