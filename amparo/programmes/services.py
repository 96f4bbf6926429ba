"""Writes of the programmes app: one audited transaction each, the acting member required."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Role
from amparo.audit import services as audit
from amparo.lib.errors import Conflict
from amparo.lib.scoping import require_same_organisation
from amparo.programmes.models import COUNT_FIELDS, Activity, Indicator, Programme, Venue

if TYPE_CHECKING:
    from amparo.accounts.models import User
    from amparo.places.models import District

# Who plans programmes and keeps the venue list; who records activities.
PLANNERS = {Role.ADMIN, Role.COORDINATOR}
RECORDERS = {Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER}
# Who sees programme progress (aggregates): planners and analysts.
PROGRESS_READERS = {Role.ADMIN, Role.COORDINATOR, Role.ANALYST}


def _require(membership: Membership, roles: set[Role]) -> None:
    if membership.role not in roles:
        raise PermissionDenied


def _check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date must not be before the start date.")})


@transaction.atomic
def programme_create(*, membership: Membership, acting_user: User, kind: str, name: str, funder: str = "",
                     starts_on: date, ends_on: date) -> Programme:
    _require(membership, PLANNERS)
    _check_period(starts_on, ends_on)
    programme = Programme.objects.create(organisation_id=membership.organisation_id, kind=kind, name=name, funder=funder,
                                         starts_on=starts_on, ends_on=ends_on, created_by=acting_user)
    audit.record(actor=acting_user, action="programme.created", target=programme, fields=["name", "funder", "period"])
    return programme


@transaction.atomic
def indicator_create(*, membership: Membership, acting_user: User, programme: Programme, name: str, measure: str,
                     target: int, activity_kind: str = "", starts_on: date | None = None, ends_on: date | None = None,
                     venue: Venue | None = None) -> Indicator:
    _require(membership, PLANNERS)
    require_same_organisation(membership, programme, venue)
    starts_on = starts_on or programme.starts_on
    ends_on = ends_on or programme.ends_on
    _check_period(starts_on, ends_on)
    indicator = Indicator.objects.create(organisation_id=membership.organisation_id, programme=programme, name=name, measure=measure,
                                         target=target, activity_kind=activity_kind, starts_on=starts_on, ends_on=ends_on, venue=venue)
    audit.record(actor=acting_user, action="indicator.created", target=indicator, detail={"measure": measure, "target": target})
    return indicator


@transaction.atomic
def venue_create(*, membership: Membership, acting_user: User, code_name: str, kind: str, district: District,
                 address: str = "", contact: str = "") -> Venue:
    _require(membership, PLANNERS)
    if Venue.objects.for_member(membership).filter(code_name__iexact=code_name).exists():
        raise ValidationError({"code_name": _("Another venue already has this code name.")})
    venue = Venue.objects.create(organisation_id=membership.organisation_id, code_name=code_name, kind=kind, district=district,
                                 address=address, contact=contact)
    audit.record(actor=acting_user, action="venue.created", target=venue, fields=["code_name", "address", "contact"])
    return venue


@transaction.atomic
def venue_update(*, venue: Venue, membership: Membership, acting_user: User, **fields: Any) -> Venue:
    _require(membership, PLANNERS)
    require_same_organisation(membership, venue)
    code_name = fields.get("code_name", venue.code_name)
    if Venue.objects.for_member(membership).filter(code_name__iexact=code_name).exclude(pk=venue.pk).exists():
        raise ValidationError({"code_name": _("Another venue already has this code name.")})
    changed = [k for k, v in fields.items() if getattr(venue, k) != v]
    for key in changed:
        setattr(venue, key, fields[key])
    if changed:
        venue.save()
        audit.record(actor=acting_user, action="venue.updated", target=venue, fields=changed)
    return venue


def _check_counts(counts: dict[str, int]) -> None:
    errors = {}
    if counts.get("tests_reactive", 0) > counts.get("tests_done", 0):
        errors["tests_reactive"] = _("There cannot be more reactive results than tests done.")
    if counts.get("tests_confirmed", 0) > counts.get("tests_reactive", 0):
        errors["tests_confirmed"] = _("There cannot be more confirmed results than reactive ones.")
    if counts.get("linked_to_care", 0) > counts.get("tests_confirmed", 0):
        errors["linked_to_care"] = _("There cannot be more people linked to care than confirmed results.")
    if errors:
        raise ValidationError(errors)


# What an activity carries besides its counts; what activity_update may change.
ACTIVITY_FIELDS = (
    "kind", "held_on", "district", "programme", "venue", "institution_kind", "institution", "scored_participants",
    "pre_score_average", "post_score_average", "commitments", "follow_up_on", "notes",
)


def _check_activity(*, membership: Membership, values: dict[str, Any], facilitators: Any = ()) -> None:
    """The one validation of an activity, new or edited: same organisation, counts that add up, dates in order."""
    require_same_organisation(membership, values.get("programme"), values.get("venue"), *facilitators)
    _check_counts(values)
    follow_up_on, held_on = values.get("follow_up_on"), values["held_on"]
    if follow_up_on is not None and follow_up_on < held_on:
        raise ValidationError({"follow_up_on": _("The follow-up date must not be before the activity.")})
    scored = values.get("pre_score_average") is not None or values.get("post_score_average") is not None
    if scored and not values.get("scored_participants"):
        raise ValidationError({"scored_participants": _("Say how many people took the pre and post test.")})


@transaction.atomic
def activity_record(*, membership: Membership, acting_user: User, kind: str, held_on: date, district: District,
                    programme: Programme | None = None, venue: Venue | None = None,
                    facilitators: list[Membership] | tuple[Membership, ...] = (), institution_kind: str = "",
                    institution: str = "", scored_participants: int = 0, pre_score_average: Decimal | None = None,
                    post_score_average: Decimal | None = None, commitments: str = "", follow_up_on: date | None = None,
                    notes: str = "", **counts: int) -> Activity:
    """One activity, with its counts. Nothing is saved unless every count adds up."""
    _require(membership, RECORDERS)
    unknown = set(counts) - set(COUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown counts: {sorted(unknown)}")
    values: dict[str, Any] = {
        "kind": kind, "held_on": held_on, "district": district, "programme": programme, "venue": venue,
        "institution_kind": institution_kind, "institution": institution, "scored_participants": scored_participants,
        "pre_score_average": pre_score_average, "post_score_average": post_score_average, "commitments": commitments,
        "follow_up_on": follow_up_on, "notes": notes, **counts,
    }
    _check_activity(membership=membership, values=values, facilitators=facilitators)
    activity = Activity.objects.create(organisation_id=membership.organisation_id, recorded_by=acting_user, **values)
    if facilitators:
        activity.facilitators.set(facilitators)
    audit.record(actor=acting_user, action="activity.recorded", target=activity, detail={"kind": kind})
    return activity


def require_own_activity(membership: Membership, activity: Activity) -> None:
    """PermissionDenied unless the member may change or delete the activity.

    Planners change any activity of their organisation; documenters only the ones they recorded."""
    _require(membership, RECORDERS)
    require_same_organisation(membership, activity)
    if membership.role not in PLANNERS and activity.recorded_by_id != membership.user_id:
        raise PermissionDenied


@transaction.atomic
def activity_update(*, activity: Activity, membership: Membership, acting_user: User,
                    facilitators: list[Membership] | tuple[Membership, ...] | None = None, **fields: Any) -> Activity:
    """Change some fields of an activity; the whole activity is checked as when it was recorded."""
    require_own_activity(membership, activity)
    unknown = set(fields) - set(ACTIVITY_FIELDS) - set(COUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    values = {name: getattr(activity, name) for name in (*ACTIVITY_FIELDS, *COUNT_FIELDS)}
    values.update(fields)
    _check_activity(membership=membership, values=values, facilitators=facilitators or ())
    changed = [name for name, value in fields.items() if getattr(activity, name) != value]
    for name in changed:
        setattr(activity, name, fields[name])
    if changed:
        activity.save()
    if facilitators is not None and {m.pk for m in facilitators} != set(activity.facilitators.values_list("pk", flat=True)):
        activity.facilitators.set(facilitators)
        changed.append("facilitators")
    if changed:
        audit.record(actor=acting_user, action="activity.updated", target=activity, fields=sorted(changed))
    return activity


@transaction.atomic
def activity_delete(*, activity: Activity, membership: Membership, acting_user: User) -> None:
    require_own_activity(membership, activity)
    audit.record(actor=acting_user, action="activity.deleted", target=activity, detail={"kind": activity.kind})
    activity.delete()


@transaction.atomic
def programme_update(*, programme: Programme, membership: Membership, acting_user: User, **fields: Any) -> Programme:
    _require(membership, PLANNERS)
    require_same_organisation(membership, programme)
    unknown = set(fields) - {"kind", "name", "funder", "starts_on", "ends_on"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    _check_period(fields.get("starts_on", programme.starts_on), fields.get("ends_on", programme.ends_on))
    changed = [name for name, value in fields.items() if getattr(programme, name) != value]
    for name in changed:
        setattr(programme, name, fields[name])
    if changed:
        programme.save()
        audit.record(actor=acting_user, action="programme.updated", target=programme, fields=sorted(changed))
    return programme


@transaction.atomic
def programme_delete(*, programme: Programme, membership: Membership, acting_user: User) -> None:
    """Delete a programme and its indicators; refused while activities stand under it.

    Activities are the record of work done (and already reported to funders): deleting a
    programme must not take them along silently, nor leave them unattached without anyone
    deciding it. They are deleted or moved to another programme first, one by one, on purpose.
    """
    _require(membership, PLANNERS)
    require_same_organisation(membership, programme)
    if programme.activities.exists():
        raise Conflict("in_use", _("This programme cannot be deleted while activities are recorded under it: "
                                   "delete them or move them to another programme first."))
    audit.record(actor=acting_user, action="programme.deleted", target=programme, detail={"indicators": programme.indicators.count()})
    programme.delete()


@transaction.atomic
def indicator_update(*, indicator: Indicator, membership: Membership, acting_user: User, **fields: Any) -> Indicator:
    _require(membership, PLANNERS)
    require_same_organisation(membership, indicator, fields.get("venue"))
    unknown = set(fields) - {"name", "measure", "activity_kind", "target", "starts_on", "ends_on", "venue"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    # Blank dates mean the programme's, as when the indicator was created.
    if "starts_on" in fields and fields["starts_on"] is None:
        fields["starts_on"] = indicator.programme.starts_on
    if "ends_on" in fields and fields["ends_on"] is None:
        fields["ends_on"] = indicator.programme.ends_on
    _check_period(fields.get("starts_on", indicator.starts_on), fields.get("ends_on", indicator.ends_on))
    changed = [name for name, value in fields.items() if getattr(indicator, name) != value]
    for name in changed:
        setattr(indicator, name, fields[name])
    if changed:
        indicator.save()
        audit.record(actor=acting_user, action="indicator.updated", target=indicator, fields=sorted(changed))
    return indicator


@transaction.atomic
def indicator_delete(*, indicator: Indicator, membership: Membership, acting_user: User) -> None:
    _require(membership, PLANNERS)
    require_same_organisation(membership, indicator)
    audit.record(actor=acting_user, action="indicator.deleted", target=indicator, detail={"measure": indicator.measure})
    indicator.delete()


def programme_report_recorded(*, membership: Membership, acting_user: User, programme: Programme, fmt: str) -> None:
    """Every report leaves an audit row: who, which programme, which format (never values)."""
    _require(membership, PROGRESS_READERS)
    require_same_organisation(membership, programme)
    audit.record(actor=acting_user, action="programme.report_exported", target=programme, detail={"format": fmt})
