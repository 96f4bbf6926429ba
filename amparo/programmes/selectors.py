"""Reads of the programmes app, scoped to the member by construction.

Planners (admin, coordinator) see everything of their organisation; analysts see programme
progress (aggregates) and no activity; documenters see the activities they recorded or
facilitated; lawyers see none of it. Not found and not yours are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from amparo.accounts.models import Membership, Role
from amparo.insights.lib import disclosure
from amparo.places.models import District
from amparo.programmes.models import (
    HEALTH_MEASURES,
    PARTICIPANT_FIELDS,
    Activity,
    ActivityKind,
    CareLinkage,
    Indicator,
    Measure,
    Programme,
    Venue,
)
from amparo.programmes.services import PLANNERS, PROGRESS_READERS, RECORDERS, may_follow_to_care

STREET = "street"


def _require(membership: Membership, roles: set[Role]) -> None:
    if membership.role not in roles:
        raise PermissionDenied


def programme_list_for(*, membership: Membership) -> QuerySet[Programme]:
    _require(membership, PROGRESS_READERS)
    return Programme.objects.for_member(membership)


def programme_choices_for(*, membership: Membership) -> QuerySet[Programme]:
    """Programmes an activity may be recorded under (documenters need to pick one)."""
    _require(membership, RECORDERS)
    return Programme.objects.for_member(membership)


def programme_get_for(*, membership: Membership, programme_id: int) -> Programme:
    _require(membership, PROGRESS_READERS)
    return Programme.objects.get_for_member(membership, pk=programme_id)


def venue_list_for(*, membership: Membership) -> QuerySet[Venue]:
    _require(membership, RECORDERS)
    return Venue.objects.for_member(membership).select_related("district")


def venue_get_for(*, membership: Membership, venue_id: int) -> Venue:
    """A venue with its sealed address and contact: planners only."""
    _require(membership, PLANNERS)
    return Venue.objects.get_for_member(membership, pk=venue_id)


def indicator_get_for(*, membership: Membership, indicator_id: int) -> Indicator:
    _require(membership, PLANNERS)
    return Indicator.objects.select_related("programme", "venue").get_for_member(membership, pk=indicator_id)


def district_choices_for(*, membership: Membership) -> QuerySet[District]:
    """The districts an activity or a venue may be in: the organisation's region."""
    return District.objects.filter(department_id=membership.organisation.department_code).select_related("province").order_by("name")


def activity_list_for(*, membership: Membership) -> QuerySet[Activity]:
    _require(membership, RECORDERS)
    activities = Activity.objects.for_member(membership).select_related("venue", "district", "programme")
    if membership.role == Role.DOCUMENTER:
        activities = activities.filter(Q(recorded_by_id=membership.user_id) | Q(facilitators=membership)).distinct()
    return activities


def activity_get_for(*, membership: Membership, activity_id: int) -> Activity:
    found = activity_list_for(membership=membership).filter(pk=activity_id).first()
    if found is None:
        raise Http404
    return found


def activity_milestones_for(*, membership: Membership, activity: Activity) -> list[Any]:
    """The milestones in the statistics that came from this activity (planners only)."""
    from amparo.insights.models import Milestone

    _require(membership, PLANNERS)
    return list(Milestone.objects.for_member(membership).filter(activity=activity))


def activity_milestone_sentences(*, membership: Membership, activity: Activity) -> list[str]:
    """What the statistics say happened after this activity's milestones: the public page's and
    the funder report's sentences (protected numbers, all the organisation's records)."""
    from amparo.insights.presentation import comparison_texts
    from amparo.insights.selectors import milestone_story

    _require(membership, PLANNERS)
    story = milestone_story(organisation_id=membership.organisation_id)
    return [text for m, text in comparison_texts(story) if m.get("activity") == activity.pk]


def activity_referred_to_lawyer(*, membership: Membership, activity_id: int) -> Activity:
    """A lawyer sees an activity only through a referral she received from it (a summary, never its
    counts); any other activity is 404 for her."""
    from amparo.response.selectors import referral_scope

    if membership.role != Role.LAWYER:
        raise PermissionDenied
    if not referral_scope(membership=membership).filter(activity_id=activity_id).exists():
        raise Http404
    return Activity.objects.for_member(membership).select_related("district", "venue").only(
        "organisation_id", "kind", "held_on", "district__name", "venue__code_name",
    ).get(pk=activity_id)


