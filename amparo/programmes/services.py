"""Writes of the programmes app: one audited transaction each, the acting member required."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Role
from amparo.audit import services as audit
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
                                 address=address, contact=contact, poster_token=new_poster_token())
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


@transaction.atomic
def activity_record(*, membership: Membership, acting_user: User, kind: str, held_on: date, district: District,
                    programme: Programme | None = None, venue: Venue | None = None,
                    facilitators: list[Membership] | tuple[Membership, ...] = (), institution_kind: str = "",
                    institution: str = "", scored_participants: int = 0, pre_score_average: Decimal | None = None,
                    post_score_average: Decimal | None = None, commitments: str = "", follow_up_on: date | None = None,
                    notes: str = "", **counts: int) -> Activity:
    """One activity, with its counts. Nothing is saved unless every count adds up."""
    _require(membership, RECORDERS)
    require_same_organisation(membership, programme, venue, *facilitators)
    unknown = set(counts) - set(COUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown counts: {sorted(unknown)}")
    _check_counts(counts)
    if follow_up_on is not None and follow_up_on < held_on:
        raise ValidationError({"follow_up_on": _("The follow-up date must not be before the activity.")})
    if (pre_score_average is not None or post_score_average is not None) and not scored_participants:
        raise ValidationError({"scored_participants": _("Say how many people took the pre and post test.")})
    activity = Activity.objects.create(
        organisation_id=membership.organisation_id, programme=programme, kind=kind, held_on=held_on, district=district, venue=venue,
        institution_kind=institution_kind, institution=institution, scored_participants=scored_participants,
        pre_score_average=pre_score_average, post_score_average=post_score_average, commitments=commitments,
        follow_up_on=follow_up_on, notes=notes, recorded_by=acting_user, **counts,
    )
    if facilitators:
        activity.facilitators.set(facilitators)
    audit.record(actor=acting_user, action="activity.recorded", target=activity, detail={"kind": kind})
    return activity


def programme_report_recorded(*, membership: Membership, acting_user: User, programme: Programme, fmt: str) -> None:
    """Every report leaves an audit row: who, which programme, which format (never values)."""
    _require(membership, PROGRESS_READERS)
    require_same_organisation(membership, programme)
    audit.record(actor=acting_user, action="programme.report_exported", target=programme, detail={"format": fmt})


# ---- venue posters ------------------------------------------------------------------------------

POSTER_TOKEN_BYTES = 12  # 16 URL-safe characters: short in the QR code, never guessed


def new_poster_token() -> str:
    return secrets.token_urlsafe(POSTER_TOKEN_BYTES)


@transaction.atomic
def venue_poster_token(*, venue: Venue, membership: Membership, acting_user: User) -> str:
    """The token printed in the venue's posters; a venue created before posters gets one now."""
    _require(membership, PLANNERS)
    require_same_organisation(membership, venue)
    if not venue.poster_token:
        venue = Venue.objects.select_for_update().get(pk=venue.pk)
        if not venue.poster_token:
            venue.poster_token = new_poster_token()
            venue.save(update_fields=["poster_token"])
            audit.record(actor=acting_user, action="venue.poster_issued", target=venue, fields=["poster_token"])
    return str(venue.poster_token)


@transaction.atomic
def venue_poster_renew(*, venue: Venue, membership: Membership, acting_user: User) -> Venue:
    """Posters taken down or lost: their code keeps opening the form, but reports sent through
    it no longer say this venue. New posters carry the new token."""
    _require(membership, PLANNERS)
    require_same_organisation(membership, venue)
    venue.poster_token = new_poster_token()
    venue.save(update_fields=["poster_token"])
    audit.record(actor=acting_user, action="venue.poster_renewed", target=venue, fields=["poster_token"])
    return venue
