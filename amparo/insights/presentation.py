"""Turn a summary document into labelled charts, tables and the coverage note for a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from amparo.insights.lib.charts import Chart, Milestone, Point, bar_chart, line_chart
from amparo.insights.lib.geo import choropleth
from amparo.places.models import Department, Province
from amparo.vocab.models import RightGroup, Term

GRANULARITIES = ("month", "quarter", "year")
CHART_NAMES = ("trend", "map", "violations", "perpetrators", "place_types", "rights")


def _point(cell: dict[str, Any]) -> Point:
    return Point(cell["value"], cell["display"])


@dataclass
class Labels:
    terms: dict[tuple[str, str], str] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    provinces: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, summary: dict[str, Any]) -> Labels:
        codes = {d["code"] for d in summary.get("departments", [])}
        provinces = {p["code"] for d in summary.get("departments", []) for p in d["provinces"]}
        terms = {(t.vocabulary, t.code): t.label for t in Term.objects.all()}
        return cls(
            terms=terms,
            departments=dict(Department.objects.filter(code__in=codes).values_list("code", "name")),
            provinces=dict(Province.objects.filter(code__in=provinces).values_list("code", "name")),
        )

    def term(self, vocabulary: str, code: str) -> str:
        if not code:
            return _("Not recorded")
        return self.terms.get((vocabulary, code), code)

    def department(self, code: str) -> str:
        return self.departments.get(code, code) if code else _("Region not recorded")

    def province(self, code: str) -> str:
        return self.provinces.get(code, code) if code else _("Province not recorded")


def hidden_note(summary: dict[str, Any]) -> str:
    if not summary.get("protected"):
        return ""
    t = summary["threshold"]
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
        values={d["code"]: _point(d["cell"]) for d in summary["departments"] if d["code"]},
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
    if left and left.get("display") not in (None, "0"):
        lines.append(
            _("%(n)s records are left out because the person did not agree to their use in statistics.")
            % {"n": left["display"]}
        )
    if summary.get("protected"):
        lines.append(
            _("Numbers below %(t)s are shown as “<%(t)s” and some others are hidden (“*”) so that nobody can be identified.")
            % {"t": summary["threshold"]}
        )
    return lines


def comparison_texts(summary: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    from amparo.insights.lib.rates import rate_ratio

    out = []
    for m in summary.get("milestones", []):
        c = m.get("comparison")
        if not c:
            out.append((m, _("Not enough published data around this date to compare.")))
            continue
        r = rate_ratio(
            before_count=c["counts"][0], before_months=3 * c["before_quarters"],
            after_count=c["counts"][1], after_months=3 * c["after_quarters"],
        )
        text = _("%(before)s reports per month in the %(bq)s quarters before, %(after)s in the %(aq)s quarters after.") % {
            "before": f"{r.rate_before:.1f}", "after": f"{r.rate_after:.1f}", "bq": c["before_quarters"], "aq": c["after_quarters"],
        }
        out.append((m, f"{text} {r.summary()}"))
    return out


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