@dataclass
class ActivityReferrals:
    """The referrals an activity made: how many, and those the member may open."""

    count: int
    visible: list[Any]


def activity_referrals(*, membership: Membership, activity: Activity) -> ActivityReferrals:
    from amparo.response.selectors import REFERRAL_LIST_DEFER, referral_scope

    count = activity.referrals.count()  # type: ignore[attr-defined]
    visible = list(
        referral_scope(membership=membership).filter(activity=activity).select_related("service", "lawyer", "person")
        .defer(*REFERRAL_LIST_DEFER).order_by("-created_at", "-pk")
    )
    return ActivityReferrals(count=count, visible=visible)


def programme_referral_count(*, programme: Programme) -> str:
    """Referrals made from a programme's activities, as a published number (small counts suppressed)."""
    from amparo.response.models import Referral

    return disclosure.suppress_count(Referral.objects.filter(activity__programme=programme).count())


# ---- linkage to care ----------------------------------------------------------------------------


def care_activity_get_for(*, membership: Membership, activity_id: int) -> Activity:
    """A testing day whose people the member may accompany to treatment; otherwise 404."""
    activity = activity_get_for(membership=membership, activity_id=activity_id)
    if not may_follow_to_care(membership, activity):
        raise Http404
    return activity


@dataclass
class LinkageLine:
    linkage: CareLinkage
    person: Any


def _linkage_scope(membership: Membership) -> QuerySet[CareLinkage]:
    _require(membership, RECORDERS)
    linkages = CareLinkage.objects.for_member(membership).select_related("activity", "activity__venue")
    if membership.role == Role.DOCUMENTER:
        linkages = linkages.filter(activity__recorded_by_id=membership.user_id, activity__kind=ActivityKind.TESTING_DAY)
    return linkages


def _read(membership: Membership, linkages: list[CareLinkage]) -> list[LinkageLine]:
    """Resolve the sealed person of each linkage among the people the member may see; write that
    each one was read (which linkage, never whose or what it says)."""
    from amparo.audit import services as audit
    from amparo.records.models import Person
    from amparo.records.selectors import person_scope

    people = person_scope(membership=membership).filter(pk__in={x.person_pk for x in linkages}).defer(*Person.SENSITIVE_FIELDS)
    by_pk = {p.pk: p for p in people}
    lines = [LinkageLine(linkage=x, person=by_pk[x.person_pk]) for x in linkages if x.person_pk in by_pk]
    for line in lines:
        audit.record(actor=membership.user, action="care_linkage.viewed", target=line.linkage,
                     fields=["person_ref", "dates", "health_service"])
    return lines


def care_linkages_for(*, membership: Membership, activity: Activity | None = None, open_only: bool = False) -> list[LinkageLine]:
    """The linkages the member follows: planners every one of the organisation, a documenter those of
    the testing days she recorded; open ones are those whose treatment start is not recorded yet."""
    linkages = _linkage_scope(membership)
    if activity is not None:
        linkages = linkages.filter(activity=activity)
    rows = [x for x in linkages if not (open_only and x.treatment_started_on is not None)]
    return _read(membership, rows)


def care_linkage_get_for(*, membership: Membership, linkage_id: int) -> LinkageLine:
    found = _read(membership, list(_linkage_scope(membership).filter(pk=linkage_id)))
    if not found:
        raise Http404
    return found[0]


@dataclass
class CareSummary:
    """Linkage to care as published numbers: small counts shown as "<n", the median only over enough people."""

    followed: str
    started: str
    median_days: str


def care_summary(*, membership: Membership, programme: Programme | None = None) -> CareSummary:
    """Aggregates over every linkage of the organisation (or of a programme): for planners and analysts."""
    import statistics

    _require(membership, PROGRESS_READERS)
    linkages = CareLinkage.objects.for_member(membership).only("organisation_id", "dates")
    if programme is not None:
        linkages = linkages.filter(activity__programme=programme)
    days = [d for d in (x.days_to_treatment for x in linkages) if d is not None]
    followed = linkages.count()
    # Followed = started + waiting: protected together, so no number is found by subtraction.
    protected = disclosure.protect(disclosure.one_way({"started": len(days), "waiting": followed - len(days)}, total=followed))
    enough = protected.value("started") is not None and len(days) >= disclosure.threshold_default()
    return CareSummary(
        followed=protected.display(disclosure.TOTAL), started=protected.display("started"),
        median_days=str(round(statistics.median(days))) if enough else "",
    )


