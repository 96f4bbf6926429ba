"""The incident page's section about rapid response: its alarms and its detentions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Membership
from amparo.alerts.forms import release_forms
from amparo.alerts.selectors import incident_detentions_for
from amparo.records.panels import Panel


def incident_detentions_panel(*, membership: Membership, incident: Any, reveal: bool) -> Panel | None:
    """Whoever may see the incident sees its alarms and each detention against its legal limit
    (one record, shared with the alarm), and marks a release if she may write the incident."""
    from amparo.records.selectors import WRITE_ROLES

    with transaction.atomic():
        found = incident_detentions_for(membership=membership, incident=incident)
    if not found["detentions"] and not found["alarms"]:
        return None
    return Panel("alerts/_incident_detentions.html", {
        "alarms": found["alarms"],
        "detentions": release_forms(found["detentions"], now=timezone.now()),
        "can_log": membership.role in WRITE_ROLES,
    })
