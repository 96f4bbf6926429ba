from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from amparo.accounts.middleware import ACTIVE_ORG_SESSION_KEY
from amparo.accounts.models import Role
from amparo.accounts.selectors import membership_active_for


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    from amparo.web.selectors import home_summary_for

    membership = getattr(request, "membership", None)
    summary = home_summary_for(membership=membership) if membership else None
    context: dict[str, Any] = {"summary": summary, "backup_notice": None}
    if membership is not None and membership.role == Role.ADMIN:
        from amparo.backup.services import backup_notice as notice_for_admins

        context["backup_notice"] = notice_for_admins()
    if membership is not None:
        from amparo.alerts.selectors import alarms_waiting_for
        from amparo.response.selectors import work_home_for

        # What waits for this member: open alarms (responders), referrals and legal cases (lawyers).
        context["alarms_waiting"] = alarms_waiting_for(membership=membership)
        context["work"] = work_home_for(membership=membership)
        context["now"] = timezone.now()
    return render(request, "web/home.html", context)


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    try:
        org_id = int(request.POST.get("organisation", ""))
    except ValueError:
        org_id = 0
    membership = membership_active_for(user=request.user, organisation_id=org_id)  # type: ignore[arg-type]
    if membership is not None and membership.organisation_id == org_id:
        request.session[ACTIVE_ORG_SESSION_KEY] = org_id
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None, require_https=False) and nxt.startswith("/"):
        return redirect(nxt)
    return redirect("web:home")


def _error(request: HttpRequest, status: int, template: str) -> HttpResponse:
    return render(request, f"web/{template}", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "400.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "403.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=500)
