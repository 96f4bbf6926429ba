"""JSON API for the same aggregates as the pages, with the same suppression.

Staff routes use token auth (the token's membership decides raw or protected numbers, as on the
dashboard). Public routes live under /api/v1/public/, which keeps no trace of its callers.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from amparo.api import ApiError
from amparo.insights import selectors
from amparo.lib.inputs import Slug

router = Router()


def _filters(request: HttpRequest) -> selectors.StatsFilters:
    try:
        return selectors.parse_filters(request.GET)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        raise ApiError(400, "bad_filter", _("Some filters are not valid."), fields)


@router.get("/insights/summary", summary="Statistics of the token's organisation")
def summary(request: HttpRequest) -> dict[str, Any]:
    filters = _filters(request)
    membership = request.membership  # type: ignore[attr-defined]
    if membership.role not in selectors.DASHBOARD_ROLES:
        raise PermissionDenied
    return selectors.dashboard_for(membership=membership, filters=filters)


@router.get("/insights/network", summary="Protected statistics of the network")
def network(request: HttpRequest) -> dict[str, Any]:
    return selectors.network_summary_for(membership=request.membership, user=request.user)  # type: ignore[attr-defined]


@router.get("/public/insights/network", auth=None, summary="Public statistics of the network")
def public_network(request: HttpRequest) -> dict[str, Any]:
    return selectors.published_summary(selectors.NETWORK_SCOPE)


@router.get("/public/insights/{slug}", auth=None, summary="Public statistics of one organisation")
def public_org(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    _org, payload = selectors.public_summary_for_org(slug)
    return payload
