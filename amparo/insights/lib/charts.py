"""Server-rendered charts: one drawing, two outputs (SVG for pages, PNG for reports).

A chart is built once as a small scene of shapes in a fixed coordinate space; `to_svg` writes
accessible SVG (role="img", <title>, <desc>, a <title> on every mark) and `to_png` draws the
same scene with Pillow, so reports need no browser. Every chart carries its data table, which
templates show beside it. Values arrive already protected: `None` means hidden, and the
display text ("<5", "*") is drawn instead of a bar or point.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

INK = "#1f2933"
MUTED = "#6b7280"
GRID = "#d1d5db"
ACCENT = "#7c2d8e"  # the series colour, readable on white (contrast ≥ 7:1)
ACCENT_2 = "#c2410c"
MILESTONE = "#0f766e"
HIDDEN_FILL = "#e5e7eb"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""
    stroke: str = ""


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0
    dash: bool = False


@dataclass
class Polyline:
    points: list[tuple[float, float]]
    stroke: str
    width: float = 2.0


@dataclass
class Dot:
    x: float
    y: float
    r: float
    fill: str
    title: str = ""


@dataclass
class Text:
    x: float
    y: float
    text: str
    size: float = 12
    anchor: str = "start"  # start | middle | end
    fill: str = INK
    bold: bool = False


@dataclass
class Shape:
    """Polygons (rings of points) drawn as one path, e.g. a department on a map."""

    rings: list[list[tuple[float, float]]]
    fill: str
    title: str = ""
    stroke: str = "#8b8595"  # borders stay visible between white (zero) regions
    key: str = ""


@dataclass
class Chart:
    slug: str
    title: str
    desc: str
    width: int
    height: int
    items: list = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_svg(self) -> str:
        return to_svg(self)

    def to_png(self, scale: float = 4.0) -> bytes:
        return to_png(self, scale=scale)


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.56


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def to_svg(chart: Chart) -> str:
    sid = escape(chart.slug)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}" '
        f'width="100%" role="img" aria-labelledby="{sid}-t {sid}-d" class="chart" '
        f'font-family="{escape(FONT)}" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{sid}-t">{escape(chart.title)}</title>',
        f'<desc id="{sid}-d">{escape(chart.desc)}</desc>',
    ]
    for item in chart.items:
        if isinstance(item, Rect):
            stroke = f' stroke="{item.stroke}"' if item.stroke else ""
            body = f"<title>{escape(item.title)}</title>" if item.title else ""
            out.append(
                f'<rect x="{_f(item.x)}" y="{_f(item.y)}" width="{_f(item.w)}" height="{_f(item.h)}" '
                f'fill="{item.fill}"{stroke}>{body}</rect>'
            )
        elif isinstance(item, Line):
            dash = ' stroke-dasharray="4 3"' if item.dash else ""
            out.append(
                f'<line x1="{_f(item.x1)}" y1="{_f(item.y1)}" x2="{_f(item.x2)}" y2="{_f(item.y2)}" '
                f'stroke="{item.stroke}" stroke-width="{_f(item.width)}"{dash}/>'
            )
        elif isinstance(item, Polyline):
            pts = " ".join(f"{_f(x)},{_f(y)}" for x, y in item.points)
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="{item.stroke}" stroke-width="{_f(item.width)}" '
                'stroke-linejoin="round"/>'
            )
        elif isinstance(item, Dot):
            body = f"<title>{escape(item.title)}</title>" if item.title else ""
            out.append(f'<circle cx="{_f(item.x)}" cy="{_f(item.y)}" r="{_f(item.r)}" fill="{item.fill}">{body}</circle>')
        elif isinstance(item, Text):
            weight = ' font-weight="bold"' if item.bold else ""
            out.append(
                f'<text x="{_f(item.x)}" y="{_f(item.y)}" font-size="{_f(item.size)}" text-anchor="{item.anchor}" '
                f'fill="{item.fill}"{weight}>{escape(item.text)}</text>'
            )
        elif isinstance(item, Shape):
            d = "".join(
                "M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in ring) + "Z" for ring in item.rings if len(ring) >= 3
            )
            key = f' data-key="{escape(item.key)}"' if item.key else ""
            body = f"<title>{escape(item.title)}</title>" if item.title else ""
            out.append(f'<path d="{d}" fill="{item.fill}" stroke="{item.stroke}" stroke-width="0.6"{key}>{body}</path>')
    out.append("</svg>")
    return "".join(out)


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def to_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (int(chart.width * scale), int(chart.height * scale)), "white")
    draw = ImageDraw.Draw(img)
    fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def font(size: float, bold: bool):
        k = (size, bold)
        if k not in fonts:
            name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
            fonts[k] = ImageFont.truetype(str(FONT_DIR / name), size=max(6, int(size * scale * 0.92)))
        return fonts[k]

    def s(x: float) -> float:
        return x * scale

    for item in chart.items:
        if isinstance(item, Rect):
            draw.rectangle(
                [s(item.x), s(item.y), s(item.x + item.w), s(item.y + item.h)],
                fill=_rgb(item.fill),
                outline=_rgb(item.stroke) if item.stroke else None,
            )
        elif isinstance(item, Line):
            if item.dash:
                length = math.hypot(item.x2 - item.x1, item.y2 - item.y1) or 1
                steps = int(length // 7) + 1
                for i in range(steps):
                    a, b = i * 7 / length, min(1, (i * 7 + 4) / length)
                    draw.line(
                        [
                            (s(item.x1 + (item.x2 - item.x1) * a), s(item.y1 + (item.y2 - item.y1) * a)),
                            (s(item.x1 + (item.x2 - item.x1) * b), s(item.y1 + (item.y2 - item.y1) * b)),
                        ],
                        fill=_rgb(item.stroke),
                        width=max(1, int(item.width * scale)),
                    )
            else:
                draw.line(
                    [(s(item.x1), s(item.y1)), (s(item.x2), s(item.y2))],
                    fill=_rgb(item.stroke),
                    width=max(1, int(item.width * scale)),
                )
        elif isinstance(item, Polyline):
            if len(item.points) >= 2:
                draw.line(
                    [(s(x), s(y)) for x, y in item.points],
                    fill=_rgb(item.stroke),
                    width=max(1, int(item.width * scale)),
                    joint="curve",
                )
        elif isinstance(item, Dot):
            draw.ellipse(
                [s(item.x - item.r), s(item.y - item.r), s(item.x + item.r), s(item.y + item.r)], fill=_rgb(item.fill)
            )
        elif isinstance(item, Text):
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[item.anchor]
            draw.text((s(item.x), s(item.y)), item.text, fill=_rgb(item.fill), font=font(item.size, item.bold), anchor=anchor)
        elif isinstance(item, Shape):
            for ring in item.rings:
                if len(ring) >= 3:
                    draw.polygon([(s(x), s(y)) for x, y in ring], fill=_rgb(item.fill), outline=_rgb(item.stroke))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _nice_max(value: float) -> int:
    if value <= 5:
        return 5
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return int(m * exp)
    return int(10 * exp)


@dataclass(frozen=True)
class Point:
    value: int | None
    display: str
    # What is known for sure about a hidden value (the network page's "1203–1206", "≥4031").
    low: int | None = None
    high: int | None = None


# Sizes in the drawing's own units. Charts are drawn 340 units wide, about the width a phone of
# 360 px gives them, so 13-unit text reads at 11–12 px there (and larger on wider screens).
CHART_WIDTH = 340
LABEL_SIZE = 13


@dataclass(frozen=True)
class Milestone:
    index: float  # position on the x axis (0 = first label)
    label: str


def line_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Point]]],
    milestones: Sequence[Milestone] = (),
    label_header: str = "",
    hidden_note: str = "",
    width: int = CHART_WIDTH,
    height: int = 240,
) -> Chart:
    """Counts over time; hidden points break the line and show their mark (or, where the value
    is known to lie in a range, a grey bar over that range) instead."""
    size = LABEL_SIZE
    peak = max((max(p.value or 0, p.high or p.low or 0) for _, pts in series for p in pts), default=0)
    ymax = _nice_max(peak)
    left = 10 + max(_text_width(f"{ymax * k / 4:g}", size) for k in range(0, 5, 2))
    right, top, bottom = 8, 34 if milestones else 12, 28 + (14 if len(series) > 1 else 0)
    chart = Chart(slug, title, desc, width, height)
    n = max(1, len(labels))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: float) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / ymax

    for k in range(0, 5, 2):
        v = ymax * k / 4
        chart.items.append(Line(left, y(v), width - right, y(v), GRID))
        chart.items.append(Text(left - 4, y(v) + size / 3, f"{v:g}", size, "end", MUTED))
    # As many period labels as fit side by side, evenly spaced.
    label_w = max((_text_width(label, size) for label in labels), default=0) + 8
    step = max(1, math.ceil(n / max(1, int(plot_w // label_w))))
    for i, label in enumerate(labels):
        if i % step == 0 and x(i) + label_w / 2 <= width and x(i) - label_w / 2 >= left - 6:
            chart.items.append(Text(x(i), height - bottom + size + 4, label, size, "middle", MUTED))
    for m in milestones:
        mx = x(m.index)
        chart.items.append(Line(mx, top - 4, mx, top + plot_h, MILESTONE, 1.5, dash=True))
        text = m.label[:24]
        anchor = "end" if mx > width / 2 else "start"
        chart.items.append(Text(mx + (-3 if anchor == "end" else 3), top - 10, text, size, anchor, MILESTONE, bold=True))
    colours = [ACCENT, ACCENT_2, MILESTONE, INK]
    room = plot_w / n >= _text_width("<5", size) + 2
    for s_i, (name, points) in enumerate(series):
        colour = colours[s_i % len(colours)]
        run: list[tuple[float, float]] = []
        for i, p in enumerate(points):
            if p.value is None:
                if len(run) > 1:
                    chart.items.append(Polyline(run, colour))
                run = []
                if p.low:
                    top_v = p.high if p.high is not None else min(ymax, p.low + max(1, ymax // 40))
                    chart.items.append(Rect(x(i) - 2, y(top_v), 4, max(2, y(p.low) - y(top_v)), GRID, f"{labels[i]}: {p.display}", stroke=MUTED))
                elif room and len(p.display) <= 3:
                    chart.items.append(Text(x(i), y(0) - 4, p.display, size, "middle", MUTED))
                else:
                    chart.items.append(Dot(x(i), y(0) - 3, 2, MUTED, f"{labels[i]}: {p.display}"))
                continue
            run.append((x(i), y(p.value)))
            chart.items.append(Dot(x(i), y(p.value), 2.5, colour, f"{labels[i]}: {p.display}"))
        if len(run) > 1:
            chart.items.append(Polyline(run, colour))
        if len(series) > 1:
            lx = left + s_i * 150
            chart.items.append(Rect(lx, height - 14, 10, 10, colour))
            chart.items.append(Text(lx + 14, height - 4, name, size))
    chart.headers = [label_header, *[name for name, _ in series]]
    chart.rows = [[label, *[pts[i].display for _, pts in series]] for i, label in enumerate(labels)]
    if hidden_note:
        chart.notes.append(hidden_note)
    return chart


def bar_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    bars: Sequence[tuple[str, Point]],
    label_header: str = "",
    value_header: str = "",
    hidden_note: str = "",
    width: int = CHART_WIDTH,
) -> Chart:
    """Horizontal bars, each label on its own line above its bar, so long Spanish labels stay
    whole and legible on a phone."""
    size = LABEL_SIZE
    row_h, top = 2 * size + 16, 4
    height = top + row_h * max(1, len(bars)) + 4
    chart = Chart(slug, title, desc, width, int(height))
    peak = max((p.value or 0 for _, p in bars), default=0) or 1
    value_w = max((_text_width(p.display, size) for _, p in bars), default=20) + 8
    plot_w = width - value_w - 4
    max_chars = int(width / (size * 0.56))
    for i, (label, p) in enumerate(bars):
        y0 = top + i * row_h
        shown = label if len(label) <= max_chars else label[: max_chars - 1] + "…"
        chart.items.append(Text(0, y0 + size, shown, size, "start"))
        bar_y, bar_h = y0 + size + 4, size + 4
        if p.value is None:
            chart.items.append(Rect(0, bar_y, 14, bar_h, HIDDEN_FILL, f"{label}: {p.display}"))
            chart.items.append(Text(20, bar_y + size, p.display, size, "start", MUTED))
        else:
            w = plot_w * p.value / peak
            chart.items.append(Rect(0, bar_y, max(w, 1 if p.value else 0), bar_h, ACCENT, f"{label}: {p.display}"))
            chart.items.append(Text(w + 6, bar_y + size, p.display, size, "start"))
    chart.headers = [label_header, value_header]
    chart.rows = [[label, p.display] for label, p in bars]
    if hidden_note:
        chart.notes.append(hidden_note)
    return chart
