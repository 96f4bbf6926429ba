"""The funder / monitoring report as a PDF, built with fpdf2 and the bundled DejaVu font only.

Nothing here reads the database: the caller passes figures and charts that have already
passed disclosure control, so the PDF contains exactly what the page showed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF

from amparo.insights.lib.charts import FONT_DIR, Chart


@dataclass
class ReportTable:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]  # numbers or display strings ("<5", "*")
    note: str = ""
    widths: Sequence[int] = ()  # relative column widths; by default the first column is 3 times wider


@dataclass
class ReportSection:
    """A titled part of a report: figures, then charts, tables and paragraphs."""

    title: str
    figures: Sequence[tuple[str, str]] = ()
    charts: Sequence[Chart] = ()
    tables: Sequence[ReportTable] = ()
    paragraphs: Sequence[str] = ()


@dataclass
class ReportSpec:
    title: str
    subtitle: str
    generated: str
    figures: Sequence[tuple[str, str]] = ()
    charts: Sequence[Chart] = ()
    sections: Sequence[ReportSection] = ()
    milestones: Sequence[tuple[str, str]] = ()  # (date, label)
    comparisons: Sequence[str] = ()
    narrative: Sequence[tuple[str, str]] = ()  # (heading, text the organisation wrote)
    notes: Sequence[str] = ()
    labels: dict[str, str] = field(default_factory=dict)


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 8, f"{self.footer_text} · {self.page_no()}", align="C")


def build_report_pdf(spec: ReportSpec) -> bytes:
    pdf = _Report(format="A4")
    pdf.footer_text = spec.title
    pdf.set_title(spec.title)
    pdf.set_author("Amparo")
    pdf.set_creator("Amparo")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    label = spec.labels.get

    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 8, spec.title)
    pdf.set_font("DejaVu", size=10)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(width, 5, f"{spec.subtitle}\n{spec.generated}")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(width, 7, text)
        pdf.set_font("DejaVu", size=10)

    def figures(items: Sequence[tuple[str, str]]) -> None:
        for name, value in items:
            pdf.set_font("DejaVu", size=10)
            pdf.cell(width * 0.7, 6, name, border="B")
            pdf.set_font("DejaVu", "B", 10)
            pdf.cell(width * 0.3, 6, value, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=10)

    def table(headers: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int] = ()) -> None:
        pdf.set_font("DejaVu", size=7 if len(headers) > 6 else 8 if len(headers) > 4 else 9)
        with pdf.table(
            col_widths=tuple(widths) or (3, *[1] * (len(headers) - 1)), text_align=["LEFT"] + ["RIGHT"] * (len(headers) - 1)
        ) as t:
            t.row([str(h) for h in headers])
            for row in rows:
                t.row(["" if v is None else str(v) for v in row])
        pdf.set_font("DejaVu", size=10)

    def chart_block(chart: Chart) -> None:
        heading(chart.title)
        png = io.BytesIO(chart.to_png(scale=4))
        img_w = min(width, chart.width * 0.35)
        if pdf.get_y() + img_w * chart.height / chart.width > pdf.h - 20:
            pdf.add_page()
        pdf.image(png, w=img_w)
        pdf.set_font("DejaVu", size=8)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(width, 4, chart.desc)
        for note in chart.notes:
            pdf.multi_cell(width, 4, note)
        pdf.set_text_color(0, 0, 0)
        if chart.rows and len(chart.rows) <= 30:
            table(chart.headers, chart.rows)
        pdf.set_font("DejaVu", size=10)

    if spec.figures:
        heading(label("figures", "Key figures"))
        figures(spec.figures)

    for chart in spec.charts:
        chart_block(chart)

    for section in spec.sections:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(width, 8, section.title)
        pdf.set_font("DejaVu", size=10)
        figures(section.figures)
        for chart in section.charts:
            chart_block(chart)
        for t in section.tables:
            heading(t.title)
            if t.rows:
                table(t.headers, t.rows, t.widths)
            if t.note:
                pdf.set_font("DejaVu", size=8)
                pdf.set_text_color(90, 90, 90)
                pdf.multi_cell(width, 4, t.note)
                pdf.set_text_color(0, 0, 0)
                pdf.set_font("DejaVu", size=10)
        for text in section.paragraphs:
            pdf.ln(1)
            pdf.multi_cell(width, 5, text)

    if spec.milestones or spec.comparisons:
        heading(label("milestones", "Milestones and before/after"))
        for when, what in spec.milestones:
            pdf.multi_cell(width, 5, f"{when}: {what}")
        for text in spec.comparisons:
            pdf.multi_cell(width, 5, text)

    for title, text in spec.narrative:
        heading(title)
        pdf.multi_cell(width, 5, text or "—")

    if spec.notes:
        heading(label("notes", "About these figures"))
        pdf.set_font("DejaVu", size=9)
        for note in spec.notes:
            pdf.multi_cell(width, 4.5, note)
            pdf.ln(1)
    return bytes(pdf.output())
