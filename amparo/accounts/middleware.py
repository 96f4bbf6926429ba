"""Attach the active organisation and membership to each request; require two-factor for staff."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

ACTIVE_ORG_SESSION_KEY = "amparo_org"

# Paths a signed-in user may reach before completing two-factor authentication.
_BEFORE_TWO_FACTOR = ("/cuenta/", "/i18n/", "/static/", "/favicon.ico")


class OrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.organisation = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from amparo.accounts.selectors import membership_active_for

            membership = membership_active_for(user=user, organisation_id=request.session.get(ACTIVE_ORG_SESSION_KEY))
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.organisation = membership.organisation  # type: ignore[attr-defined]
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Every staff role works with TOTP: a password alone reaches only the two-factor pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path_info.startswith(_BEFORE_TWO_FACTOR)
            and not request.path_info.startswith("/api/")
        ):
            from django_otp import devices_for_user

            if any(True for _ in devices_for_user(user, confirmed=True)):
                return redirect("accounts:two_factor")
            return redirect("accounts:two_factor_enrol")
        return self.get_response(request)
