"""QR codes and printable posters pointing to an organisation's public report form."""

from __future__ import annotations

import io
from typing import Any

import segno
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from amparo.accounts.models import Organisation
from amparo.intake.selectors import form_settings_for
from amparo.lib.urls import absolute_url

SIZES = {"a4": (210, 297), "a5": (148, 210)}


def public_url(organisation: Organisation, *, venue_token: str = "") -> str:
    """The form's address; a venue's poster adds its opaque token (see amparo.programmes)."""
    url = absolute_url(reverse("intake:report", args=[organisation.slug]))
    return f"{url}?p={venue_token}" if venue_token else url


def _qr(organisation: Organisation, venue_token: str = "") -> segno.QRCode:
    # Level M survives a crumpled or partly covered poster and keeps the code small.
    return segno.make(public_url(organisation, venue_token=venue_token), error="m", micro=False)


def qr(organisation: Organisation, kind: str, *, venue_token: str = "") -> tuple[bytes, str]:
    code = _qr(organisation, venue_token)
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=10, border=2, xmldecl=True, svgns=True)
        return out.getvalue(), "image/svg+xml"
    if kind == "png":
        code.save(out, kind="png", scale=16, border=2)
        return out.getvalue(), "image/png"
    raise Http404


def _message(organisation: Organisation) -> str:
    return form_settings_for(organisation=organisation).poster_message or _(
        "Did something happen to you or someone you know? Tell us safely. You do not need to give your name."
    )


def context(organisation: Organisation, *, size: str, venue_token: str = "") -> dict[str, Any]:
    return {
        "organisation": organisation,
        "size": size,
        "message": _message(organisation),
        "url": public_url(organisation, venue_token=venue_token),
        "qr_svg": _qr(organisation, venue_token).svg_inline(scale=8, border=2),
    }


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1: Spanish is fine; anything else becomes "?".
    replacements = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "..."}
    return "".join(replacements.get(c, c) for c in text).encode("latin-1", "replace").decode("latin-1")


def pdf(organisation: Organisation, *, size: str, venue_token: str = "") -> bytes:
    from fpdf import FPDF

    width, height = SIZES[size]
    scale = width / 210
    doc = FPDF(orientation="portrait", unit="mm", format=(width, height))
    doc.set_creator("Amparo")
    doc.set_auto_page_break(False)
    doc.add_page()
    margin = 18 * scale
    doc.set_text_color(29, 29, 31)
    doc.set_font("helvetica", style="B", size=26 * scale)
    doc.set_xy(margin, margin)
    doc.multi_cell(width - 2 * margin, 11 * scale, _latin1(organisation.name), align="C")
    doc.ln(6 * scale)
    doc.set_font("helvetica", size=17 * scale)
    doc.set_x(margin)
    doc.multi_cell(width - 2 * margin, 8 * scale, _latin1(_message(organisation)), align="C")
    png = io.BytesIO()
    _qr(organisation, venue_token).save(png, kind="png", scale=20, border=2)
    png.seek(0)
    side = 120 * scale
    top = max(doc.get_y() + 8 * scale, height * 0.36)
    doc.image(png, x=(width - side) / 2, y=top, w=side, h=side)
    doc.set_xy(margin, top + side + 6 * scale)
    doc.set_font("helvetica", style="B", size=14 * scale)
    doc.multi_cell(width - 2 * margin, 7 * scale, _latin1(public_url(organisation, venue_token=venue_token)), align="C")
    doc.ln(4 * scale)
    doc.set_font("helvetica", size=11 * scale)
    doc.set_x(margin)
    doc.multi_cell(
        width - 2 * margin, 5.5 * scale,
        _latin1(_("Scan the code with your phone's camera. It is free, anonymous and has a quick-exit button.")),
        align="C",
    )
    return bytes(doc.output())


# ---- downloads (the organisation's posters and each venue's) ----------------------------------


def size_from(value: str | None) -> str:
    """The poster size asked for (?size=a4|a5); A4 for anything else."""
    size = (value or "a4").lower()
    return size if size in SIZES else "a4"


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A venue's poster says where it will hang: no cache on the way keeps a copy.
    response["Cache-Control"] = "no-store"
    return response


def pdf_download(organisation: Organisation, *, size: str, filename: str, venue_token: str = "") -> HttpResponse:
    return _download(pdf(organisation, size=size, venue_token=venue_token), "application/pdf", filename)


def qr_download(organisation: Organisation, kind: str, *, filename: str, venue_token: str = "") -> HttpResponse:
    data, content_type = qr(organisation, kind, venue_token=venue_token)
    return _download(data, content_type, filename)
