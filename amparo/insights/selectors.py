"""Reads for statistics, always starting from the membership (or, for public pages, from what an
organisation agreed to publish)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Organisation, Role
from amparo.insights.lib.cellkey import record_key, record_key_sql
from amparo.insights.models import (
    AggregateCell,
    AggregateTerm,
    Milestone,
    PublishedSummary,
    RefreshState,
    SharingAgreement,
    SharingLevel,
)
from amparo.insights.summary import (
    CellFact,
    Concern,
    Facts,
    TermFact,
    build_perturbed,
    build_summary,
    concern_of,
    needs_series,
)
from amparo.records.models import (
    GenderIdentity,
    Incident,
    IncidentPerpetrator,
    IncidentPerson,
    IncidentViolation,
    MigrantStatus,
)
from amparo.vocab.models import Term, Vocabulary

# Who reads an organisation's dashboard. Analysts get protected numbers only.
DASHBOARD_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.ANALYST)
RAW_ROLES = (Role.ADMIN, Role.COORDINATOR)
EXPORT_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.ANALYST)
NETWORK_SCOPE = "network"


def org_scope(organisation_id: int) -> str:
    return f"org:{organisation_id}"


# --- Filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsFilters:
    date_from: date | None = None
    date_to: date | None = None
    department: str = ""
    violation: str = ""
    perpetrator: str = ""
    gender_identity: str = ""
    migrant_status: str = ""

    @property
    def any(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)

    def as_query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v}


FILTER_FIELDS = ("date_from", "date_to", "department", "violation", "perpetrator", "gender_identity", "migrant_status")


def parse_filters(params: Any) -> StatsFilters:
    """Read filters from a query string; unknown values raise ValidationError (answered 400)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(params.keys()) - set(FILTER_FIELDS) - {"granularity", "format", "lang"})
    if unknown:
        errors["__all__"] = _("Unknown filters: %(names)s") % {"names": ", ".join(unknown)}

    def one(name: str) -> str:
        value = params.get(name, "") or ""
        if len(value) > 60:
            errors[name] = _("Too long.")
            return ""
        return value.strip()

    dates: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        raw = one(name)
        dates[name] = None
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = _("Use a date like 2024-01-31.")
    if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = _("The end of the period is before its start.")
    department = one("department")
    if department and not (len(department) == 2 and department.isdigit() and "01" <= department <= "25"):
        errors["department"] = _("Unknown region.")
    violation, perpetrator = one("violation"), one("perpetrator")
    for name, vocabulary, code in (("violation", Vocabulary.VIOLATION, violation), ("perpetrator", Vocabulary.PERPETRATOR, perpetrator)):
        if code and not Term.objects.filter(vocabulary=vocabulary, code=code).exists():
            errors[name] = _("Unknown choice.")
    gender, migrant = one("gender_identity"), one("migrant_status")
    if gender and gender not in GenderIdentity.values:
        errors["gender_identity"] = _("Unknown choice.")
    if migrant and migrant not in MigrantStatus.values:
        errors["migrant_status"] = _("Unknown choice.")
    if errors:
        raise ValidationError(errors)
    return StatsFilters(dates["date_from"], dates["date_to"], department, violation, perpetrator, gender, migrant)


