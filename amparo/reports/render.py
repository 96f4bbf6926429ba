"""A `ReportSpec` as a workbook: one sheet per section, numbers as numbers where they are shown,
protected ones as their display ("<5", "*"). The PDF is `insights.lib.pdf.build_report_pdf`."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from amparo.insights.lib.pdf import ReportSpec
from amparo.lib.inputs import text_safe_for_xml

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(value: Any, *, first: bool) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = text_safe_for_xml(str(value))
    # Protected tables hand over displays; the published ones are numbers again (labels stay text).
    if not first and text.isdigit():
        return int(text)
    return text


def _append(ws: Any, row: Sequence[Any]) -> None:
    ws.append([_value(v, first=i == 0) for i, v in enumerate(row)])
    for cell in ws[ws.max_row]:
        # Text the organisation wrote that starts like a formula stays text, never evaluated.
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _title(name: str, used: set[str]) -> str:
    base = " ".join(re.sub(r"[\[\]:*?/\\]", " ", name).split())[:31] or "Hoja"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:28]} {n}"
        n += 1
    used.add(title.lower())
    return title


def _table(ws: Any, table: Any) -> None:
    """A `ReportTable`, or a chart's table (its notes instead of one note)."""
    _append(ws, [table.title])
    _append(ws, list(table.headers))
    for row in table.rows:
        _append(ws, list(row))
    for note in [table.note] if getattr(table, "note", "") else getattr(table, "notes", []):
        _append(ws, [note])
    ws.append([])


def to_xlsx(spec: ReportSpec) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    used: set[str] = set()
    cover = wb.active
    cover.title = _title(pgettext("funder report, sheet", "Report"), used)
    for line in (spec.title, spec.subtitle, spec.generated):
        _append(cover, [line])
    cover.append([])
    for heading, text in spec.narrative:
        _append(cover, [heading, text or "—"])
    for section in spec.sections:
        ws = wb.create_sheet(_title(section.title, used))
        _append(ws, [section.title])
        ws.append([])
        for name, value in section.figures:
            _append(ws, [name, value])
        if section.figures:
            ws.append([])
        for chart in section.charts:
            _table(ws, chart)
        for table in section.tables:
            _table(ws, table)
        for text in section.paragraphs:
            _append(ws, [text])
    if spec.milestones or spec.comparisons:
        ws = wb.create_sheet(_title(spec.labels.get("milestones", _("Milestones")), used))
        _append(ws, [_("Date"), _("Milestone")])
        for when, what in spec.milestones:
            _append(ws, [when, what])
        ws.append([])
        for text in spec.comparisons:
            _append(ws, [text])
    notes = wb.create_sheet(_title(spec.labels.get("notes", _("Notes")), used))
    for note in spec.notes:
        _append(notes, [note])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
