"""Peru's departments as SVG shapes, and a choropleth drawn from protected counts.

The shapes ship in `amparo/insights/data/peru-departments.geojson` (MPL-2.0, see PROVENANCE.md).
They are simplified (Douglas–Peucker) and projected once per process: an equirectangular
projection scaled by cos(latitude) at Peru's centre, which keeps shapes honest at this size
and needs no projection library. No tiles, no third-party requests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from amparo.insights.lib.charts import HIDDEN_FILL, INK, MUTED, Chart, Point, Rect, Shape, Text
from amparo.places.ubigeo import display_name

GEOJSON = Path(__file__).resolve().parent.parent / "data" / "peru-departments.geojson"
MAP_WIDTH = 360
MAP_HEIGHT = 480
LEGEND_H = 104  # three rows of 13-unit text: legible at 360 px
# Sequential purple scale (light to dark), distinguishable in greyscale.
SCALE = ("#f3e8f7", "#d8b4e2", "#b37ac6", "#8a4aa5", "#5b1f78")
ZERO_FILL = "#ffffff"


def _perpendicular(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker, iterative; keeps the first and last point."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        best, index = 0.0, -1
        for k in range(i + 1, j):
            d = _perpendicular(points[k], points[i], points[j])
            if d > best:
                best, index = d, k
        if best > tolerance and index > 0:
            keep[index] = True
            stack.extend([(i, index), (index, j)])
    out = [p for p, k in zip(points, keep, strict=True) if k]
    return out if len(out) >= 4 else points


@lru_cache(maxsize=4)
def department_shapes(tolerance: float = 0.02) -> dict[str, tuple[str, list[list[tuple[float, float]]]]]:
    """{INEI code: (name, rings in SVG coordinates)} for the 25 departments (Callao included)."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    raw: dict[str, tuple[str, list[list[tuple[float, float]]]]] = {}
    lons: list[float] = []
    lats: list[float] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = []
        for polygon in polygons:
            outer = [(float(x), float(y)) for x, y in polygon[0]]
            rings.append(simplify(outer, tolerance))
            lons.extend(x for x, _ in outer)
            lats.extend(y for _, y in outer)
        code = str(feature["properties"]["FIRST_IDDP"]).zfill(2)
        raw[code] = (display_name(str(feature["properties"]["NOMBDEP"])), rings)
    lat0 = math.radians((min(lats) + max(lats)) / 2)
    kx = math.cos(lat0)
    min_x, max_x = min(lons) * kx, max(lons) * kx
    min_y, max_y = min(lats), max(lats)
    pad = 6
    scale = min((MAP_WIDTH - 2 * pad) / (max_x - min_x), (MAP_HEIGHT - 2 * pad) / (max_y - min_y))
    out = {}
    for code, (name, rings) in raw.items():
        projected = [
            [(round(pad + (x * kx - min_x) * scale, 1), round(pad + (max_y - y) * scale, 1)) for x, y in ring]
            for ring in rings
        ]
        out[code] = (name, projected)
    return out


def classes(values: list[int], n: int = len(SCALE)) -> list[int]:
    """Upper bounds of up to n classes (quantiles of the published, non-zero values)."""
    vals = sorted(v for v in values if v > 0)
    if not vals:
        return []
    bounds: list[int] = []
    for i in range(1, n + 1):
        b = vals[min(len(vals) - 1, math.ceil(i * len(vals) / n) - 1)]
        if not bounds or b > bounds[-1]:
            bounds.append(b)
    return bounds


def _fill(value: int | None, bounds: list[int]) -> str:
    if value is None:
        return HIDDEN_FILL
    if value == 0 or not bounds:
        return ZERO_FILL
    for i, b in enumerate(bounds):
        if value <= b:
            return SCALE[min(len(SCALE) - 1, i + len(SCALE) - len(bounds))]
    return SCALE[-1]


def choropleth(
    *,
    slug: str,
    title: str,
    desc: str,
    values: Mapping[str, Point],
    region_header: str,
    value_header: str,
    hidden_label: str,
    zero_label: str,
    notes: list[str] | None = None,
) -> Chart:
    """Departments shaded by their (protected) counts; hidden counts in grey with their mark."""
    shapes = department_shapes()
    chart = Chart(slug, title, desc, MAP_WIDTH, MAP_HEIGHT + LEGEND_H)
    bounds = classes([p.value for p in values.values() if p.value is not None])
    for code, (name, rings) in sorted(shapes.items()):
        point = values.get(code, Point(0, "0"))
        chart.items.append(Shape(rings, _fill(point.value, bounds), f"{name}: {point.display}", key=code))
    # Legend: one swatch per class, then hidden and zero.
    y = MAP_HEIGHT + 8
    x = 8.0
    lower = 1
    for i, b in enumerate(bounds):
        colour = SCALE[min(len(SCALE) - 1, i + len(SCALE) - len(bounds))]
        label = f"{lower}–{b}" if b > lower else f"{b}"
        if x + 22 + len(label) * 7.5 > MAP_WIDTH:
            x, y = 8.0, y + 26
        chart.items.append(Rect(x, y, 16, 16, colour, stroke="#9ca3af"))
        chart.items.append(Text(x + 20, y + 13, label, 13, "start", INK))
        x += 30 + len(label) * 7.5
        lower = b + 1
    for fill, label in ((HIDDEN_FILL, hidden_label), (ZERO_FILL, zero_label)):
        y += 26
        chart.items.append(Rect(8, y, 16, 16, fill, stroke="#9ca3af"))
        chart.items.append(Text(28, y + 13, label, 13, "start", MUTED))
    chart.headers = [region_header, value_header]
    chart.rows = [[shapes[c][0], values[c].display] for c in sorted(values, key=lambda c: shapes.get(c, (c,))[0]) if c in shapes]
    chart.notes = list(notes or [])
    return chart
