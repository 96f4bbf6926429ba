"""The incident page's section about the anonymous reports an incident came from."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from amparo.accounts.models import Membership
from amparo.audit import services as audit
from amparo.intake.models import Report
from amparo.intake.selectors import can_triage
from amparo.records.panels import Panel


def incident_reports_panel(*, membership: Membership, incident: Any, reveal: bool) -> Panel | None:
    """Whoever may see the incident sees that it came from a report and, when she opens the sealed
    content (audited), every message of the conversation, including what arrived after triage."""
    reports = list(
        Report.objects.filter(organisation_id=incident.organisation_id, incident=incident)
        .defer("narrative", "contact").order_by("received_at", "pk")
    )
    if not reports:
        return None
    items = []
    for report in reports:
        messages = list(report.messages.select_related("author")) if reveal else []
        if reveal:
            with transaction.atomic():
                audit.record(actor=membership.user, action="intake.report.viewed", target=report, fields=["messages"], detail={"from": "incident"})
        items.append({"report": report, "messages": messages, "count": report.messages.count() if not reveal else len(messages)})
    return Panel("intake/_incident_reports.html", {"items": items, "reveal": reveal, "can_triage": can_triage(membership)})
