"""Sudo mode: re-confirm the password before taking data out of Amparo or destroying it
(exports, evidence bundles, deletions), as healthchecks' require_sudo_mode does.

A confirmation lasts a few minutes in the session (AMPARO_SUDO_MINUTES).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "amparo_sudo_until"


def sudo_active(request: HttpRequest) -> bool:
    until = request.session.get(SESSION_KEY)
    return isinstance(until, (int, float)) and until > time.time()


def sudo_grant(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = time.time() + settings.SUDO_SECONDS


def _local_path(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else ""


def sudo_required(view: Callable[..., HttpResponse] | None = None, *, fallback: str = "web:home") -> Any:
    """Send the user to re-enter the password unless they did so in the last few minutes.

    Apply inside the role check, so only authorised users are asked. A POST cannot be replayed
    after the detour: the user comes back to the page that offered the action (the form's
    `back` field, else `fallback`) and presses the button again.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not sudo_active(request):
                if request.method == "GET":
                    back = request.get_full_path()
                else:
                    back = _local_path(request.POST.get("back", "")) or reverse(fallback)
                return redirect(f"{reverse('accounts:sudo')}?{urlencode({'next': back})}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