# ---- indicators ---------------------------------------------------------------------------------

_FIELDS_OF = {
    Measure.PARTICIPANTS: PARTICIPANT_FIELDS,
    Measure.COMMUNITY_REACHED: ("participants_sex_workers", "participants_trans_women"),
    Measure.SEX_WORKERS_REACHED: ("participants_sex_workers",),
    Measure.TRANS_WOMEN_REACHED: ("participants_trans_women",),
    Measure.POLICE_TRAINED: ("participants_police",),
    Measure.HEALTH_STAFF_TRAINED: ("participants_health_staff",),
}


def _measure_expression(measure: str, *, only: Q | None = None) -> Any:
    if measure == Measure.ACTIVITIES:
        return Count("id", filter=only)
    fields = _FIELDS_OF.get(Measure(measure), (measure,))
    total: Any = F(fields[0])
    for name in fields[1:]:
        total = total + F(name)
    return Coalesce(Sum(total, filter=only), 0)


def _indicator_q(indicator: Indicator, *, until: date | None = None) -> Q:
    """Which of its programme's activities an indicator counts: in its period (up to `until`, for a
    report on a period that ends earlier), of its kind, at its site."""
    q = Q(held_on__gte=indicator.starts_on, held_on__lte=min(indicator.ends_on, until) if until else indicator.ends_on)
    if indicator.activity_kind:
        q &= Q(kind=indicator.activity_kind)
    if indicator.venue_id:
        q &= Q(venue_id=indicator.venue_id)
    return q


def indicator_activities(indicator: Indicator, *, until: date | None = None) -> QuerySet[Activity]:
    """The activities an indicator counts: its programme's, in its period, of its kind, at its site."""
    return Activity.objects.filter(_indicator_q(indicator, until=until), organisation_id=indicator.organisation_id, programme_id=indicator.programme_id)


def indicator_value(indicator: Indicator) -> int:
    return int(indicator_activities(indicator).aggregate(v=_measure_expression(indicator.measure))["v"] or 0)


def projection(*, value: int, starts_on: date, ends_on: date, today: date) -> int:
    """Where the indicator ends if the pace so far holds to the end of its period."""
    if today < starts_on:
        return value
    if today >= ends_on:
        return value
    elapsed = (today - starts_on).days + 1
    total = (ends_on - starts_on).days + 1
    return round(value * total / elapsed)


@dataclass
class SiteProgress:
    label: str
    value: int
    display: str


@dataclass
class Progress:
    indicator: Indicator
    value: int
    display: str
    projected: int
    percent: int | None
    projected_percent: int | None
    sites: list[SiteProgress] = field(default_factory=list)

    @property
    def on_track(self) -> bool:
        return self.projected >= self.indicator.target

    @property
    def met(self) -> bool:
        return self.value >= self.indicator.target


def _values_by_venue(programme: Programme, indicators: list[Indicator], *, until: date | None = None) -> dict[int, dict[int | None, int]]:
    """Every indicator's value at every site, in one grouped query over the programme's activities.

    One column per indicator (its measure summed over the activities it counts) and one
    count, so a site appears under an indicator only if the indicator counts an activity there.
    """
    result: dict[int, dict[int | None, int]] = {i.pk: {} for i in indicators}
    if not indicators:
        return result
    columns: dict[str, Any] = {}
    for i in indicators:
        only = _indicator_q(i, until=until)
        columns[f"v{i.pk}"] = _measure_expression(i.measure, only=only)
        columns[f"n{i.pk}"] = Count("id", filter=only)
    rows = (Activity.objects.filter(organisation_id=programme.organisation_id, programme_id=programme.pk,
                                    held_on__gte=min(i.starts_on for i in indicators), held_on__lte=max(i.ends_on for i in indicators))
            .values("venue_id").annotate(**columns).order_by())
    for row in rows:
        for i in indicators:
            if row[f"n{i.pk}"]:
                result[i.pk][row["venue_id"]] = int(row[f"v{i.pk}"] or 0)
    return result


