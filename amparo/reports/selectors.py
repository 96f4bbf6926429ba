"""The report for funders and partners, assembled once as a `ReportSpec` of sections and then
rendered to PDF (`insights.lib.pdf`) or XLSX (`reports.render`).

A report leaves the organisation, so every number about people passes the disclosure function
whoever asks for it. What is protected and why:
- documentation (incidents, people, state agents, violations, perpetrators, places): the
  protected statistics summary, as on the public page;
- responses (referrals, legal routes, case outcomes, medians): `response_summary(protected=True)`;
- indicators: `programme_progress`, whose health results already arrive protected;
- reach: people from the community (sex workers, trans women, other participants) are
  protected as one kind × category table with its margins: a handful of people at one small
  activity could be recognised. Police officers, health staff and officials are counted in
  their public role, as the indicators count them, and are shown as they are;
- testing: reactive, confirmed and linked-to-care counts are protected column by column, as
  the indicators protect them; tests done are shown as they are (as HTS_TST is);
- pre/post scores: an average is shown only over at least threshold people;
- referrals and linkage to care: `programme_people_figures`, protected counts and a median
  days-to-treatment only over enough people;
- activities held and materials handed out count the organisation's acts and objects, not
  people, and are shown as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership
from amparo.insights import selectors as insights
from amparo.insights.lib import disclosure
from amparo.insights.lib.pdf import ReportSection, ReportSpec, ReportTable
from amparo.insights.presentation import Labels, build_charts, comparison_texts, coverage_note
from amparo.insights.response_stats import response_summary
from amparo.insights.summary import build_summary
from amparo.programmes.models import Activity, ActivityKind, Programme
from amparo.programmes.selectors import (
    STREET,
    Progress,
    programme_get_for,
    programme_people_figures,
    programme_progress,
)
from amparo.records.models import Incident

COMMUNITY = ("participants_sex_workers", "participants_trans_women", "participants_other")
PROFESSIONALS = ("participants_police", "participants_health_staff", "participants_officials")
MATERIALS = ("condoms", "lubricants", "leaflets")
HEALTH_RESULTS = ("tests_reactive", "tests_confirmed", "linked_to_care")


@dataclass
class Narrative:
    context: str = ""
    achievements: str = ""
    challenges: str = ""


def shown(display: str) -> int | str:
    """A protected number as a number when it is published, else its display ("<5", "*")."""
    return int(display) if display.isdigit() else display


def _day(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _field_label(name: str) -> str:
    label = str(getattr(Activity._meta.get_field(name), "verbose_name", name))
    return label[:1].upper() + label[1:]


# ---- documentation ----------------------------------------------------------------------------


def _documentation(membership: Membership, date_from: date, date_to: date) -> tuple[ReportSection, dict[str, Any], Labels]:
    filters = insights.StatsFilters(date_from=date_from, date_to=date_to)
    incidents = insights.filtered_incidents(Incident.objects.for_member(membership), filters)
    summary = build_summary(
        insights.facts_from_incidents(incidents), protected=True,
        milestones=insights.milestones_for([membership.organisation_id], public_only=False),
    )
    summary["scope"] = {"kind": "organisation", "organisations": [membership.organisation.name]}
    labels = Labels.load(summary)
    charts = build_charts(summary, labels, granularity="month" if (date_to - date_from).days < 800 else "quarter")
    figures = [(_("Incidents reported"), summary["total"]["display"])]
    if summary.get("people"):
        figures.append((_("People affected"), summary["people"]["display"]))
    if summary.get("state_agent"):
        share = summary["state_agent"]["share"]
        figures.append((_("Involving state agents"), f"{summary['state_agent']['yes']['display']}" + (f" ({share}%)" if share is not None else "")))
    section = ReportSection(
        title=_("Documentation: incidents"), figures=figures,
        charts=[charts[n] for n in ("trend", "map", "violations", "perpetrators") if n in charts],
    )
    return section, summary, labels


def _responses(membership: Membership, date_from: date, date_to: date) -> ReportSection:
    summary = response_summary(membership=membership, protected=True, date_from=date_from, date_to=date_to)
    tables = [
        ReportTable(title=t["title"], headers=[_("Status or outcome"), _("Count")],
                    rows=[[label, shown(display)] for label, display in t["rows"]] + [[_("Total"), shown(t["total"])]])
        for t in summary["tables"]
    ]
    tables.append(ReportTable(title=_("How long it takes"), headers=[_("Step"), _("Median")], rows=[list(row) for row in summary["times"]]))
    paragraphs = [] if summary["tables"] else [_("No referrals or legal cases were opened in this period.")]
    return ReportSection(title=_("Responses and their outcomes"), tables=tables, paragraphs=paragraphs)


# ---- the programme ----------------------------------------------------------------------------


def _site(label: str) -> str:
    return _("Street or elsewhere") if label == STREET else label


def _met(p: Progress) -> str:
    # A hidden value must not be given away by saying whether it reached its target.
    if p.percent is None:
        return "—"
    return _("Yes") if p.met else _("No")


def _indicators(programme: Programme, progress: Sequence[Progress]) -> tuple[ReportSection, ReportSection]:
    headers = [_("Indicator"), _("What is counted"), _("Standard indicator"), _("Period"), _("Target"), _("Achieved"),
               _("Percentage"), _("Projected at the current pace"), _("Target met")]
    rows: list[list[Any]] = [
        [p.indicator.name, p.indicator.get_measure_display(), p.indicator.standard,
         f"{_day(p.indicator.starts_on)} – {_day(p.indicator.ends_on)}", p.indicator.target, shown(p.display),
         "" if p.percent is None else p.percent, "" if p.percent is None else p.projected, _met(p)]
        for p in progress
    ]
    if not progress:
        nothing = [_("This programme has no indicators yet.")]
        return (ReportSection(title=_("Programme: indicators and targets"), paragraphs=nothing),
                ReportSection(title=_("Programme: progress by site"), paragraphs=nothing))
    counted = [p for p in progress if p.percent is not None]
    figures = [(_("Targets met"), _("%(met)s of %(all)s indicators") % {"met": sum(p.met for p in counted), "all": len(progress)})]
    indicators = ReportSection(
        title=_("Programme: indicators and targets"), figures=figures,
        tables=[ReportTable(title=programme.name, headers=headers, rows=rows, widths=(4, 4, 3, 4, 2, 2, 3, 3, 2),
                            note=_("Health results below the suppression threshold are shown as “<n” or “*”, so that nobody can be recognised."))],
    )
    site_rows: list[list[Any]] = [[p.indicator.name, _site(s.label), shown(s.display)] for p in progress for s in p.sites]
    sites = ReportSection(title=_("Programme: progress by site"),
                          tables=[ReportTable(title=_("By site"), headers=[_("Indicator"), _("Site"), _("Achieved")], rows=site_rows)])
    return indicators, sites


def _column(cells: dict[str, int], *, threshold: int) -> dict[str, int | str]:
    """One count per activity type, protected with its total (key "")."""
    protected = disclosure.protect(disclosure.one_way(cells), threshold=threshold)
    out: dict[str, int | str] = {kind: shown(protected.display(kind)) for kind in cells}
    out[""] = shown(protected.display(disclosure.TOTAL))
    return out


def _activities(programme: Programme, date_from: date, date_to: date, threshold: int) -> ReportSection:
    activities = Activity.objects.filter(
        organisation_id=programme.organisation_id, programme=programme, held_on__gte=date_from, held_on__lte=date_to,
    )
    counted = [*COMMUNITY, *PROFESSIONALS, *MATERIALS, "tests_done", *HEALTH_RESULTS, "scored_participants"]
    by_kind = {
        row["kind"]: row
        for row in activities.values("kind").annotate(n=Count("id"), **{f: Sum(f) for f in counted}).order_by()
    }
    kinds = [k for k in ActivityKind.values if k in by_kind]
    if not kinds:
        return ReportSection(title=_("Programme: activities and reach"), paragraphs=[_("No activities of this programme in this period.")])
    label = dict(ActivityKind.choices)
    total_row = {f: sum(int(by_kind[k][f] or 0) for k in kinds) for f in ("n", *counted)}

    def value(kind: str, name: str) -> int:
        return int((by_kind[kind] if kind else total_row)[name] or 0)

    community = disclosure.protect(
        disclosure.two_way({(k, f): value(k, f) for k in kinds for f in COMMUNITY}, rows=kinds, cols=COMMUNITY), threshold=threshold,
    )

    def community_cell(kind: str, name: str) -> int | str:
        key: Any = (kind, name) if kind else ("col", name)
        return shown(community.display(key))

    reach_rows = [
        [str(label[k]) if k else _("Total"), value(k, "n"),
         *(community_cell(k, f) for f in COMMUNITY), *(value(k, f) for f in PROFESSIONALS)]
        for k in [*kinds, ""]
    ]
    reach = ReportTable(
        title=_("Activities and people reached by type"),
        headers=[_("Type"), _("Activities"), *(_field_label(f) for f in (*COMMUNITY, *PROFESSIONALS))], rows=reach_rows,
        widths=(5, 2, 2, 2, 2, 2, 2, 2),
        note=_("People from the community are counted, never named; small counts are shown as “<n” or “*”. "
               "Police officers, health staff and officials are counted in their public role."),
    )
    materials = ReportTable(
        title=_("Materials handed out by type"), headers=[_("Type"), *(_field_label(f) for f in MATERIALS)],
        rows=[[str(label[k]) if k else _("Total"), *(value(k, f) for f in MATERIALS)] for k in [*kinds, ""]],
    )
    tables = [reach, materials]
    if total_row["tests_done"]:
        health = {f: _column({k: value(k, f) for k in kinds}, threshold=threshold) for f in HEALTH_RESULTS}
        tables.append(ReportTable(
            title=_("HIV testing and linkage to care by type"), headers=[_("Type"), *(_field_label(f) for f in ("tests_done", *HEALTH_RESULTS))],
            rows=[[str(label[k]) if k else _("Total"), value(k, "tests_done"), *(health[f][k] for f in HEALTH_RESULTS)] for k in [*kinds, ""]],
        ))
    if total_row["scored_participants"]:
        tables.append(_scores(activities, kinds, label, threshold))
    return ReportSection(title=_("Programme: activities and reach"), tables=tables)


def _scores(activities: Any, kinds: list[str], label: dict[str, Any], threshold: int) -> ReportTable:
    """Pre/post averages weighted by the people who took both tests; an average over fewer than
    `threshold` people would describe one or two of them, so it is not shown."""
    sums: dict[str, list[Decimal]] = {}
    for kind, people, pre, post in activities.exclude(scored_participants=0).exclude(pre_score_average=None).exclude(
        post_score_average=None,
    ).values_list("kind", "scored_participants", "pre_score_average", "post_score_average"):
        s = sums.setdefault(kind, [Decimal(0), Decimal(0), Decimal(0)])
        s[0] += people
        s[1] += people * pre
        s[2] += people * post
    everyone = [sum((s[i] for s in sums.values()), Decimal(0)) for i in range(3)]
    rows: list[list[Any]] = []
    for kind in [k for k in kinds if k in sums] + [""]:
        people, pre, post = sums[kind] if kind else everyone
        name = str(label[kind]) if kind else _("Total")
        if people < threshold:
            rows.append([name, disclosure.suppress_count(int(people), threshold=threshold), "—", "—"])
        else:
            rows.append([name, int(people), float(round(pre / people, 1)), float(round(post / people, 1))])
    return ReportTable(
        title=_("Pre and post test scores (0–100) by type"),
        headers=[_("Type"), _("People who took both tests"), _("Average before"), _("Average after")], rows=rows,
        note=_("Averages over fewer than %(t)s people are not shown.") % {"t": threshold},
    )


# ---- the whole report -------------------------------------------------------------------------


def funder_report_for(
    *, membership: Membership, date_from: date, date_to: date, programme_id: int | None = None, narrative: Narrative | None = None,
) -> tuple[ReportSpec, Programme | None]:
    """The report in the active language. Without a programme it is the monitoring report of
    the documentation alone; another organisation's programme is a 404 like a missing one."""
    programme = programme_get_for(membership=membership, programme_id=programme_id) if programme_id else None
    narrative = narrative or Narrative()
    threshold = disclosure.threshold_default()
    organisation = membership.organisation
    documentation, summary, labels = _documentation(membership, date_from, date_to)
    sections = [documentation, _responses(membership, date_from, date_to)]
    if programme is not None:
        progress = programme_progress(membership=membership, programme=programme, until=date_to)
        indicators, sites = _indicators(programme, progress)
        sections += [indicators, sites, _activities(programme, date_from, date_to, threshold)]
        # Referrals and linkage to care, as published numbers (small counts suppressed).
        sections.append(ReportSection(title=_("Programme: people referred and accompanied to treatment"),
                                      figures=programme_people_figures(membership=membership, programme=programme)))
    # The same sentences as the public page (from all the organisation's records, protected
    # alone), for the milestones up to the end of the period.
    story = insights.milestone_story(organisation_id=organisation.pk)
    end = date_to.isoformat()
    period = f"{_day(date_from)} – {_day(date_to)}"
    subtitle = " · ".join(x for x in (organisation.name, programme.name if programme else "", programme.funder if programme else "", period) if x)
    spec = ReportSpec(
        title=_("Report for funders and partners") if programme else _("Monitoring report"),
        subtitle=subtitle,
        generated=_("Generated on %(date)s with Amparo") % {"date": _day(timezone.localdate())},
        sections=sections,
        milestones=[(m["date"], m["title"]) for m in summary["milestones"] if m["date"] <= end],
        comparisons=[text for m, text in comparison_texts(story, labels) if m["date"] <= end],
        narrative=[(_("Context"), narrative.context), (_("What we achieved"), narrative.achievements),
                   (_("Challenges and next steps"), narrative.challenges)],
        notes=[*coverage_note(summary, labels),
               _("Indicators count the programme's activities from the start of each indicator's period to the end of this report's period.")],
        labels={"figures": _("Key figures"), "milestones": _("Milestones and before/after"), "notes": _("About these figures")},
    )
    return spec, programme
