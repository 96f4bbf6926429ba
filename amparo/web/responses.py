"""Answers shared by every app's views."""

from __future__ import annotations

from collections.abc import Iterable

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def form_errors(form: Form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def action_refused(request: HttpRequest, *, errors: Iterable[str], back: str, status: int = 400) -> HttpResponse:
    """A small action (a button, a one-field form) was refused: say why, with the way back.

    Nothing was saved. A 4xx, not a redirect with a flash message, so scripts and tests see it too.
    """
    errors = [str(e) for e in errors] or [_("Some fields are not valid.")]
    return render(request, "web/action_refused.html", {"errors": errors, "back": back}, status=status)


def see_other(to: str) -> HttpResponse:
    """After a successful post: 303, so reloading the next page never posts again."""
    response = redirect(to)
    response.status_code = 303
    return response
