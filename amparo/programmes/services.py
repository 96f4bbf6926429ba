"""Writes of the programmes app: one audited transaction each, the acting member required."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Role
from amparo.audit import services as audit
from amparo.lib import inputs
from amparo.lib.errors import Conflict
from amparo.lib.scoping import require_same_organisation
from amparo.programmes.models import (
    COUNT_FIELDS,
    MILESTONE_ACTIVITY_KINDS,
    PERPETRATOR_OF_INSTITUTION,
    SCOPE_DIGITS,
    Activity,
    ActivityKind,
    CareLinkage,
    Indicator,
    MilestoneScope,
    Programme,
    Venue,
)
from amparo.response.models import ConsentMethod

if TYPE_CHECKING:
    from amparo.accounts.models import User
    from amparo.insights.models import Milestone
    from amparo.places.models import District
    from amparo.records.models import Person
    from amparo.response.models import Referral

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


def _save_changes(instance: Any, fields: dict[str, Any], *, acting_user: User, action: str) -> list[str]:
    """Set the fields that differ, save, and audit which ones changed (names only, never values)."""
    changed = sorted(name for name, value in fields.items() if getattr(instance, name) != value)
    for name in changed:
        setattr(instance, name, fields[name])
    if changed:
        instance.save()
        audit.record(actor=acting_user, action=action, target=instance, fields=changed)
    return changed


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
    _save_changes(venue, fields, acting_user=acting_user, action="venue.updated")
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
    follow_up_on, held_on = values.get("follow_up_on"), values["held_on"]
    # Whatever the way in (page, API, phone tally): an activity is recorded once it was held.
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("The date cannot be in the future.")})
    try:
        inputs.check_year(held_on)
    except ValidationError as exc:
        raise ValidationError({"held_on": exc.messages}) from exc
    _check_counts(values)
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


# What an agreement or an advocacy meeting may have won; a police training is always a training.
OUTCOME_KINDS = ("directive", "ordinance", "agreement", "other")


@transaction.atomic
def activity_mark_milestone(*, membership: Membership, acting_user: User, activity: Activity, title: str, is_public: bool = False,
                            kind: str = "", scope: str = MilestoneScope.DISTRICT) -> Milestone:
    """Make an activity a milestone in the statistics, so the pages say what happened after it.

    A police or serenazgo training concerns the incidents by that perpetrator around the
    activity's district; an agreement or an advocacy meeting with an outcome (a directive, an
    ordinance…) concerns every incident there, or the trained institution's if it was the police
    or the serenazgo. One milestone per activity. Nothing is saved unless everything is valid.
    """
    from amparo.insights.models import Milestone, MilestoneKind
    from amparo.insights.services import milestone_create

    _require(membership, PLANNERS)
    require_same_organisation(membership, activity)
    errors: dict[str, str] = {}
    if activity.kind not in MILESTONE_ACTIVITY_KINDS:
        raise ValidationError(_("Only police or serenazgo trainings, agreements and advocacy meetings can become milestones."))
    # The activity's row is locked so that two clicks make one milestone.
    Activity.objects.select_for_update().filter(pk=activity.pk).first()
    if Milestone.objects.filter(activity=activity).exists():
        raise ValidationError(_("This activity is already a milestone."))
    perpetrator = PERPETRATOR_OF_INSTITUTION.get(activity.institution_kind, "")  # type: ignore[call-overload]
    if activity.kind == ActivityKind.POLICE_TRAINING:
        if not perpetrator:
            raise ValidationError(_("Record which police or serenazgo unit was trained before marking the training as a milestone."))
        if kind and kind != MilestoneKind.TRAINING:
            errors["kind"] = _("A training is a milestone of the kind “training”.")
        kind = MilestoneKind.TRAINING
    else:
        kind = kind or (MilestoneKind.AGREEMENT if activity.kind == ActivityKind.AGREEMENT_SIGNED else MilestoneKind.OTHER)
        if kind not in OUTCOME_KINDS:
            errors["kind"] = _("Unknown choice.")
    if scope not in MilestoneScope.values:
        errors["scope"] = _("Unknown choice.")
    if errors:
        raise ValidationError(errors)
    milestone = milestone_create(
        organisation=membership.organisation, acting_user=acting_user, happened_on=activity.held_on, title=title, kind=kind,
        is_public=is_public, perpetrator=perpetrator, place=activity.district_id[: SCOPE_DIGITS[MilestoneScope(scope)]], activity=activity,
    )
    audit.record(actor=acting_user, action="activity.marked_milestone", target=activity, detail={"milestone": milestone.pk, "kind": kind, "scope": scope})
    return milestone


# ---- people met at an activity: referrals and linkage to care --------------------------------


def _person_for(*, membership: Membership, acting_user: User, person: Person | None, new_code_name: str) -> Person:
    """The person chosen among those the member may see, or a new one known only by a code name."""
    from amparo.records import selectors as records_selectors
    from amparo.records import services as records_services

    if new_code_name.strip():
        return records_services.person_create(organisation=membership.organisation, acting_user=acting_user, code_name=new_code_name)
    if person is None:
        raise ValidationError({"person": _("Choose the person, or give a new code name.")})
    if not records_selectors.person_scope(membership=membership).filter(pk=person.pk).exists():
        raise PermissionDenied
    return person


@transaction.atomic
def activity_referral_create(*, membership: Membership, acting_user: User, activity: Activity, person: Person | None = None,
                             new_code_name: str = "", **referral: Any) -> Referral:
    """A person met at an outreach session or testing day wants testing or legal aid: the normal
    referral (its consent rules, its sending, its reminders), remembering the activity it came from.
    The caller fetched `activity` through the member's scope."""
    from amparo.response import services as response_services

    _require(membership, RECORDERS)
    require_same_organisation(membership, activity)
    subject = _person_for(membership=membership, acting_user=acting_user, person=person, new_code_name=new_code_name)
    return response_services.referral_create(membership=membership, acting_user=acting_user, person=subject, activity=activity, **referral)


