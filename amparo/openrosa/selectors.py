"""Reads for the OpenRosa server, scoped by construction."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from amparo.accounts.models import Membership, Organisation, Role
from amparo.openrosa.models import Collector, FormVersion, Submission, SubmissionStatus

WRITER_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER)


def organisation_by_slug(*, slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    return organisation


def collector_ha1(*, organisation: Organisation, username: str, algorithm: str) -> tuple[Collector | None, str | None]:
    """The active collector and its HA1; a revoked one is as unknown as a stranger, and so is
    one whose responsible member no longer records for the organisation (removing a member's
    access also cuts off the phones that record in her name)."""
    collector = Collector.objects.select_related("owner").filter(organisation=organisation, username=username, revoked_at=None).first()
    if collector is None:
        return None, None
    if not Membership.objects.filter(
        user_id=collector.owner_id, organisation=organisation, is_active=True, role__in=WRITER_ROLES
    ).exists():
        return None, None
    ha1: dict[str, str] = collector.ha1 or {}  # type: ignore[assignment]  # EncryptedJSONField holds a dict
    return collector, ha1.get(algorithm)


def collector_list_for(*, membership: Membership) -> QuerySet[Collector]:
    return Collector.objects.for_member(membership).select_related("owner")


def collector_get_for(*, membership: Membership, collector_id: int) -> Collector:
    collector = collector_list_for(membership=membership).filter(pk=collector_id).first()
    if collector is None:
        raise Http404
    return collector


def form_version_for_device(*, organisation: Organisation, form_id: str, version: str) -> FormVersion:
    found = FormVersion.objects.filter(organisation=organisation, form_id=form_id, version=version).first()
    if found is None:
        raise Http404
    return found


def submissions_needing_attention_for(*, membership: Membership) -> QuerySet[Submission]:
    return (
        Submission.objects.for_member(membership).filter(status__in=[SubmissionStatus.FLAGGED, SubmissionStatus.PARTIAL])
        .select_related("collector", "incident")
        .order_by("-received_at")
    )


def submissions_recent_for(*, membership: Membership, limit: int = 50) -> QuerySet[Submission]:
    return (
        Submission.objects.for_member(membership)
        .select_related("collector", "incident")
        .order_by("-received_at")[:limit]
    )


def submission_get_for(*, membership: Membership, submission_id: int) -> Submission:
    found = (
        Submission.objects.for_member(membership).filter(pk=submission_id)
        .select_related("collector", "collector__owner", "incident")
        .first()
    )
    if found is None:
        raise Http404
    return found
