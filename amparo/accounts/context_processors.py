from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def organisation(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    memberships = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "is_verified", lambda: False)():
        from amparo.accounts.selectors import memberships_for

        memberships = memberships_for(user=user)
    return {"membership": membership, "organisation": getattr(request, "organisation", None), "all_memberships": memberships}
