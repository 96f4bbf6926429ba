"""De-identified exports (CSV in a ZIP, XLSX), each with its data dictionary, and the
observatory export grouped by the right affected.

Record-level rows carry no reference, name, narrative, perpetrator detail or exact day; places
and periods are coarsened until every combination of place, period and coded traits is shared by
at least `threshold` records (`amparo.insights.lib.anonymise`). Only records whose people agreed
to statistical use are exported.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from amparo.insights.lib.anonymise import generalise
from amparo.insights.lib.disclosure import TOTAL, one_way, protect, threshold_default
from amparo.records.models import Incident, IncidentPerpetrator, IncidentPerson, IncidentViolation
from amparo.vocab.models import RightGroup, Term

COLUMNS = (
    "row",
    "period",
    "place",
    "place_type",
    "violations",
    "perpetrators",
    "state_agent",
    "people_affected",
    "gender_identities",
    "migrant_statuses",
    "age_bands",
    "source",
    "reliability",
)
TRAITS = ("gender_identities", "migrant_statuses", "age_bands")


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class Export:
    data: Table
    dictionary: Table
    notes: list[str]


def dictionary_table() -> Table:
    """What every column means and which codes it may hold."""
    vocab_codes = defaultdict(list)
    for vocabulary, code in Term.objects.order_by("vocabulary", "sort_order", "code").values_list("vocabulary", "code"):
        vocab_codes[vocabulary].append(code)
    rows = [
        ["row", _("Row number in this file only; not a reference to any record."), ""],
        ["period", _("Month of the incident (YYYY-MM), coarsened to quarter (YYYY-Qn) or year where few records share it; * = hidden."), ""],
        ["place", _("INEI ubigeo of the province (4 digits) or department (2 digits); * = hidden."), ""],
        ["place_type", _("Type of place (vocabulary place_type)."), " ".join(vocab_codes["place_type"])],
        ["violations", _("What happened, codes separated by ';' (vocabulary violation)."), " ".join(vocab_codes["violation"])],
        ["perpetrators", _("Who did it, codes separated by ';' (vocabulary perpetrator)."), " ".join(vocab_codes["perpetrator"])],
        ["state_agent", _("1 if any perpetrator was a state agent (police, serenazgo, military, officials), else 0."), "0 1"],
        ["people_affected", _("Number of people affected."), ""],
        ["gender_identities", _("Gender identities of the people affected, ';'-separated; * = hidden."), "cis_woman trans_woman trans_man non_binary other not_said"],
        ["migrant_statuses", _("Migrant status of the people affected, ';'-separated; * = hidden."), "national regular irregular asylum not_said"],
        ["age_bands", _("Age bands of the people affected, ';'-separated; * = hidden."), "under_18 18_24 25_34 35_44 45_59 60_plus not_said"],
        ["source", _("Source of the information (vocabulary source)."), " ".join(vocab_codes["source"])],
        ["reliability", _("How reliable the source is."), "high medium low unknown"],
    ]
    return Table("dictionary", [_("column"), _("meaning"), _("codes")], rows)


def _joined(values: Sequence[str]) -> str:
    return ";".join(sorted(set(v for v in values if v)))


def record_export(qs: QuerySet[Incident], *, threshold: int | None = None) -> Export:
    """De-identified, k-anonymous rows for the given incidents (consent to share required)."""
    k = threshold_default() if threshold is None else threshold
    total = qs.count()
    shareable = qs.filter(consent_share_stats=True)
    base = list(
        shareable.values_list(
            "pk", "occurred_on", "province_id", "department_id", "place_type__code", "involves_state_agent",
            "people_affected", "source__code", "reliability",
        ).order_by("occurred_on", "pk")
    )
    ids = shareable.values("pk")
    violations: dict[int, list[str]] = defaultdict(list)
    for incident_id, code in IncidentViolation.objects.filter(incident__in=ids).values_list("incident_id", "term__code"):
        violations[incident_id].append(code)
    perpetrators: dict[int, list[str]] = defaultdict(list)
    for incident_id, code in IncidentPerpetrator.objects.filter(incident__in=ids).values_list("incident_id", "term__code"):
        perpetrators[incident_id].append(code)
    traits: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for incident_id, gender, migrant, age in IncidentPerson.objects.filter(incident__in=ids).values_list(
        "incident_id", "person__gender_identity", "person__migrant_status", "person__age_band"
    ):
        traits[incident_id]["gender_identities"].append(gender)
        traits[incident_id]["migrant_statuses"].append(migrant)
        traits[incident_id]["age_bands"].append(age)
    rows = []
    for pk, occurred, province, department, place_type, agent, people, source, reliability in base:
        rows.append(
            {
                "period": f"{occurred.year}-{occurred.month:02d}",
                "place": province or department or "*",
                "place_type": place_type or "",
                "violations": _joined(violations[pk]),
                "perpetrators": _joined(perpetrators[pk]),
                "state_agent": 1 if agent else 0,
                "people_affected": people,
                "gender_identities": _joined(traits[pk]["gender_identities"]) or "*",
                "migrant_statuses": _joined(traits[pk]["migrant_statuses"]) or "*",
                "age_bands": _joined(traits[pk]["age_bands"]) or "*",
                "source": source or "",
                "reliability": reliability,
            }
        )
    result = generalise(rows, k=k, place="place", period="period", traits=TRAITS)
    out_rows = [[i + 1, *[r[c] for c in COLUMNS[1:]]] for i, r in enumerate(result.rows)]
    notes = [
        _("De-identified export: no names, references, narratives, perpetrator details or exact days."),
        _("Records without consent to statistical use left out: %(n)s.") % {"n": total - len(base)},
        _("Places and periods were coarsened for %(n)s records so that every combination is shared by at least %(k)s records.")
        % {"n": result.coarsened, "k": k},
        _("Records that stayed unique after coarsening and were left out: %(n)s.") % {"n": result.left_out},
        _("These are reports, not a measure of how common violence is."),
    ]
    return Export(Table("data", list(COLUMNS), out_rows), dictionary_table(), notes)


def observatory_export(qs: QuerySet[Incident], *, threshold: int | None = None, perturbed: bool = False) -> Export:
    """Incidents by right affected and year, protected: the categories regional observatories use.

    `perturbed` (for analysts, who can filter exports as they filter the dashboard): cell key
    perturbation instead of suppression, so two filtered exports cannot be subtracted."""
    from amparo.insights.lib.cellkey import perturbed_cell, record_key

    t = threshold_default() if threshold is None else threshold
    keys: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    shareable = qs.filter(consent_share_stats=True)
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    years_all: set[int] = set()
    links = (
        IncidentViolation.objects.filter(incident__in=shareable.values("pk"))
        .exclude(term__right_group="")
        .values_list("incident_id", "incident__occurred_on", "term__right_group")
        .distinct()
    )
    seen: set[tuple[int, str]] = set()
    for incident_id, occurred, group in links:
        if (incident_id, group) in seen:
            continue
        seen.add((incident_id, group))
        counts[group][occurred.year] += 1
        totals[group] += 1
        keys[group][occurred.year] += record_key(incident_id)
        years_all.add(occurred.year)
    years = sorted(years_all)
    labels = dict(RightGroup.choices)
    rows = []
    for group in [g for g in RightGroup.values if g]:
        values = {y: counts[group][y] for y in years}
        if perturbed:
            shown = [perturbed_cell(values[y], keys[group][y], t)["display"] for y in years]
            rows.append([group, str(labels[group]), *shown, perturbed_cell(totals[group], sum(keys[group].values()), t)["display"]])
            continue
        p = protect(one_way(values, total=totals[group]), threshold=t, fixed=[TOTAL])
        rows.append([group, str(labels[group]), *[p.display(y) for y in years], p.display(TOTAL)])
    headers = ["right_group", _("right affected"), *[str(y) for y in years], _("total")]
    dictionary = Table(
        "dictionary",
        [_("column"), _("meaning"), _("codes")],
        [
            ["right_group", _("The right affected, as regional observatories group violations."), " ".join(g for g in RightGroup.values if g)],
            ["<year>", _("Incidents in that year affecting this right; one incident may affect several rights."), ""],
            ["total", _("Incidents affecting this right in the whole period."), ""],
        ],
    )
    notes = [
        _("“<%(t)s” means 1 to %(last)s incidents; “*” hides a number that would reveal a small one.") % {"t": t, "last": t - 1},
        _("Only records with consent to statistical use are counted."),
    ]
    if perturbed:
        notes[0] = _(
            "Numbers carry small random adjustments (up to 2 either way), so that two filtered exports cannot be "
            "subtracted; totals may not add up exactly. “<%(t)s” means a result below %(t)s."
        ) % {"t": t}
    return Export(Table("observatory", headers, rows), dictionary, notes)


def to_csv_zip(export: Export, *, stem: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for table, name in ((export.data, f"{stem}.csv"), (export.dictionary, "dictionary.csv")):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(table.headers)
            writer.writerows(table.rows)
            z.writestr(name, "\ufeff" + text.getvalue())  # BOM: Excel opens UTF-8 correctly
        z.writestr("README.txt", "\n".join(export.notes) + "\n")
    return buf.getvalue()


def to_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = export.data.name
    ws.append(export.data.headers)
    for row in export.data.rows:
        ws.append(row)
    dic = wb.create_sheet("dictionary")
    dic.append(export.dictionary.headers)
    for row in export.dictionary.rows:
        dic.append(row)
    notes = wb.create_sheet("notes")
    for line in export.notes:
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