def may_follow_to_care(membership: Membership, activity: Activity) -> bool:
    """Planners, and the documenter who recorded the testing day, accompany its people to treatment."""
    if activity.kind != ActivityKind.TESTING_DAY or activity.organisation_id != membership.organisation_id:
        return False
    return membership.role in PLANNERS or (membership.role == Role.DOCUMENTER and activity.recorded_by_id == membership.user_id)


def _check_care_dates(*, activity: Activity, reactive_on: date, confirmed_on: date | None, treatment_started_on: date | None) -> None:
    today = timezone.localdate()
    errors = {}
    if reactive_on < activity.held_on:
        errors["reactive_on"] = _("The reactive result cannot be before the testing day.")
    for name, value in (("reactive_on", reactive_on), ("confirmed_on", confirmed_on), ("treatment_started_on", treatment_started_on)):
        if value is not None and value > today and name not in errors:
            errors[name] = _("This date cannot be in the future.")
    if confirmed_on is not None and confirmed_on < reactive_on and "confirmed_on" not in errors:
        errors["confirmed_on"] = _("The confirmation cannot be before the reactive result.")
    if treatment_started_on is not None and "treatment_started_on" not in errors:
        if confirmed_on is None:
            errors["treatment_started_on"] = _("Record the date of the confirmation first.")
        elif treatment_started_on < reactive_on:
            errors["treatment_started_on"] = _("Treatment cannot start before the reactive result.")
    if errors:
        raise ValidationError(errors)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def linkage_floors(activity: Activity) -> dict[str, int]:
    """The least each health tally of a testing day can be: the people accompanied from it."""
    linkages = list(CareLinkage.objects.filter(activity_id=activity.pk).only("organisation_id", "dates"))
    return {
        "tests_reactive": len(linkages),
        "tests_confirmed": sum(1 for x in linkages if x.confirmed_on is not None),
        "linked_to_care": sum(1 for x in linkages if x.treatment_started_on is not None),
    }


def _keep_counts_consistent(*, activity: Activity, acting_user: User) -> None:
    """Keep the activity's tallies at least as large as its linkages: the tally stays the one number
    indicators read, and the database's reactive ≥ confirmed ≥ linked checks keep holding."""
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    floors = linkage_floors(activity)
    raised = {name: floor for name, floor in floors.items() if getattr(locked, name) < floor}
    if raised.get("tests_reactive", locked.tests_reactive) > locked.tests_done:
        raised["tests_done"] = raised["tests_reactive"]
    if raised:
        Activity.objects.filter(pk=activity.pk).update(**raised)
        # Which tallies, never by how much: the change itself says nothing about a person.
        audit.record(actor=acting_user, action="activity.counts_raised", target=activity, fields=sorted(raised))


