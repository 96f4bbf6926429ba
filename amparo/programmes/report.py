"""The programme report for funders and partners (XLSX and PDF), in the reader's language.

Built only from `programme_progress`, so every health number has already passed small-cell
suppression; nothing here reads an activity.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.insights.lib.pdf import ReportSpec, build_report_pdf
from amparo.programmes.models import Programme
from amparo.programmes.selectors import STREET, Progress


def _site(label: str) -> str:
    return _("Street or elsewhere") if label == STREET else label


def _period(p: Progress) -> str:
    return f"{date_format(p.indicator.starts_on, 'SHORT_DATE_FORMAT')}–{date_format(p.indicator.ends_on, 'SHORT_DATE_FORMAT')}"


def _pct(value: int | None) -> str:
    return "" if value is None else f"{value} %"


def indicator_rows(progress: Sequence[Progress]) -> tuple[list[str], list[list[str | int]]]:
    headers = [_("Indicator"), _("What is counted"), _("Standard indicator"), _("Period"), _("Target"), _("Achieved"),
               _("Percentage"), _("Projected at the current pace")]
    rows: list[list[str | int]] = [
        [p.indicator.name, p.indicator.get_measure_display(), p.indicator.standard, _period(p), p.indicator.target, p.display,
         _pct(p.percent), "" if p.percent is None else p.projected]
        for p in progress
    ]
    return headers, rows


def site_rows(progress: Sequence[Progress]) -> tuple[list[str], list[list[str]]]:
    headers = [_("Indicator"), _("Site"), _("Achieved")]
    return headers, [[p.indicator.name, _site(s.label), s.display] for p in progress for s in p.sites]


NOTE = gettext_lazy("Health results (reactive, confirmed, linked to care) below the suppression threshold are shown as “<n” or “*”, "
         "so that nobody can be recognised. People are counted, never named.")


def to_xlsx(*, programme: Programme, progress: Sequence[Progress], people: Sequence[tuple[str, str]] = ()) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("Indicators")[:31]
    headers, rows = indicator_rows(progress)
    ws.append([programme.name])
    ws.append([programme.funder])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    sites = wb.create_sheet(_("By site")[:31])
    headers, rows2 = site_rows(progress)
    sites.append(headers)
    for row2 in rows2:
        sites.append(row2)
    if people:
        sheet = wb.create_sheet(_("People")[:31])
        for label, value in people:
            sheet.append([label, value])
    notes = wb.create_sheet(_("Notes")[:31])
    notes.append([str(NOTE)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_pdf(*, programme: Programme, progress: Sequence[Progress], people: Sequence[tuple[str, str]] = ()) -> bytes:
    figures = []
    for p in progress:
        value = f"{p.display} / {p.indicator.target}" + (f" ({p.percent} %)" if p.percent is not None else "")
        figures.append((p.indicator.name + (f" [{p.indicator.standard}]" if p.indicator.standard else ""), value))
    figures += list(people)
    narrative = []
    for p in progress:
        lines = [f"{_('Period')}: {_period(p)}"]
        if p.percent is not None:
            lines.append(_("At the current pace: %(projected)s by the end (%(percent)s %% of the target).")
                         % {"projected": p.projected, "percent": p.projected_percent})
        lines += [f"{_site(s.label)}: {s.display}" for s in p.sites]
        narrative.append((p.indicator.name, "\n".join(lines)))
    spec = ReportSpec(
        title=programme.name,
        subtitle=" · ".join(x for x in (programme.get_kind_display(), programme.funder, f"{date_format(programme.starts_on, 'SHORT_DATE_FORMAT')}–{date_format(programme.ends_on, 'SHORT_DATE_FORMAT')}") if x),
        generated=_("Generated on %(date)s") % {"date": date_format(timezone.localdate(), "SHORT_DATE_FORMAT")},
        figures=figures, narrative=narrative, notes=[str(NOTE)],
        labels={"figures": _("Indicators"), "notes": _("About these figures")},
    )
    return build_report_pdf(spec)
