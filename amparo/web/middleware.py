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


class UnreadableQueryMiddleware:
    """Refuse a query string or path with characters the text rule refuses (amparo.lib.inputs).

    Forms and API schemas check their own fields; query parameters that views read directly
    (filters, searches) are checked here, once, so none of them reaches the database with a
    NUL (a 500 on PostgreSQL) or with what invalid UTF-8 became (U+FFFD).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from amparo.lib.inputs import has_forbidden_characters

        texts = [request.path_info, *request.GET.keys(), *(v for values in request.GET.lists() for v in values[1])]
        if any(has_forbidden_characters(t) for t in texts):
            return _refuse_unreadable(request)
        return self.get_response(request)


def _refuse_unreadable(request: HttpRequest) -> HttpResponse:
    from django.http import JsonResponse

    from amparo.lib.inputs import MESSAGE_CHARACTERS

    if request.path_info.startswith("/api/"):
        body = {"error": {"code": "bad_request", "message": str(MESSAGE_CHARACTERS), "fields": {"__all__": [str(MESSAGE_CHARACTERS)]}}}
        return JsonResponse(body, status=400)
    from amparo.web.responses import action_refused

    return action_refused(request, errors=[str(MESSAGE_CHARACTERS)], back="/", status=400)