def programme_progress(*, membership: Membership, programme: Programme, today: date | None = None,
                       until: date | None = None) -> list[Progress]:
    """Each indicator's value, per site and projected at the current pace; with `until`, as it
    stood at the end of that day (a report on an earlier period).

    Health results (reactive, confirmed, linked to care) pass small-cell suppression whoever
    looks: a small count at one venue could name a person's HIV status.
    """
    _require(membership, PROGRESS_READERS)
    if programme.organisation_id != membership.organisation_id:
        raise PermissionDenied
    today = today or timezone.localdate()
    if until is not None:
        today = min(today, until)
    venues = dict(Venue.objects.for_member(membership).values_list("pk", "code_name"))
    indicators = list(programme.indicators.select_related("venue"))
    per_indicator = _values_by_venue(programme, indicators, until=until)
    result = []
    for indicator in indicators:
        per_venue = per_indicator[indicator.pk]
        value = sum(per_venue.values())
        projected = projection(value=value, starts_on=indicator.starts_on, ends_on=indicator.ends_on, today=today)
        keys = {venue_id if venue_id is not None else STREET: count for venue_id, count in per_venue.items()}
        if indicator.measure in HEALTH_MEASURES:
            protected = disclosure.protect(disclosure.one_way(keys, total=value))
            display, shown = protected.display(disclosure.TOTAL), protected.value(disclosure.TOTAL) is not None
            site_display = {key: protected.display(key) for key in keys}
        else:
            display, shown = str(value), True
            site_display = {key: str(count) for key, count in keys.items()}
        sites = sorted(
            (SiteProgress(label=venues.get(key, "") if key != STREET else STREET, value=count, display=site_display[key])
             for key, count in keys.items()),
            key=lambda s: (-s.value, s.label),
        )
        result.append(Progress(
            indicator=indicator, value=value, display=display, projected=projected if shown else 0,
            percent=round(100 * value / indicator.target) if shown else None,
            projected_percent=round(100 * projected / indicator.target) if shown else None,
            sites=sites,
        ))
    return result


def programme_people_figures(*, membership: Membership, programme: Programme) -> list[tuple[str, str]]:
    """The programme's people-level work as published numbers: referrals made, linkage to care."""
    from django.utils.translation import gettext as _

    care = care_summary(membership=membership, programme=programme)
    figures = [
        (_("Referrals made from activities"), programme_referral_count(programme=programme)),
        (_("People accompanied to treatment (with consent)"), care.followed),
        (_("Of them, on treatment"), care.started),
    ]
    if care.median_days:
        figures.append((_("Median days from the reactive result to the start of treatment"), care.median_days))
    return figures


# ---- venue posters ------------------------------------------------------------------------------

POSTER_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def poster_token_well_formed(token: str) -> bool:
    return 8 <= len(token) <= 32 and set(token) <= POSTER_TOKEN_CHARS


def venue_for_poster_token(*, organisation_id: int, token: str) -> Venue | None:
    """The venue whose poster carried this token, for the anonymous form: only a venue of the
    form's own organisation and still in use; anything else is no venue at all, silently."""
    if not token or not poster_token_well_formed(token):
        return None
    return Venue.objects.filter(organisation_id=organisation_id, poster_token=token, is_active=True).first()


@dataclass
class PosterReports:
    by_venue: dict[int, str]
    total: str
    threshold: int


def poster_report_counts(*, membership: Membership) -> PosterReports:
    """Anonymous reports sent through each venue's posters, for planners, every number through
    small-cell suppression: a venue with one report could point at the person who sent it."""
    from amparo.intake.models import Report

    _require(membership, PLANNERS)
    counts = {pk: 0 for pk in Venue.objects.for_member(membership).values_list("pk", flat=True)}
    rows = (
        Report.objects.for_member(membership).filter(venue__isnull=False)
        .exclude(status__in=[Report.Status.SPAM, Report.Status.WITHDRAWN])
        .values("venue_id").annotate(n=Count("id")).order_by()
    )
    for row in rows:
        counts[row["venue_id"]] = row["n"]
    protected = disclosure.protect(disclosure.one_way(counts, total=sum(counts.values())))
    return PosterReports(by_venue={pk: protected.display(pk) for pk in counts}, total=protected.display(disclosure.TOTAL),
                         threshold=protected.threshold)
