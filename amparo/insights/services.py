"""Writes for statistics: sharing agreements, milestones, aggregate refreshes, audited exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organisation, Role, User
from amparo.audit import services as audit
from amparo.insights.lib.cellkey import record_key_sql
from amparo.insights.lib.disclosure import threshold_default
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
    concern_series,
    facts_from_aggregates,
    facts_from_incidents,
    milestones_for,
    network_organisations,
    org_scope,
)
from amparo.insights.summary import build_joint, build_summary
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
    *, organisation: Organisation, acting_user: User, happened_on: date, title: str, kind: str = MilestoneKind.OTHER, is_public: bool = False,
    violation: str = "", perpetrator: str = "",
) -> Milestone:
    from amparo.vocab.models import Term, Vocabulary

    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the milestone a title.")
    if kind not in MilestoneKind.values:
        errors["kind"] = _("Unknown choice.")
    for name, vocabulary, code in (("violation", Vocabulary.VIOLATION, violation), ("perpetrator", Vocabulary.PERPETRATOR, perpetrator)):
        if code and not Term.objects.filter(vocabulary=vocabulary, code=code).exists():
            errors[name] = _("Unknown choice.")
    if happened_on and happened_on > timezone.localdate():
        errors["happened_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    milestone = Milestone.objects.create(
        organisation=organisation, happened_on=happened_on, title=title[:120], kind=kind, is_public=is_public, created_by=acting_user,
        violation=violation or "", perpetrator=perpetrator or "",
    )
    audit.record(
        actor=acting_user, action="insights.milestone_created", target=milestone, organisation=organisation,
        fields=["title", "kind", "happened_on", "is_public", "violation", "perpetrator"],
    )
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
def aggregates_refresh(*, organisation_id: int, publish: bool = True) -> int:
    """Rebuild one organisation's aggregate rows from its incidents, then (unless told not to,
    when many organisations are rebuilt in a row) every published summary. Idempotent."""
    facts = facts_from_incidents(Incident.objects.filter(organisation_id=organisation_id))
    AggregateCell.objects.filter(organisation_id=organisation_id).delete()
    AggregateTerm.objects.filter(organisation_id=organisation_id).delete()
    cells = [
        AggregateCell(
            organisation_id=organisation_id, month=c.month, department_code=c.department, province_code=c.province,
            shareable=True, incidents=c.incidents, people=c.people, state_agent=c.state_agent,
            record_keys=c.key, state_keys=c.state_key,
        )
        for c in facts.cells
    ]
    # Records without consent: counted (so pages can say how many are left out), never described.
    withheld = (
        Incident.objects.filter(organisation_id=organisation_id, consent_share_stats=False)
        .annotate(m=TruncMonth("occurred_on"), k=record_key_sql("id"))
        .values("m", "department_id", "province_id")
        .annotate(n=Count("id"), ks=Sum("k"))
        .order_by()
    )
    cells += [
        AggregateCell(
            organisation_id=organisation_id, month=_as_date(r["m"]), department_code=r["department_id"] or "",
            province_code=r["province_id"] or "", shareable=False, incidents=r["n"], record_keys=int(r["ks"] or 0),
        )
        for r in withheld
    ]
    AggregateCell.objects.bulk_create(cells, batch_size=2000)
    AggregateTerm.objects.bulk_create(
        [
            AggregateTerm(
                organisation_id=organisation_id, month=t.month, department_code=t.department, vocabulary=t.vocabulary, code=t.code,
                incidents=t.incidents, record_keys=t.key,
            )
            for t in facts.terms
        ],
        batch_size=2000,
    )
    if publish:
        summaries_publish()
    RefreshState.objects.update_or_create(organisation_id=organisation_id, defaults={"dirty_since": None, "refreshed_at": timezone.now()})
    return len(cells)


def _coverage(organisation_ids: list[int]) -> dict[str, Any]:
    names = list(Organisation.objects.filter(pk__in=organisation_ids).order_by("name").values_list("name", flat=True))
    return {"organisations": names}


def _store(scope: str, summary: dict[str, Any], organisation_ids: list[int], now) -> None:  # type: ignore[no-untyped-def]
    summary["scope"] = {"kind": "network" if scope == NETWORK_SCOPE else "organisation", **_coverage(organisation_ids)}
    PublishedSummary.objects.update_or_create(scope=scope, defaults={"payload": summary, "built_at": now})


@transaction.atomic
def summaries_publish() -> None:
    """Protect and store every published scope; public pages read only these rows.

    Each organisation's page is protected alone; the network's page is summed from its members'
    protected pages (`summary.build_joint`), so that no page can be subtracted from another.
    """
    now = timezone.now()
    network_ids = list(network_organisations().values_list("pk", flat=True))
    public_ids = set(Organisation.objects.filter(sharing__public_page=True).values_list("pk", flat=True))
    milestones = {o: milestones_for([o], public_only=True) for o in set(network_ids) | public_ids}
    network_milestones = milestones_for(network_ids, public_only=True)
    facts = {o: facts_from_aggregates([o]) for o in set(network_ids) | public_ids}
    for o, f in facts.items():
        f.series = concern_series([o], milestones[o] + (network_milestones if o in network_ids else []))
    if network_ids:
        network, orgs = build_joint(
            {o: facts[o] for o in network_ids},
            shown=public_ids & set(network_ids),
            milestones_by_org=milestones,
            network_milestones=network_milestones,
        )
        threshold = threshold_default()
        included = [o for o in network_ids if sum(c.incidents for c in facts[o].cells) >= threshold]
        _store(NETWORK_SCOPE, network, included, now)
        for o, summary in orgs.items():
            _store(org_scope(o), summary, [o], now)
        alone = (public_ids & set(network_ids)) - set(orgs)  # too few records to show anything
    else:
        _store(NETWORK_SCOPE, build_summary(facts_from_aggregates([]), protected=True), [], now)
        alone = set()
    for o in (public_ids - set(network_ids)) | alone:
        _store(org_scope(o), build_summary(facts[o], protected=True, milestones=milestones[o]), [o], now)


def network_publish() -> None:
    summaries_publish()


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
