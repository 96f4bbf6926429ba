"""What every page for people without an account shares (the report form, its follow-up, the
emergency form, the alerts pages): the language from ?lang= (no cookie, Spanish by default), the
organisation's short neutral display name, and the quick exit. One home, so the pages cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from amparo.lib.env import envstr

LANGS = ("es", "en")

# Where the quick-exit button goes: a page nobody would find suspicious on a phone.
QUICK_EXIT_URL = envstr("AMPARO_INTAKE_QUICK_EXIT_URL", "https://www.google.com/search?q=clima+hoy")


def public_language(request: HttpRequest, *, read_post: bool = True) -> str:
    """The page's language: a form's `lang` field, else ?lang=, else the phone's own language
    (Accept-Language), else Spanish. Never a cookie: a shared phone should not remember a choice."""
    lang = request.GET.get("lang", "")
    if read_post and request.method == "POST":
        lang = request.POST.get("lang", lang)
    if lang in LANGS:
        return lang
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:200]):
        base = code.split("-")[0].lower()
        if base in LANGS:
            return base
    return "es"


def display_name(organisation: Any) -> str:
    """The short neutral name public pages show instead of the organisation's full name."""
    return (getattr(organisation, "public_name", "") or "").strip()


def public_chrome(*, lang: str, organisation: Any = None, quick_exit_url: str = "") -> dict[str, Any]:
    """Context for web/public_header.html."""
    return {
        "lang": lang,
        "other_lang": "en" if lang == "es" else "es",
        "display_name": display_name(organisation) if organisation is not None else "",
        "quick_exit_url": quick_exit_url or QUICK_EXIT_URL,
    }


def in_public_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a public view in the language `public_language` chooses, and say so in the response."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        lang = public_language(request)
        with translation.override(lang):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = lang
        return response

    return wrapper
