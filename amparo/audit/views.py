from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Role
from amparo.audit.selectors import audit_trail_for
from amparo.audit.services import verify


@role_required(Role.ADMIN)
def trail(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    action = request.GET.get("action", "")[:64]
    actor = request.GET.get("actor", "")[:150]
    events = audit_trail_for(membership=membership, action=action, actor=actor)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    problems = verify(chain_keys=[f"org:{membership.organisation_id}"]) if request.GET.get("verify") else None
    return render(request, "audit/trail.html", {"page": page, "action": action, "actor": actor, "problems": problems})
