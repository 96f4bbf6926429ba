from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Role
from amparo.intake.selectors import reports_waiting_count
from amparo.records.models import IncidentStatus
from amparo.records.selectors import incident_scope


def home_summary_for(*, membership: Membership) -> dict[str, Any]:
    """The tiles on a member's home page: only what their role may see."""
    tiles: list[dict[str, Any]] = []
    if membership.role != Role.ANALYST:
        incidents = incident_scope(membership=membership)
        month_start = timezone.localdate().replace(day=1)
        url = reverse("records:incident_list")
        tiles.append({"label": _("New incidents"), "value": incidents.filter(status=IncidentStatus.NEW).count(), "url": f"{url}?status=new"})
        tiles.append({"label": _("In progress"), "value": incidents.filter(status=IncidentStatus.IN_PROGRESS).count(), "url": f"{url}?status=in_progress"})
        tiles.append({"label": _("Recorded this month"), "value": incidents.filter(created_at__date__gte=month_start).count(), "url": ""})
    if membership.role in (Role.ADMIN, Role.COORDINATOR):
        tiles.append({"label": _("Reports waiting for triage"), "value": reports_waiting_count(membership=membership), "url": reverse("intake:triage_queue")})
    return {"tiles": tiles}
