"""Reads of anonymous reporting, always given the membership, scoped by construction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from amparo.accounts.models import Membership, Role
from amparo.intake.models import FormSettings, Report

# Roles that triage the queue: they see every report of their organisation.
TRIAGE_ROLES = (Role.ADMIN, Role.COORDINATOR)


def can_triage(membership: Membership | None) -> bool:
    return membership is not None and membership.role in TRIAGE_ROLES


def report_list_for(*, membership: Membership) -> QuerySet[Report]:
    if not can_triage(membership):
        return Report.objects.none()
    return Report.objects.for_member(membership).select_related("district")


# Lists never decrypt: reading a report's words is a separate, audited step (the detail page).
_SEALED = ("narrative", "contact")


def report_queue_for(*, membership: Membership) -> QuerySet[Report]:
    return (
        report_list_for(membership=membership).filter(status=Report.Status.NEW)
        .defer(*_SEALED).order_by("received_at", "pk")
    )


def report_get_for(*, membership: Membership, report_id: int) -> Report:
    report = report_list_for(membership=membership).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def reports_waiting_count(*, membership: Membership) -> int:
    """Reports waiting for triage in the membership's organisation (0 for roles that do not triage)."""
    if not can_triage(membership):
        return 0
    return Report.objects.for_member(membership).filter(status=Report.Status.NEW).count()


def form_settings_for(*, organisation: Any) -> FormSettings:
    settings = FormSettings.objects.filter(organisation=organisation).first()
    return settings or FormSettings(organisation=organisation)


@dataclass(frozen=True)
class Candidate:
    kind: str  # "report" or "incident"
    obj: Any
    score: int
    reasons: tuple[str, ...]


def _anchor_date(report: Report) -> datetime.date:
    return report.occurred_on or report.received_at.date()


def _score(report: Report, *, day: datetime.date | None, district_id: Any, department: str, codes: set[str]) -> tuple[int, list[str]]:
    from django.utils.translation import gettext as _

    score, reasons = 0, []
    anchor = _anchor_date(report)
    if day is not None and abs((day - anchor).days) <= 1:
        score += 2
        reasons.append(_("same days"))
    elif day is not None:
        score += 1
        reasons.append(_("same week"))
    if report.district_id and district_id == report.district_id:
        score += 3
        reasons.append(_("same district"))
    elif report.department_code and department == report.department_code:
        score += 1
        reasons.append(_("same region"))
    shared = codes & set(report.violation_codes)
    if shared:
        score += min(3, len(shared)) * 2
        reasons.append(_("same violations"))
    return score, reasons


def duplicate_candidates(*, membership: Membership, report: Report, days: int = 3, limit: int = 5) -> list[Candidate]:
    """Reports and incidents that may tell of the same events: near dates, same place, same violations."""
    from amparo.intake.handover import incident_candidates

    anchor = _anchor_date(report)
    low, high = anchor - datetime.timedelta(days=days), anchor + datetime.timedelta(days=days)
    candidates: list[Candidate] = []
    others = report_list_for(membership=membership).defer(*_SEALED).exclude(pk=report.pk).filter(
        status__in=(Report.Status.NEW, Report.Status.ACCEPTED, Report.Status.MERGED)
    )
    for other in others.filter(occurred_on__range=(low, high)) | others.filter(occurred_on=None, received_at__date__range=(low, high)):
        score, reasons = _score(
            report, day=_anchor_date(other), district_id=other.district_id,
            department=other.department_code, codes=set(other.violation_codes),
        )
        if score >= 4:
            candidates.append(Candidate("report", other, score, tuple(reasons)))
    for incident, day, district_id, department, codes in incident_candidates(membership=membership, low=low, high=high):
        score, reasons = _score(report, day=day, district_id=district_id, department=department, codes=codes)
        if score >= 4:
            candidates.append(Candidate("incident", incident, score, tuple(reasons)))
    candidates.sort(key=lambda c: (-c.score, c.kind))
    return candidates[:limit]


def status_for_reporter(report: Report) -> str:
    """What the reporter is told about their report. Spam is not named as such to whoever sent it."""
    from django.utils.translation import gettext as _

    labels: dict[str, str] = {
        Report.Status.NEW: _("Received, waiting to be read"),
        Report.Status.ACCEPTED: _("Read by the organisation"),
        Report.Status.MERGED: _("Read by the organisation"),
        Report.Status.SPAM: _("Closed"),
        Report.Status.WITHDRAWN: _("Withdrawn"),
    }
    return labels[report.status]
