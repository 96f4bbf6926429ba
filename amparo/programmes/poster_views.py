"""Posters for the anonymous report form, tied to the venue they are placed in (planners only).

The QR code carries the venue's random poster token, never its code name or id; the printed
poster names neither the venue nor the programme.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amparo.accounts.decorators import role_required
from amparo.intake import poster
from amparo.programmes import selectors, services
from amparo.programmes.views import PLANNERS, _membership

QR_KINDS = {"png", "svg"}


def _venue_and_token(request: HttpRequest, venue_id: int) -> tuple[object, str]:
    membership = _membership(request)
    venue = selectors.venue_get_for(membership=membership, venue_id=venue_id)
    token = services.venue_poster_token(venue=venue, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    return venue, token


@role_required(*PLANNERS)
@require_GET
def venue_poster_pdf(request: HttpRequest, venue_id: int) -> HttpResponse:
    size = poster.size_from(request.GET.get("size"))
    venue, token = _venue_and_token(request, venue_id)
    return poster.pdf_download(_membership(request).organisation, size=size, filename=f"afiche-lugar-{venue.pk}-{size}.pdf",  # type: ignore[attr-defined]
                               venue_token=token)


@role_required(*PLANNERS)
@require_GET
def venue_qr(request: HttpRequest, venue_id: int, kind: str) -> HttpResponse:
    if kind not in QR_KINDS:
        raise Http404
    venue, token = _venue_and_token(request, venue_id)
    return poster.qr_download(_membership(request).organisation, kind, filename=f"qr-lugar-{venue.pk}.{kind}",  # type: ignore[attr-defined]
                              venue_token=token)


@role_required(*PLANNERS)
@require_POST
def venue_poster_renew(request: HttpRequest, venue_id: int) -> HttpResponse:
    membership = _membership(request)
    venue = selectors.venue_get_for(membership=membership, venue_id=venue_id)
    services.venue_poster_renew(venue=venue, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("New posters for this venue have a new code. Reports sent through the old posters no longer name the venue."))
    response = redirect("programmes:venue_edit", venue.pk)
    response.status_code = 303
    return response
