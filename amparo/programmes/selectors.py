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
from django.utils import timezone

from amparo.accounts.models import Membership, Role
from amparo.insights.lib import disclosure
from amparo.programmes.models import (
    HEALTH_MEASURES,
    PARTICIPANT_FIELDS,
    Activity,
    Indicator,
    Measure,
    Programme,
    Venue,
)
from amparo.programmes.services import PLANNERS, PROGRESS_READERS, RECORDERS

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


def activity_list_for(*, membership: Membership) -> QuerySet[Activity]:
    _require(membership, RECORDERS)
    activities = Activity.objects.for_member(membership).select_related("venue", "district", "programme")
    if membership.role == Role.DOCUMENTER:
        activities = activities.filter(Q(recorded_by_id=membership.user_id) | Q(facilitators=membership)).distinct()
    return activities


def activity_get_for(*, membership: Membership, activity_id: int) -> Activity:
    found = activity_list_for(membership=membership).filter(pk=activity_id).first()
    if found is None:
        from django.http import Http404

        raise Http404
    return found


# ---- indicators ---------------------------------------------------------------------------------

_FIELDS_OF = {
    Measure.PARTICIPANTS: PARTICIPANT_FIELDS,
    Measure.COMMUNITY_REACHED: ("participants_sex_workers", "participants_trans_women"),
    Measure.POLICE_TRAINED: ("participants_police",),
    Measure.HEALTH_STAFF_TRAINED: ("participants_health_staff",),
}


def _measure_expression(measure: str) -> Any:
    if measure == Measure.ACTIVITIES:
        return Count("id")
    fields = _FIELDS_OF.get(Measure(measure), (measure,))
    total: Any = F(fields[0])
    for name in fields[1:]:
        total = total + F(name)
    return Coalesce(Sum(total), 0)


def indicator_activities(indicator: Indicator) -> QuerySet[Activity]:
    """The activities an indicator counts: its programme's, in its period, of its kind, at its site."""
    activities = Activity.objects.filter(
        organisation_id=indicator.organisation_id, programme_id=indicator.programme_id,
        held_on__gte=indicator.starts_on, held_on__lte=indicator.ends_on,
    )
    if indicator.activity_kind:
        activities = activities.filter(kind=indicator.activity_kind)
    if indicator.venue_id:
        activities = activities.filter(venue_id=indicator.venue_id)
    return activities


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


def programme_progress(*, membership: Membership, programme: Programme, today: date | None = None) -> list[Progress]:
    """Each indicator's value, per site and projected at the current pace.

    Health results (reactive, confirmed, linked to care) pass small-cell suppression whoever
    looks: a small count at one venue could name a person's HIV status.
    """
    _require(membership, PROGRESS_READERS)
    if programme.organisation_id != membership.organisation_id:
        raise PermissionDenied
    today = today or timezone.localdate()
    venues = dict(Venue.objects.for_member(membership).values_list("pk", "code_name"))
    result = []
    for indicator in programme.indicators.select_related("venue").all():
        expression = _measure_expression(indicator.measure)
        per_venue = {
            row["venue_id"]: int(row["v"] or 0)
            for row in indicator_activities(indicator).values("venue_id").annotate(v=expression).order_by()
        }
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
        Report.objects.filter(organisation_id=membership.organisation_id, venue__isnull=False)
        .exclude(status__in=[Report.Status.SPAM, Report.Status.WITHDRAWN])
        .values("venue_id").annotate(n=Count("id")).order_by()
    )
    for row in rows:
        counts[row["venue_id"]] = row["n"]
    protected = disclosure.protect(disclosure.one_way(counts, total=sum(counts.values())))
    return PosterReports(by_venue={pk: protected.display(pk) for pk in counts}, total=protected.display(disclosure.TOTAL),
                         threshold=protected.threshold)
