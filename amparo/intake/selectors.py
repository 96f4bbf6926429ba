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
class Place:
    """Where, as far as known: INEI codes nest (district DDPPdd, province DDPP, department DD)."""

    district: str = ""
    department: str = ""

    @classmethod
    def of(cls, *, district_id: Any, department: str) -> Place:
        district = str(district_id or "")
        return cls(district=district, department=district[:2] if district else (department or ""))

    @property
    def province(self) -> str:
        return self.district[:4]


@dataclass(frozen=True)
class Candidate:
    kind: str  # "report" or "incident"
    obj: Any
    score: int
    reasons: tuple[str, ...]
    other_region: bool = False

    @property
    def why(self) -> str:
        return ", ".join(self.reasons)


def _anchor_date(report: Report) -> datetime.date:
    return report.occurred_on or report.received_at.date()


# Weights: place counts as much as time, and shared violations most (they are what makes two
# accounts the same events). A suggestion needs SUGGEST_FROM points.
SUGGEST_FROM = 6


def _score(report: Report, *, day: datetime.date | None, place: Place, codes: set[str]) -> tuple[int, list[str], bool]:
    """Points, the reasons in words ("same district, 1 day before, same violation"), and whether the
    other record is from another region (both regions known and different)."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    score, reasons = 0, []
    mine = Place.of(district_id=report.district_id, department=report.department_code)
    if mine.district and place.district == mine.district:
        score += 4
        reasons.append(_("same district"))
    elif mine.province and place.province == mine.province:
        score += 2
        reasons.append(_("same province"))
    elif mine.department and place.department == mine.department:
        score += 1
        reasons.append(_("same region"))
    other_region = bool(mine.department and place.department and mine.department != place.department)
    if other_region:
        score -= 3
        reasons.append(_("another region"))
    if day is not None:
        delta = (day - _anchor_date(report)).days
        if delta == 0:
            score += 3
            reasons.append(_("same day"))
        else:
            n = abs(delta)
            score += 2 if n == 1 else 1 if n <= 3 else 0
            reasons.append(
                (ngettext("%(n)d day before", "%(n)d days before", n) if delta < 0 else ngettext("%(n)d day after", "%(n)d days after", n))
                % {"n": n}
            )
    shared = codes & set(report.violation_codes)
    if shared:
        score += min(3, len(shared)) * 2
        reasons.append(_("same violation") if len(shared) == 1 else _("%(n)d violations in common") % {"n": len(shared)})
    return score, reasons, other_region


def duplicate_candidates(*, membership: Membership, report: Report, days: int = 3, limit: int = 5) -> list[Candidate]:
    """Reports and incidents that may tell of the same events, weighing place, days and violations,
    each with the reasons it is suggested. One from another region is offered only when nothing
    from the same region (or of unknown place) fits."""
    from amparo.intake.handover import incident_candidates

    anchor = _anchor_date(report)
    low, high = anchor - datetime.timedelta(days=days), anchor + datetime.timedelta(days=days)
    candidates: list[Candidate] = []
    others = report_list_for(membership=membership).defer(*_SEALED).exclude(pk=report.pk).filter(
        status__in=(Report.Status.NEW, Report.Status.ACCEPTED, Report.Status.MERGED)
    )
    for other in others.filter(occurred_on__range=(low, high)) | others.filter(occurred_on=None, received_at__date__range=(low, high)):
        place = Place.of(district_id=other.district_id, department=other.department_code)
        score, reasons, far = _score(report, day=_anchor_date(other), place=place, codes=set(other.violation_codes))
        candidates.append(Candidate("report", other, score, tuple(reasons), far))
    for incident, day, district_id, department, codes in incident_candidates(membership=membership, low=low, high=high):
        score, reasons, far = _score(report, day=day, place=Place.of(district_id=district_id, department=department), codes=codes)
        candidates.append(Candidate("incident", incident, score, tuple(reasons), far))
    near = [c for c in candidates if not c.other_region and c.score >= SUGGEST_FROM]
    # Another region's record is scored without its place penalty when it is the only option left.
    elsewhere = [c for c in candidates if c.other_region and c.score + 3 >= SUGGEST_FROM]
    chosen = near or elsewhere
    chosen.sort(key=lambda c: (-c.score, c.kind, c.obj.pk))
    return chosen[:limit]


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
