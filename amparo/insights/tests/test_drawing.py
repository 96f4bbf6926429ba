"""Charts, the map, PNG export, the PDF report and record coarsening: no database needed."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections import Counter

from fpdf import FPDF  # noqa: F401  (the PDF builds with Python packages only)
from PIL import Image

from amparo.insights.lib.anonymise import coarsen_period, coarsen_place, generalise
from amparo.insights.lib.charts import Milestone, Point, bar_chart, line_chart
from amparo.insights.lib.geo import GEOJSON, choropleth, classes, department_shapes, simplify
from amparo.insights.lib.pdf import ReportSpec, build_report_pdf

SVG = "{http://www.w3.org/2000/svg}"


def _line():
    return line_chart(
        slug="trend",
        title="Reportes por mes",
        desc="Reportes recibidos por mes en 2024.",
        labels=["2024-01", "2024-02", "2024-03"],
        series=[("Reportes", [Point(12, "12"), Point(None, "<5"), Point(20, "20")])],
        milestones=[Milestone(1.5, "Directiva PNP")],
        label_header="Mes",
    )


def test_line_chart_is_accessible_svg_with_its_data_table():
    chart = _line()
    root = ET.fromstring(chart.to_svg())
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Reportes por mes"
    assert root.find(f"{SVG}desc").text.startswith("Reportes recibidos")
    assert root.get("aria-labelledby") == "trend-t trend-d"
    assert chart.headers == ["Mes", "Reportes"]
    assert chart.rows[1] == ["2024-02", "<5"]


def test_line_chart_marks_milestones_and_breaks_at_hidden_points():
    svg = _line().to_svg()
    assert "Directiva PNP" in svg
    assert 'stroke-dasharray="4 3"' in svg
    assert ">&lt;5</text>" in svg
    # Two visible points either side of a hidden one: no line is drawn across the gap.
    assert "<polyline" not in svg


def test_bar_chart_shows_hidden_bars_with_their_mark():
    chart = bar_chart(
        slug="v",
        title="Por tipo de violación",
        desc="Incidentes por tipo.",
        bars=[("Detención arbitraria", Point(40, "40")), ("Extorsión / cupos", Point(None, "<5"))],
    )
    svg = chart.to_svg()
    assert "Extorsión / cupos: &lt;5" in svg
    ET.fromstring(svg)


def test_charts_export_as_png():
    png = _line().to_png()
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    assert img.size == (1360, 960)  # drawn 340 × 240 for phones, exported at 4×


def test_map_has_every_department_and_stays_light():
    shapes = department_shapes()
    assert len(shapes) == 25
    assert shapes["15"][0] == "Lima" and shapes["07"][0] == "Callao"
    values = {code: Point(10 * i, str(10 * i)) for i, code in enumerate(sorted(shapes))}
    values["07"] = Point(None, "<5")
    chart = choropleth(
        slug="map",
        title="Incidentes por región",
        desc="d",
        values=values,
        region_header="Región",
        value_header="Incidentes",
        hidden_label="oculto",
        zero_label="cero",
    )
    svg = chart.to_svg()
    root = ET.fromstring(svg)
    paths = root.findall(f"{SVG}path")
    assert len(paths) == 25
    assert {p.get("data-key") for p in paths} == set(shapes)
    assert "Callao: &lt;5" in svg
    assert len(svg) < 40_000  # a phone on 3G
    assert ["Callao", "<5"] in chart.rows
    assert Image.open(io.BytesIO(chart.to_png())).format == "PNG"


def test_map_data_ships_with_its_provenance_and_licence():
    folder = GEOJSON.parent
    assert (folder / "PROVENANCE.md").read_text().count("MPL") >= 1
    assert "Mozilla Public License" in (folder / "MPL-2.0.txt").read_text()


def test_simplify_keeps_ends_and_drops_collinear_points():
    line = [(0, 0), (1, 0.001), (2, 0), (3, 0), (3, 3), (0, 0)]
    out = simplify(line, 0.01)
    assert out[0] == (0, 0) and out[-1] == (0, 0)
    assert len(out) < len(line)


def test_classes_are_increasing_quantiles():
    assert classes([0, 5, 10, 20, 40, 80]) == [5, 10, 20, 40, 80]
    assert classes([0, 0]) == []


def test_report_pdf_builds_with_accents_charts_and_narrative():
    spec = ReportSpec(
        title="Informe de monitoreo",
        subtitle="Organización Ñusta · 2024",
        generated="Generado el 2025-01-10",
        figures=[("Incidentes", "120"), ("Con agentes del Estado", "<5")],
        charts=[_line()],
        milestones=[("2024-02", "Directiva PNP")],
        comparisons=["Los reportes bajaron un 50% por mes; intervalo 95%: 0.28 a 0.87."],
        narrative=[("Contexto", "Operativos en la vía pública — según la organización.")],
        notes=["Los reportes no son prevalencia."],
    )
    pdf = build_report_pdf(spec)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 2000


def test_places_and_periods_coarsen_in_steps():
    assert coarsen_place("150101") == "1501"
    assert coarsen_place("1501") == "15"
    assert coarsen_place("15") == "*"
    assert coarsen_period("2024-05") == "2024-Q2"
    assert coarsen_period("2024-Q2") == "2024"
    assert coarsen_period("2024") == "*"


def test_generalise_gives_every_combination_at_least_k_records():
    rows = (
        [{"place": "1501", "period": "2024-01", "gender": "trans_woman"}] * 6
        + [{"place": "1502", "period": "2024-01", "gender": "trans_woman"}] * 3
        + [{"place": "1503", "period": "2024-02", "gender": "trans_woman"}] * 2
        + [{"place": "0401", "period": "2024-03", "gender": "cis_woman"}]
    )
    out = generalise(rows, k=5, traits=("gender",))
    sizes = Counter(tuple(r.values()) for r in out.rows)
    assert min(sizes.values()) >= 5
    # The big cell keeps its province; the small ones coarsen to the department.
    assert sizes[("1501", "2024-01", "trans_woman")] == 6
    assert out.left_out == 1  # the one record from Arequipa cannot hide among others
    assert out.coarsened == 6
