"""Writes for statistics: sharing agreements, milestones, aggregate refreshes, audited exports."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

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
    place_exists,
)
from amparo.insights.summary import Facts, build_summary, combine_parts, concern_key, concern_of
from amparo.records.models import Incident

if TYPE_CHECKING:
    from amparo.programmes.models import Activity

# Stored summaries carry the version of the protection that built them; an older one is never
# reused as a part of the network page.
PROTECTION_VERSION = 2

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
    violation: str = "", perpetrator: str = "", place: str = "", activity: Activity | None = None,
) -> Milestone:
    """`place` is an INEI ubigeo of 2, 4 or 6 digits (department, province, district) or "" for
    everywhere; `activity` the programme activity the milestone came from, if any (same
    organisation: the caller's scoping already checked it, this is the last line)."""
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
    place = place or ""
    if place and not place_exists(place):
        errors["place"] = _("Unknown place.")
    if activity is not None and activity.organisation_id != organisation.pk:
        raise PermissionDenied
    if errors:
        raise ValidationError(errors)
    milestone = Milestone.objects.create(
        organisation=organisation, happened_on=happened_on, title=title[:120], kind=kind, is_public=is_public, created_by=acting_user,
        violation=violation or "", perpetrator=perpetrator or "", place=place, activity=activity,
    )
    audit.record(
        actor=acting_user, action="insights.milestone_created", target=milestone, organisation=organisation,
        fields=["title", "kind", "happened_on", "is_public", "violation", "perpetrator", "place", "activity"],
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
    _insert(AggregateCell, cells)
    _insert(
        AggregateTerm,
        [
            AggregateTerm(
                organisation_id=organisation_id, month=t.month, department_code=t.department, vocabulary=t.vocabulary, code=t.code,
                incidents=t.incidents, record_keys=t.key,
            )
            for t in facts.terms
        ],
    )
    if publish:
        summaries_publish(changed=organisation_id)
    RefreshState.objects.update_or_create(organisation_id=organisation_id, defaults={"dirty_since": None, "refreshed_at": timezone.now()})
    return len(cells)


def _insert(model: Any, rows: list[Any]) -> None:
    """bulk_create without its per-object SQL compilation (tens of thousands of plain rows)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # Table and column names come from the model, quoted; values are parameters. Only dates need
    # adapting (text on SQLite); the rest are plain integers, strings and booleans.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    date_fields = {f.attname for f in fields if f.get_internal_type() == "DateField"}
    adapt = connection.ops.adapt_datefield_value
    values = [
        [adapt(getattr(r, f.attname)) if f.attname in date_fields else getattr(r, f.attname) for f in fields] for r in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(values), 5000):
            cursor.executemany(sql, values[start : start + 5000])


def _coverage(organisation_ids: list[int]) -> dict[str, Any]:
    names = list(Organisation.objects.filter(pk__in=organisation_ids).order_by("name").values_list("name", flat=True))
    return {"organisations": names}


def _store(scope: str, summary: dict[str, Any], organisation_ids: list[int], now) -> None:  # type: ignore[no-untyped-def]
    summary["scope"] = {"kind": "network" if scope == NETWORK_SCOPE else "organisation", **_coverage(organisation_ids)}
    PublishedSummary.objects.update_or_create(scope=scope, defaults={"payload": summary, "built_at": now})


UNSHOWN_SCOPE = "network:unshown"  # members without a page, protected together; never served


def _stored(scope: str, threshold: int) -> dict[str, Any] | None:
    """A summary stored by this version of the protection, with this threshold, or None."""
    row = PublishedSummary.objects.filter(scope=scope).values_list("payload", flat=True).first()
    if row and row.get("protection") == PROTECTION_VERSION and row.get("threshold") == threshold:
        return row
    return None


@transaction.atomic
def summaries_publish(*, changed: int | None = None) -> None:
    """Protect and store every published scope; public pages read only these rows.

    Each organisation's page is protected alone; the network's page is summed from its members'
    protected pages (`summary.combine_parts`), so that no page can be subtracted from another.
    After new data for one organisation (`changed`), only its page (or, if it has none, the part
    of the members without a page) is protected again; the other pages are reused as stored.
    """
    now = timezone.now()
    t = threshold_default()
    network_ids = list(network_organisations().values_list("pk", flat=True))
    public_ids = set(Organisation.objects.filter(sharing__public_page=True).values_list("pk", flat=True))
    milestones = {o: milestones_for([o], public_only=True) for o in set(network_ids) | public_ids}
    network_milestones = milestones_for(network_ids, public_only=True)
    concerns = {concern_of(m) for m in network_milestones}
    totals = dict(
        AggregateCell.objects.filter(organisation_id__in=network_ids, shareable=True)
        .values("organisation_id").annotate(n=Sum("incidents")).order_by().values_list("organisation_id", "n")
    )
    members = [o for o in network_ids if (totals.get(o) or 0) >= t]
    shown = [o for o in members if o in public_ids]
    unshown_ids = [o for o in members if o not in public_ids]

    def facts_for(ids: list[int], extra: list[dict]) -> Facts:
        facts = facts_from_aggregates(ids)
        facts.series = concern_series(ids, extra)
        return facts

    def page(o: int, in_network: bool) -> dict[str, Any]:
        stored = _stored(org_scope(o), t) if changed is not None and o != changed else None
        if stored is not None and in_network and not all(concern_key(*c) in stored["concerns"] for c in concerns if any(c)):
            stored = None  # a new network milestone needs this page's series too
        if stored is not None:
            return stored
        extra = milestones[o] + (network_milestones if in_network else [])
        summary = build_summary(
            facts_for([o], extra), protected=True, threshold=t, milestones=milestones[o], concerns=concerns if in_network else (),
        )
        summary["protection"] = PROTECTION_VERSION
        _store(org_scope(o), summary, [o], now)
        return summary

    pages = {o: page(o, True) for o in shown}
    unshown = None
    if unshown_ids:
        unshown = _stored(UNSHOWN_SCOPE, t) if changed is not None and changed not in unshown_ids else None
        if unshown is None:
            unshown = build_summary(facts_for(unshown_ids, network_milestones), protected=True, threshold=t, concerns=concerns)
            unshown["protection"] = PROTECTION_VERSION
            _store(UNSHOWN_SCOPE, unshown, unshown_ids, now)
    raw = build_summary(facts_for(members, network_milestones), protected=False, threshold=t, concerns=concerns)
    network = combine_parts(raw, list(pages.values()), threshold=t, today=timezone.localdate(), milestones=network_milestones, unshown=unshown)
    network["protection"] = PROTECTION_VERSION
    _store(NETWORK_SCOPE, network, members, now)
    # Pages outside the network, and members with too few records to show anything.
    for o in public_ids - set(shown):
        page(o, False)


def network_publish() -> None:
    """After a change of who is in the network or who has a page: every page again."""
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