def filtered_incidents(qs: QuerySet[Incident], f: StatsFilters) -> QuerySet[Incident]:
    if f.date_from:
        qs = qs.filter(occurred_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(occurred_on__lte=f.date_to)
    if f.department:
        qs = qs.filter(department_id=f.department)
    if f.violation:
        qs = qs.filter(Exists(IncidentViolation.objects.filter(incident=OuterRef("pk"), term__code=f.violation)))
    if f.perpetrator:
        qs = qs.filter(Exists(IncidentPerpetrator.objects.filter(incident=OuterRef("pk"), term__code=f.perpetrator)))
    person_q = Q()
    if f.gender_identity:
        person_q &= Q(person__gender_identity=f.gender_identity)
    if f.migrant_status:
        person_q &= Q(person__migrant_status=f.migrant_status)
    if person_q:
        qs = qs.filter(Exists(IncidentPerson.objects.filter(person_q, incident=OuterRef("pk"))))
    return qs


# --- Facts --------------------------------------------------------------------------------


def facts_from_incidents(qs: QuerySet[Incident]) -> Facts:
    """Aggregate live incidents in the database (GROUP BY), never loading a record. Every count
    carries the sum of its incidents' record keys (`lib/cellkey.py`)."""
    facts = Facts()
    key = record_key_sql("id")
    rows = (
        qs.annotate(m=TruncMonth("occurred_on"), k=key)
        .values("m", "department_id", "province_id", "consent_share_stats")
        .annotate(
            n=Count("id"), p=Sum("people_affected"), s=Count("id", filter=Q(involves_state_agent=True)),
            ks=Sum("k"), kss=Sum("k", filter=Q(involves_state_agent=True)),
        )
        .order_by()
    )
    for r in rows:
        if not r["consent_share_stats"]:
            facts.left_out += r["n"]
            facts.left_out_key += int(r["ks"] or 0)
            continue
        facts.cells.append(
            CellFact(
                month=_as_date(r["m"]),
                department=r["department_id"] or "",
                province=r["province_id"] or "",
                incidents=r["n"],
                people=r["p"] or 0,
                state_agent=r["s"],
                key=int(r["ks"] or 0),
                state_key=int(r["kss"] or 0),
            )
        )
    shareable = qs.filter(consent_share_stats=True)
    places = (
        shareable.annotate(m=TruncMonth("occurred_on"), k=key)
        .values("m", "department_id", "place_type__code")
        .annotate(n=Count("id"), ks=Sum("k"))
        .order_by()
    )
    for pr in places:
        facts.terms.append(TermFact(_as_date(pr["m"]), pr["department_id"] or "", "place_type", pr["place_type__code"] or "", pr["n"], int(pr["ks"] or 0)))
    link_key = record_key_sql("incident_id")
    for model, vocabulary in ((IncidentViolation, "violation"), (IncidentPerpetrator, "perpetrator")):
        links = (
            model.objects.filter(incident__in=shareable.values("pk"))
            .annotate(m=TruncMonth("incident__occurred_on"), k=link_key)
            .values("m", "incident__department_id", "term__code")
            .annotate(n=Count("id"), ks=Sum("k"))
            .order_by()
        )
        for lr in links:
            facts.terms.append(TermFact(_as_date(lr["m"]), lr["incident__department_id"] or "", vocabulary, lr["term__code"], lr["n"], int(lr["ks"] or 0)))
    # One row per incident and right group, whatever the number of its violations in the group.
    groups = (
        IncidentViolation.objects.filter(incident__in=shareable.values("pk"))
        .exclude(term__right_group="")
        .annotate(m=TruncMonth("incident__occurred_on"))
        .values("m", "incident__department_id", "term__right_group", "incident_id")
        .distinct()
        .order_by()
    )
    right_groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for gr in groups:
        acc = right_groups[(_as_date(gr["m"]), gr["incident__department_id"] or "", gr["term__right_group"])]
        acc[0] += 1
        acc[1] += record_key(gr["incident_id"])
    for (month, dept, group), (n, k) in right_groups.items():
        facts.terms.append(TermFact(month, dept, "right_group", group, n, k))
    return facts


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def facts_from_aggregates(organisation_ids: list[int], filters: StatsFilters | None = None) -> Facts:
    """Facts read from the aggregate tables (optionally for whole months and one department)."""
    facts = Facts()
    where = Q(organisation_id__in=organisation_ids)
    if filters is not None:
        if filters.date_from:
            where &= Q(month__gte=filters.date_from)
        if filters.date_to:
            where &= Q(month__lte=filters.date_to)
        if filters.department:
            where &= Q(department_code=filters.department)
    cells = (
        AggregateCell.objects.filter(where)
        .values("month", "department_code", "province_code", "shareable")
        .annotate(n=Sum("incidents"), p=Sum("people"), s=Sum("state_agent"), ks=Sum("record_keys"), kss=Sum("state_keys"))
        .order_by()
    )
    for r in cells:
        if not r["shareable"]:
            facts.left_out += r["n"]
            facts.left_out_key += int(r["ks"] or 0)
            continue
        facts.cells.append(
            CellFact(r["month"], r["department_code"], r["province_code"], r["n"], r["p"], r["s"], int(r["ks"] or 0), int(r["kss"] or 0))
        )
    # Summaries count terms by month only: leaving the department out of the grouping reads one
    # row per month and term instead of one per department too.
    terms = (
        AggregateTerm.objects.filter(where)
        .values("month", "vocabulary", "code")
        .annotate(n=Sum("incidents"), ks=Sum("record_keys"))
        .order_by()
    )
    for tr in terms:
        facts.terms.append(TermFact(tr["month"], "", tr["vocabulary"], tr["code"], tr["n"], int(tr["ks"] or 0)))
    return facts


# --- Dashboards ---------------------------------------------------------------------------


def require_dashboard(membership: Membership) -> None:
    if membership is None or membership.role not in DASHBOARD_ROLES:
        raise PermissionDenied


def milestones_for(organisation_ids: list[int], *, public_only: bool) -> list[dict]:
    """Milestones as summaries carry them; those for public pages (`public_only`) leave out the
    activity they came from, an internal record."""
    qs = Milestone.objects.filter(organisation_id__in=organisation_ids)
    if public_only:
        qs = qs.filter(is_public=True)
    return [
        {
            "id": m.pk, "date": m.happened_on.isoformat(), "kind": m.kind, "title": m.title, "public": m.is_public,
            "violation": m.violation, "perpetrator": m.perpetrator, "place": m.place,
            **({} if public_only else {"activity": m.activity_id}),
        }
        for m in qs.order_by("happened_on", "pk")
    ]


def milestone_story(*, organisation_id: int) -> dict[str, Any]:
    """The organisation's milestones with their before/after comparisons, computed from all its
    records protected alone: exactly what its public page says (from fresh aggregates) and what
    its funder report repeats."""
    milestones = milestones_for([organisation_id], public_only=False)
    if aggregates_fresh(organisation_id):
        facts = facts_from_aggregates([organisation_id])
    else:
        facts = facts_from_incidents(Incident.objects.filter(organisation_id=organisation_id))
    facts.series = concern_series([organisation_id], milestones)
    return build_summary(facts, protected=True, milestones=milestones)


# Which incident column a place code of each length matches (INEI ubigeo: DD, DDPP, DDPPdd).
PLACE_COLUMNS = {2: "department_id", 4: "province_id", 6: "district_id"}


def place_exists(code: str) -> bool:
    """Whether `code` is a department, province or district (INEI ubigeo of 2, 4 or 6 digits)."""
    from amparo.places.models import Department, District, Province

    if not code.isdigit():
        return False
    if len(code) == 2:
        return Department.objects.filter(code=code).exists()
    if len(code) == 4:
        return Province.objects.filter(code=code).exists()
    return len(code) == 6 and District.objects.filter(code=code).exists()


def concern_series(organisation_ids: list[int], milestones: list[dict]) -> dict[Concern, dict[date, int]]:
    """Monthly counts (records with consent only) of the incidents a milestone is about, where
    the aggregate tables cannot answer (`summary.needs_series`): both the violation and the
    perpetrator it names, and only in its place (district, province or department) if it names one."""
    out: dict[Concern, dict[date, int]] = {}
    for concern in sorted({c for c in map(concern_of, milestones) if needs_series(c)}):
        violation, perpetrator, place = concern
        qs = filtered_incidents(
            Incident.objects.filter(organisation_id__in=organisation_ids, consent_share_stats=True),
            StatsFilters(violation=violation, perpetrator=perpetrator),
        )
        if place:
            qs = qs.filter(**{PLACE_COLUMNS[len(place)]: place})
        rows = qs.annotate(m=TruncMonth("occurred_on")).values("m").annotate(n=Count("id")).order_by()
        out[concern] = {_as_date(r["m"]): r["n"] for r in rows}
    return out


def _whole_months(f: StatsFilters) -> bool:
    if f.date_from and f.date_from.day != 1:
        return False
    return not (f.date_to and (f.date_to + timedelta(days=1)).day != 1)


def aggregates_fresh(organisation_id: int) -> bool:
    return RefreshState.objects.filter(
        organisation_id=organisation_id, dirty_since__isnull=True, refreshed_at__isnull=False
    ).exists()


def dashboard_version(organisation_id: int, filters: StatsFilters) -> str | None:
    """A key for the organisation's data as the aggregates last saw it, when they can answer these
    filters (whole months and/or a region) and nothing changed since; None means count live."""
    if filters.violation or filters.perpetrator or filters.gender_identity or filters.migrant_status:
        return None
    if not _whole_months(filters):
        return None
    refreshed = (
        RefreshState.objects.filter(organisation_id=organisation_id, dirty_since__isnull=True)
        .values_list("refreshed_at", flat=True)
        .first()
    )
    return f"{refreshed.timestamp():.6f}" if refreshed else None


def dashboard_for(*, membership: Membership, filters: StatsFilters, version: str | None = "") -> dict[str, Any]:
    """The organisation's dashboard: raw for coordinators and admins, protected for analysts.

    Fresh aggregates answer period and region filters, and the result is cached under their
    version; anything else is counted live from the incidents (in the database)."""
    from django.core.cache import cache

    require_dashboard(membership)
    org_id = membership.organisation_id
    protected = membership.role not in RAW_ROLES
    if version == "":
        version = dashboard_version(org_id, filters)

    def build() -> dict[str, Any]:
        if version is not None:
            facts = facts_from_aggregates([org_id], filters)
        else:
            facts = facts_from_incidents(filtered_incidents(Incident.objects.filter(organisation_id=org_id), filters))
        milestones = milestones_for([org_id], public_only=False)
        facts.series = concern_series([org_id], milestones)
        # Analysts filter at will: their views are perturbed (cell key method), not suppressed,
        # so that two filtered views cannot be subtracted to reveal a small number.
        summary = build_perturbed(facts, milestones=milestones) if protected else build_summary(facts, protected=False, milestones=milestones)
        summary["scope"] = {"kind": "organisation", "organisations": [membership.organisation.name]}
        return summary

    if version is None:
        return build()
    # The filters hashed: a key any cache backend accepts (no spaces or quotes, bounded length).
    wanted = hashlib.sha256(repr(sorted(filters.as_query().items())).encode()).hexdigest()[:32]
    key = f"insights:dash:{org_id}:{version}:{int(protected)}:{wanted}"
    summary = cache.get(key)
    if summary is None:
        summary = build()
        cache.set(key, summary, 3600)
    return summary


def sharing_for(organisation: Organisation) -> SharingAgreement:
    agreement = SharingAgreement.objects.filter(organisation=organisation).first()
    return agreement or SharingAgreement(organisation=organisation)


def network_organisations() -> QuerySet[Organisation]:
    """Organisations that share at least protected aggregates with the network."""
    return Organisation.objects.filter(
        sharing__level__in=[SharingLevel.AGGREGATES, SharingLevel.RECORDS]
    ).order_by("name")


def can_see_network(membership: Membership | None, user: Any) -> bool:
    if getattr(user, "is_network_admin", False):
        return True
    return (
        membership is not None
        and membership.role in DASHBOARD_ROLES
        and network_organisations().filter(pk=membership.organisation_id).exists()
    )


def network_summary_for(*, membership: Membership | None, user: Any) -> dict[str, Any]:
    if not can_see_network(membership, user):
        raise PermissionDenied
    return published_summary(NETWORK_SCOPE)


def summary_built_at(scope: str) -> datetime:
    built = PublishedSummary.objects.filter(scope=scope).values_list("built_at", flat=True).first()
    if built is None:
        raise Http404
    return built


def published_summary(scope: str) -> dict[str, Any]:
    row = PublishedSummary.objects.filter(scope=scope).only("payload", "built_at").first()
    if row is None:
        raise Http404
    payload = dict(row.payload)
    payload["built_at"] = row.built_at.isoformat()
    return payload


def public_organisation(slug: str) -> Organisation:
    """The organisation behind a public page: 404 unless it chose to publish one."""
    try:
        return Organisation.objects.get(slug=slug, sharing__public_page=True)
    except Organisation.DoesNotExist:
        raise Http404


def public_summary_for_org(slug: str) -> tuple[Organisation, dict[str, Any]]:
    org = public_organisation(slug)
    return org, published_summary(org_scope(org.pk))


def network_record_organisations() -> QuerySet[Organisation]:
    """Only organisations that agreed to share de-identified records contribute record rows."""
    return Organisation.objects.filter(sharing__level=SharingLevel.RECORDS)
