"""Writes for statistics: sharing agreements, milestones, aggregate refreshes, audited exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organisation, Role, User
from amparo.audit import services as audit
from amparo.insights.models import (
    AggregateCell,
    AggregateTerm,
    Milestone,
    MilestoneKind,
    PublishedSummary,
    RefreshState,
    SharingAgreement,
    SharingLevel,
)
from amparo.insights.selectors import (
    NETWORK_SCOPE,
    _as_date,
    facts_from_aggregates,
    facts_from_incidents,
    milestones_for,
    network_organisations,
    org_scope,
)
from amparo.insights.summary import build_summary
from amparo.records.models import Incident

ADMIN_ROLES = (Role.ADMIN, Role.COORDINATOR)


@transaction.atomic
def sharing_update(*, organisation: Organisation, acting_user: User, level: str, public_page: bool) -> SharingAgreement:
    if level not in SharingLevel.values:
        raise ValidationError({"level": _("Unknown choice.")})
    agreement, _created = SharingAgreement.objects.select_for_update().get_or_create(organisation=organisation)
    agreement.level, agreement.public_page, agreement.updated_by = level, bool(public_page), acting_user
    agreement.save()
    audit.record(
        actor=acting_user, action="insights.sharing_changed", organisation=organisation, target=agreement,
        fields=["level", "public_page"], detail={"level": level, "public_page": bool(public_page)},
    )
    transaction.on_commit(lambda: _enqueue_network())
    return agreement


@transaction.atomic
def milestone_create(
    *, organisation: Organisation, acting_user: User, happened_on: date, title: str, kind: str = MilestoneKind.OTHER, is_public: bool = False
) -> Milestone:
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the milestone a title.")
    if kind not in MilestoneKind.values:
        errors["kind"] = _("Unknown choice.")
    if happened_on and happened_on > timezone.localdate():
        errors["happened_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    milestone = Milestone.objects.create(
        organisation=organisation, happened_on=happened_on, title=title[:120], kind=kind, is_public=is_public, created_by=acting_user
    )
    audit.record(actor=acting_user, action="insights.milestone_created", target=milestone, organisation=organisation, fields=["title", "kind", "happened_on", "is_public"])
    transaction.on_commit(lambda: enqueue_refresh(organisation.pk))
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, acting_user: User) -> None:
    org_id = milestone.organisation_id
    audit.record(actor=acting_user, action="insights.milestone_deleted", target=milestone, organisation=milestone.organisation)
    milestone.delete()
    transaction.on_commit(lambda: enqueue_refresh(org_id))


# --- Aggregates -------------------------------------------------------------------------


@transaction.atomic
def aggregates_refresh(*, organisation_id: int) -> int:
    """Rebuild one organisation's aggregate rows from its incidents. Idempotent."""
    facts = facts_from_incidents(Incident.objects.filter(organisation_id=organisation_id))
    AggregateCell.objects.filter(organisation_id=organisation_id).delete()
    AggregateTerm.objects.filter(organisation_id=organisation_id).delete()
    cells = [
        AggregateCell(
            organisation_id=organisation_id, month=c.month, department_code=c.department, province_code=c.province,
            shareable=True, incidents=c.incidents, people=c.people, state_agent=c.state_agent,
        )
        for c in facts.cells
    ]
    # Records without consent: counted (so pages can say how many are left out), never described.
    withheld = (
        Incident.objects.filter(organisation_id=organisation_id, consent_share_stats=False)
        .annotate(m=TruncMonth("occurred_on"))
        .values("m", "department_id", "province_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    cells += [
        AggregateCell(
            organisation_id=organisation_id, month=_as_date(r["m"]), department_code=r["department_id"] or "",
            province_code=r["province_id"] or "", shareable=False, incidents=r["n"],
        )
        for r in withheld
    ]
    AggregateCell.objects.bulk_create(cells, batch_size=2000)
    AggregateTerm.objects.bulk_create(
        [
            AggregateTerm(organisation_id=organisation_id, month=t.month, department_code=t.department, vocabulary=t.vocabulary, code=t.code, incidents=t.incidents)
            for t in facts.terms
        ],
        batch_size=2000,
    )
    summary_publish(scope=org_scope(organisation_id), organisation_ids=[organisation_id])
    RefreshState.objects.update_or_create(organisation_id=organisation_id, defaults={"dirty_since": None, "refreshed_at": timezone.now()})
    return len(cells)


def _coverage(organisation_ids: list[int]) -> dict[str, Any]:
    names = list(Organisation.objects.filter(pk__in=organisation_ids).order_by("name").values_list("name", flat=True))
    return {"organisations": names}


@transaction.atomic
def summary_publish(*, scope: str, organisation_ids: list[int]) -> PublishedSummary:
    """Protect and store the statistics of one scope; public pages read only this row."""
    summary = build_summary(
        facts_from_aggregates(organisation_ids),
        protected=True,
        milestones=milestones_for(organisation_ids, public_only=True),
    )
    summary["scope"] = {"kind": "network" if scope == NETWORK_SCOPE else "organisation", **_coverage(organisation_ids)}
    row, _created = PublishedSummary.objects.update_or_create(scope=scope, defaults={"payload": summary, "built_at": timezone.now()})
    return row


def network_publish() -> PublishedSummary:
    ids = list(network_organisations().values_list("pk", flat=True))
    return summary_publish(scope=NETWORK_SCOPE, organisation_ids=ids)


def mark_dirty(organisation_id: int) -> None:
    RefreshState.objects.update_or_create(organisation_id=organisation_id, defaults={"dirty_since": timezone.now()})


def enqueue_refresh(organisation_id: int) -> None:
    from amparo.insights.tasks import refresh_organisation

    mark_dirty(organisation_id)
    refresh_organisation(organisation_id)


def _enqueue_network() -> None:
    from amparo.insights.tasks import refresh_network

    refresh_network()


# --- Exports ------------------------------------------------------------------------------


def export_recorded(*, acting_user: User, organisation: Organisation, kind: str, fmt: str, filters: dict[str, str], rows: int) -> None:
    """Every export leaves an audit row: who, what, which filters, how many rows (never values)."""
    if kind not in ("records", "observatory", "report", "network_records", "chart"):
        raise PermissionDenied
    audit.record(
        actor=acting_user, action=f"insights.export_{kind}", organisation=organisation,
        detail={"format": fmt, "filters": filters, "rows": rows},
    )
