"""Sudo mode: re-confirm the password before an export (healthchecks' require_sudo_mode).

A confirmation lasts a few minutes in the session. Reusable: decorate any view that hands
data out of Amparo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from amparo.insights.conf import SUDO_SECONDS

SESSION_KEY = "amparo_sudo_until"


def sudo_active(request: HttpRequest) -> bool:
    until = request.session.get(SESSION_KEY)
    return isinstance(until, (int, float)) and until > time.time()


def sudo_grant(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = time.time() + SUDO_SECONDS


def sudo_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send the user to re-enter the password unless they did so in the last few minutes.
    Apply after (inside) the role check, so only authorised users are asked."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sudo_active(request):
            # A POST cannot be replayed after the detour: come back to the page that offers it.
            back = request.get_full_path() if request.method == "GET" else request.POST.get("back", "") or reverse("insights:exports")
            if not back.startswith("/") or back.startswith("//"):
                back = reverse("insights:exports")
            return redirect(f"{reverse('insights:sudo')}?{urlencode({'next': back})}")
        return view(request, *args, **kwargs)

    return wrapper
