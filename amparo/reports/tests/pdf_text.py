"""The text of a PDF built by fpdf2, read back with pikepdf (the locked PDF library): each
shown string's glyph ids mapped to characters through its font's ToUnicode map."""

from __future__ import annotations

import io
import re

import pikepdf


def _unicode_map(font: pikepdf.Object) -> dict[int, str]:
    mapping: dict[int, str] = {}
    if "/ToUnicode" not in font:
        return mapping
    cmap = bytes(font.ToUnicode.read_bytes()).decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + i)
    return mapping


def pdf_text(data: bytes) -> str:
    """All the text, one line per text object, in drawing order."""
    lines: list[str] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            fonts = page.Resources.get("/Font", {})
            maps = {str(name): _unicode_map(font) for name, font in fonts.items()}
            current: dict[int, str] = {}
            line: list[str] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "Tf":
                    current = maps.get(str(operands[0]), {})
                elif op in ("Tj", "TJ", "'", '"'):
                    parts = operands[0] if op == "TJ" else [operands[-1]]
                    for part in parts:
                        if isinstance(part, pikepdf.String):
                            raw = bytes(part)
                            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)] if current else list(raw)
                            line.append("".join(current.get(c, chr(c)) if current else chr(c) for c in codes))
                elif op == "ET":
                    lines.append("".join(line))
                    line = []
    return "\n".join(lines)