@transaction.atomic
def care_linkage_record(*, membership: Membership, acting_user: User, activity: Activity, consent_given: bool, consent_method: str,
                        reactive_on: date, person: Person | None = None, new_code_name: str = "", confirmed_on: date | None = None,
                        treatment_started_on: date | None = None, health_service: str = "") -> CareLinkage:
    """Start accompanying a person with a reactive result at a testing day to treatment.

    Only with her recorded consent (checked here and by the database); everything about her
    health is sealed, and the row keeps no plain reference to her.
    """
    _require(membership, RECORDERS)
    require_same_organisation(membership, activity)
    if not may_follow_to_care(membership, activity):
        raise PermissionDenied
    if not consent_given:
        raise ValidationError(
            {"consent_given": _("Without her consent she is not followed person by person: count her in the testing day's tallies.")},
            code="consent",
        )
    if consent_method not in ConsentMethod.values:
        raise ValidationError({"consent_method": _("Say how the person agreed.")})
    _check_care_dates(activity=activity, reactive_on=reactive_on, confirmed_on=confirmed_on, treatment_started_on=treatment_started_on)
    subject = _person_for(membership=membership, acting_user=acting_user, person=person, new_code_name=new_code_name)
    if any(x.person_pk == subject.pk for x in CareLinkage.objects.filter(activity_id=activity.pk).only("organisation_id", "person_ref")):
        raise ValidationError({"person": _("This person is already being accompanied from this testing day.")})
    linkage = CareLinkage.objects.create(
        organisation_id=membership.organisation_id, activity=activity, person_ref=str(subject.pk),
        dates={"reactive_on": _iso(reactive_on), "confirmed_on": _iso(confirmed_on), "treatment_started_on": _iso(treatment_started_on)},
        health_service=health_service, consent_given=True, consent_method=consent_method, consent_recorded_at=timezone.now(),
        consent_recorded_by=acting_user, recorded_by=acting_user,
    )
    # Field names only: which person, and her dates, stay out of the audit trail too.
    audit.record(actor=acting_user, action="care_linkage.recorded", target=linkage,
                 fields=["person_ref", "dates", "health_service", "consent_given"], detail={"consent": consent_method})
    _keep_counts_consistent(activity=activity, acting_user=acting_user)
    return linkage


def care_linkages_forget_person(*, person: Person, acting_user: User) -> int:
    """When a person's record is deleted, her linkages go with it: they are her health information.
    The testing days keep their tallies (numbers that never named her). Her id is sealed in each row,
    so the organisation's linkages are read in Python to find hers."""
    hers = [x.pk for x in CareLinkage.objects.filter(organisation_id=person.organisation_id).only("organisation_id", "person_ref")
            if x.person_pk == person.pk]
    for linkage in CareLinkage.objects.filter(pk__in=hers):
        audit.record(actor=acting_user, action="care_linkage.deleted", target=linkage, fields=["person_ref", "dates", "health_service"])
    CareLinkage.objects.filter(pk__in=hers).delete()
    return len(hers)


@transaction.atomic
def care_linkage_update(*, membership: Membership, acting_user: User, linkage: CareLinkage, confirmed_on: date | None,
                        treatment_started_on: date | None, health_service: str | None = None) -> CareLinkage:
    """Record the confirmation and the start of treatment (the caller fetched `linkage` through the member's scope)."""
    _require(membership, RECORDERS)
    require_same_organisation(membership, linkage)
    activity = linkage.activity
    if not may_follow_to_care(membership, activity):
        raise PermissionDenied
    reactive_on = linkage.reactive_on
    assert reactive_on is not None  # every linkage is recorded with it
    _check_care_dates(activity=activity, reactive_on=reactive_on, confirmed_on=confirmed_on, treatment_started_on=treatment_started_on)
    linkage.dates = {**linkage.dates, "confirmed_on": _iso(confirmed_on), "treatment_started_on": _iso(treatment_started_on)}
    changed = ["dates"]
    if health_service is not None:
        linkage.health_service = health_service
        changed.append("health_service")
    linkage.save(update_fields=changed)
    audit.record(actor=acting_user, action="care_linkage.updated", target=linkage, fields=changed)
    _keep_counts_consistent(activity=activity, acting_user=acting_user)
    return linkage


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
    # A tally cannot go below the people accompanied to treatment from this activity.
    below = {name: floor for name, floor in linkage_floors(activity).items() if values[name] < floor}
    if below:
        raise ValidationError({name: _("People are being accompanied to treatment from this activity: this count cannot be less "
                                       "than %(n)s.") % {"n": floor} for name, floor in below.items()})
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
    if activity.care_linkages.exists():  # type: ignore[attr-defined]
        raise Conflict("in_use", _("This activity cannot be deleted while people are being accompanied to treatment from it."))
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
    _save_changes(programme, fields, acting_user=acting_user, action="programme.updated")
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
    _save_changes(indicator, fields, acting_user=acting_user, action="indicator.updated")
    return indicator


@transaction.atomic
def indicator_delete(*, indicator: Indicator, membership: Membership, acting_user: User) -> None:
    _require(membership, PLANNERS)
    require_same_organisation(membership, indicator)
    audit.record(actor=acting_user, action="indicator.deleted", target=indicator, detail={"measure": indicator.measure})
    indicator.delete()


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
