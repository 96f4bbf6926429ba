"""Middleware for routes anyone may use without an account (public report form, alarms, feeds).

Those routes must leave no trace: the client address and user agent are removed from the
request before any other code (logging, throttling, error reports) can see them, and the
response may not be cached anywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Prefixes of routes that serve people without an account. Apps register theirs here.
ANONYMOUS_PREFIXES: tuple[str, ...] = ("/r/", "/api/v1/public/", "/alertas/", "/emergencia/")

_TRACE_HEADERS = (
    "REMOTE_ADDR",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_USER_AGENT",
    "HTTP_REFERER",
    "HTTP_CF_CONNECTING_IP",
)


def is_anonymous_route(path: str) -> bool:
    return path.startswith(ANONYMOUS_PREFIXES)


class AnonymousRouteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        anonymous = is_anonymous_route(request.path_info)
        if anonymous:
            for header in _TRACE_HEADERS:
                request.META.pop(header, None)
            # Django and some libraries expect an address; give one that identifies nobody.
            request.META["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - an address, not a bind
        request.is_anonymous_route = anonymous  # type: ignore[attr-defined]
        response = self.get_response(request)
        if anonymous:
            response["Cache-Control"] = "no-store, max-age=0"
            response["Pragma"] = "no-cache"
            response["Referrer-Policy"] = "same-origin"
        return response


class SignedInNoStoreMiddleware:
    """Pages seen while signed in are never kept in the browser's cache: a seized phone's cache must
    not hold a narrative, a name or the draft key (docs/records.md). Views that set their own
    Cache-Control keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response
