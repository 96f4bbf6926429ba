"""Writes of rapid response and community alerts: one audited transaction per action.

Side effects (sending anything) happen after commit, in huey tasks that take ids (see tasks.py).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, Organisation, Role, User
from amparo.alerts import conf
from amparo.alerts.lib import normalise, roster
from amparo.alerts.models import (
    Alarm,
    AlarmAcknowledgement,
    AlarmKind,
    AlarmNotification,
    AlarmSource,
    AlarmStatus,
    AlertKind,
    AlertSettings,
    AlertStatus,
    Channel,
    CommunityAlert,
    Delivery,
    DeliveryStatus,
    DetainedPerson,
    DetentionBasis,
    LegalBasis,
    NotificationStatus,
    OnCallShift,
    Severity,
    StaffDevice,
    Subscriber,
    SubscriberRegion,
    SubscriberStatus,
)
from amparo.audit import services as audit
from amparo.lib import inputs
from amparo.lib.scoping import require_same_organisation
from amparo.places.models import Department, District
from amparo.vault.crypto import blind_index

RAISE_ROLES = {Role.DOCUMENTER, Role.COORDINATOR, Role.ADMIN, Role.LAWYER}
RESPONDER_ROLES = {Role.LAWYER, Role.COORDINATOR, Role.ADMIN}
MANAGER_ROLES = {Role.COORDINATOR, Role.ADMIN}
ALERT_WRITE_ROLES = {Role.DOCUMENTER, Role.COORDINATOR, Role.ADMIN, Role.LAWYER}
MODERATOR_ROLES = MANAGER_ROLES

MAX_TEXT = 2000
MAX_PUBLIC_TEXT = 600

# What an alarm means in the incident vocabulary.
ALARM_VIOLATIONS = {
    AlarmKind.RAID: ["raid"],
    AlarmKind.DETENTION: ["arbitrary_detention"],
    AlarmKind.ATTACK: ["physical_assault"],
    AlarmKind.EXTORTION: ["extortion"],
    AlarmKind.OTHER: ["threat"],
}
ALARM_PERPETRATORS = {
    AlarmKind.RAID: ["pnp_officer"],
    AlarmKind.DETENTION: ["pnp_officer"],
    AlarmKind.ATTACK: ["unknown"],
    AlarmKind.EXTORTION: ["extortion_gang"],
    AlarmKind.OTHER: ["unknown"],
}


def _require(membership: Membership, roles: set[Role]) -> None:
    if membership.role not in roles:
        raise PermissionDenied


def _text(value: Any, field: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    try:
        text = "" if value is None else inputs.clean_text(str(value))
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    if len(text) > limit:
        raise ValidationError({field: _("Keep this under %(limit)d characters.") % {"limit": limit}})
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    return text


def _on_commit(fn: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: fn(*args, **kwargs))


# --- settings and roster -------------------------------------------------------------------


def alert_settings_for(organisation: Organisation) -> AlertSettings:
    found = AlertSettings.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return AlertSettings.objects.create(
                organisation=organisation,
                escalation_minutes=conf.escalation_minutes_default(),
                emergency_token=secrets.token_urlsafe(16),
            )
    except IntegrityError:  # created concurrently
        return AlertSettings.objects.get(organisation=organisation)


@transaction.atomic
def alert_settings_update(
    *,
    membership: Membership,
    escalation_minutes: int,
    webhook_url: str = "",
    webhook_secret: str | None = None,
    public_alerts: bool = True,
    new_emergency_token: bool = False,
) -> AlertSettings:
    _require(membership, MANAGER_ROLES)
    settings_ = alert_settings_for(membership.organisation)
    if not 1 <= int(escalation_minutes) <= 240:
        raise ValidationError({"escalation_minutes": _("Choose between 1 and 240 minutes.")})
    webhook_url = _text(webhook_url, "webhook_url", limit=500)
    if webhook_url and not webhook_url.startswith(("https://", "http://")):
        raise ValidationError({"webhook_url": _("Enter an http or https address.")})
    settings_.escalation_minutes = int(escalation_minutes)
    settings_.webhook_url = webhook_url
    changed = ["escalation_minutes", "webhook_url", "public_alerts"]
    if webhook_secret is not None and webhook_secret != "":
        settings_.webhook_secret = _text(webhook_secret, "webhook_secret", limit=200)
        changed.append("webhook_secret")
    if webhook_url and not settings_.webhook_secret:
        raise ValidationError({"webhook_secret": _("A gateway needs a secret to check our signatures.")})
    settings_.public_alerts = bool(public_alerts)
    if new_emergency_token:
        settings_.emergency_token = secrets.token_urlsafe(16)
        changed.append("emergency_token")
    settings_.save()
    audit.record(actor=membership.user, action="alerts.settings_updated", target=settings_, fields=changed)
    return settings_


@transaction.atomic
def shift_create(
    *, membership: Membership, on_call: Membership, weekdays: str, start: Any, end: Any, level: int = 0
) -> OnCallShift:
    _require(membership, MANAGER_ROLES)
    if on_call.organisation_id != membership.organisation_id or not on_call.is_active:
        raise ValidationError({"membership": _("Choose a member of your organisation.")})
    if on_call.role not in RESPONDER_ROLES:
        raise ValidationError({"membership": _("Only lawyers and coordinators can be on call.")})
    days = "".join(sorted({c for c in str(weekdays) if c in "0123456"}))
    if not days or len(days) != len(set(str(weekdays).replace(",", "").replace(" ", ""))):
        raise ValidationError({"weekdays": _("Choose at least one day.")})
    if start is None or end is None:
        raise ValidationError({"start": _("Give the start and end time.")})
    if not 0 <= int(level) <= 9:
        raise ValidationError({"level": _("The escalation order goes from 0 to 9.")})
    shift = OnCallShift.objects.create(
        organisation=membership.organisation, membership=on_call, weekdays=days, start=start, end=end, level=int(level)
    )
    audit.record(
        actor=membership.user, action="alerts.shift_created", target=shift,
        fields=["membership", "weekdays", "start", "end", "level"],
    )
    return shift


@transaction.atomic
def shift_delete(*, membership: Membership, shift: OnCallShift) -> None:
    _require(membership, MANAGER_ROLES)
    audit.record(actor=membership.user, action="alerts.shift_deleted", target=shift)
    shift.delete()


def staff_devices_release(membership: Membership, acting_user: User | None, dry_run: bool) -> int:
    """A member cut off or the organisation locked down: her browsers stop receiving alarms."""
    devices = StaffDevice.objects.filter(membership=membership)
    if dry_run:
        return devices.count()
    count = devices.count()
    if count:
        devices.delete()
        audit.record(actor=acting_user, action="alerts.devices_removed", organisation=membership.organisation, target=membership, detail={"count": count})
    return count


@transaction.atomic
def staff_device_register(*, membership: Membership, subscription: dict) -> StaffDevice:
    from amparo.alerts.channels.webpush import PushSubscription

    try:
        parsed = PushSubscription.from_json(subscription)
    except ValueError as exc:
        raise ValidationError({"subscription": _("This browser subscription is not valid.")}) from exc
    index = blind_index(parsed.endpoint, org_id=membership.organisation_id, kind="alerts.staff_device")
    device, _created = StaffDevice.objects.update_or_create(
        membership=membership,
        subscription_index=index,
        defaults={
            "organisation": membership.organisation,
            "subscription": json.dumps({"endpoint": parsed.endpoint, "keys": {"p256dh": parsed.p256dh, "auth": parsed.auth}}),
        },
    )
    audit.record(actor=membership.user, action="alerts.device_registered", target=device, fields=["subscription"])
    return device


# --- alarms --------------------------------------------------------------------------------


def _district(value: Any) -> District | None:
    if value in (None, ""):
        return None
    if isinstance(value, District):
        return value
    found = District.objects.filter(code=str(value)).select_related("department").first()
    if found is None:
        raise ValidationError({"district": _("Unknown district.")})
    return found


@transaction.atomic
def alarm_raise(
    *,
    organisation: Organisation,
    kind: str,
    source: str,
    acting_user: Any = None,
    membership: Membership | None = None,
    district: Any = None,
    place: str = "",
    police_station: str = "",
    description: str = "",
    contact: str = "",
    people_count: int = 1,
    incident: Any = None,
) -> Alarm:
    """Record an alarm and its incident, then notify the on-call roster after commit.

    `incident`: one already recorded for this emergency (a field phone's raid alarm), linked
    instead of creating a second one, so it is counted once.
    """
    if membership is not None:
        _require(membership, RAISE_ROLES)
        if membership.organisation_id != organisation.pk:
            raise PermissionDenied
    elif source != AlarmSource.PUBLIC_FORM:
        raise PermissionDenied
    if kind not in AlarmKind.values:
        raise ValidationError({"kind": _("Choose what is happening.")})
    try:
        people_count = int(people_count)
    except (TypeError, ValueError):
        raise ValidationError({"people_count": _("Enter a number.")}) from None
    if not 1 <= people_count <= 500:
        raise ValidationError({"people_count": _("Enter a number between 1 and 500.")})
    now = timezone.now()
    settings_ = alert_settings_for(organisation)
    alarm = Alarm(
        organisation=organisation,
        kind=kind,
        source=source,
        district=_district(district),
        place=_text(place, "place", limit=300),
        police_station=_text(police_station, "police_station", limit=200),
        description=_text(description, "description"),
        contact=_text(contact, "contact", limit=300),
        people_count=people_count,
        raised_by=acting_user if getattr(acting_user, "pk", None) else None,
        raised_at=now,
        next_escalation_at=now + timedelta(minutes=settings_.escalation_minutes),
    )
    alarm.save()
    if incident is not None:
        if incident.organisation_id != organisation.pk:
            raise PermissionDenied
        alarm.incident = incident
        alarm.save(update_fields=["incident"])
    elif alarm.raised_by is not None:
        # An incident needs the staff member who records it. A public alarm becomes an incident
        # when the first responder acknowledges it (see alarm_acknowledge).
        alarm.incident = _alarm_incident(alarm, acting_user=alarm.raised_by)
        alarm.save(update_fields=["incident"])
    audit.record(
        actor=alarm.raised_by, action="alarm.raised", target=alarm,
        fields=["kind", "district", "place", "police_station", "description", "contact", "people_count"],
        detail={"source": source},
    )
    from amparo.alerts import tasks

    _on_commit(tasks.alarm_dispatch, alarm.pk)
    return alarm


def _alarm_incident(alarm: Alarm, *, acting_user: Any) -> Any:
    from amparo.records.services import incident_create

    fields: dict[str, Any] = {
        "narrative": alarm.description,
        "people_affected": alarm.people_count,
        # Kept for the organisation's duty to respond to an emergency; the people held are asked
        # for their own consent when the team reaches them (the incident starts as "new").
        "consent_store": True,
    }
    if alarm.district_id:
        fields["district"] = alarm.district
    if alarm.kind in (AlarmKind.RAID, AlarmKind.DETENTION):
        fields["place_type"] = "police_station" if alarm.police_station else "street"
    return incident_create(
        organisation=alarm.organisation,
        acting_user=acting_user,
        occurred_on=timezone.localdate(alarm.raised_at),
        violation_codes=ALARM_VIOLATIONS[AlarmKind(alarm.kind)],
        perpetrator_codes=ALARM_PERPETRATORS[AlarmKind(alarm.kind)],
        origin="alarm",
        **fields,
    )


def alarm_levels(alarm: Alarm) -> list[list[int]]:
    """Membership ids on call when the alarm was raised, by escalation level. With nobody on the
    roster, every coordinator and admin is called: an alarm must never reach no one."""
    shifts = OnCallShift.objects.filter(
        organisation_id=alarm.organisation_id, membership__is_active=True, membership__role__in=RESPONDER_ROLES
    )
    levels = roster.on_duty([s.rule() for s in shifts], alarm.raised_at)
    if not levels:
        fallback = list(
            Membership.objects.filter(
                organisation_id=alarm.organisation_id, is_active=True, role__in=MANAGER_ROLES
            ).values_list("pk", flat=True)
        )
        levels = [sorted(fallback)] if fallback else []
    return levels


@transaction.atomic
def alarm_notifications_plan(*, alarm_id: int) -> list[int]:
    """Create the notification rows due at the alarm's current escalation step; return new pending ids.

    Safe to run twice: each (alarm, member, channel) exists once."""
    alarm = Alarm.objects.select_for_update().filter(pk=alarm_id).first()
    if alarm is None or alarm.status == AlarmStatus.CLOSED:
        return []
    recipients = roster.groups_to_notify(alarm_levels(alarm), step=alarm.escalation_step)
    members = Membership.objects.filter(pk__in=recipients).select_related("user")
    devices = set(StaffDevice.objects.filter(membership__in=recipients).values_list("membership_id", flat=True))
    gateway = bool(alert_settings_for(alarm.organisation).webhook_url)
    rows = []
    for member in members:
        channels = []
        if member.user.email:
            channels.append(Channel.EMAIL)
        if member.pk in devices:
            channels.append(Channel.WEBPUSH)
        if gateway:
            channels.append(Channel.WEBHOOK)
        for channel in channels:
            rows.append(
                AlarmNotification(
                    organisation_id=alarm.organisation_id, alarm=alarm, membership=member, channel=channel,
                    step=alarm.escalation_step,
                )
            )
    AlarmNotification.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        AlarmNotification.objects.filter(alarm=alarm, status=NotificationStatus.PENDING).values_list("pk", flat=True)
    )


def alarms_escalate(*, now: datetime | None = None) -> list[int]:
    """Move every unacknowledged alarm whose timeout passed to its next escalation step.

    The step is claimed with a conditional UPDATE, so two schedulers never escalate twice."""
    now = now or timezone.now()
    escalated = []
    due = Alarm.objects.filter(status=AlarmStatus.OPEN, next_escalation_at__lte=now).select_related("organisation")
    for alarm in due:
        if alarm.escalation_step >= len(alarm_levels(alarm)) - 1:
            # Everyone on the roster has been called: nobody is left to add. The alarm stays open
            # and visible; it stops waking the scheduler.
            Alarm.objects.filter(pk=alarm.pk, escalation_step=alarm.escalation_step).update(next_escalation_at=None)
            continue
        minutes = alert_settings_for(alarm.organisation).escalation_minutes
        step = roster.escalation_step(raised_at=alarm.raised_at, now=now, every_minutes=minutes)
        if step <= alarm.escalation_step:
            step = alarm.escalation_step + 1
        claimed = Alarm.objects.filter(
            pk=alarm.pk, status=AlarmStatus.OPEN, escalation_step=alarm.escalation_step
        ).update(
            escalation_step=step,
            next_escalation_at=roster.next_escalation_at(raised_at=alarm.raised_at, step=step, every_minutes=minutes),
        )
        if claimed:
            with transaction.atomic():
                audit.record(actor=None, action="alarm.escalated", target=alarm, detail={"step": step})
            escalated.append(alarm.pk)
    return escalated


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, membership: Membership) -> AlarmAcknowledgement:
    _require(membership, RESPONDER_ROLES)
    require_same_organisation(membership, alarm)
    alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if alarm.status == AlarmStatus.CLOSED:
        raise ValidationError(_("This alarm is closed."))
    ack, created = AlarmAcknowledgement.objects.get_or_create(
        alarm=alarm, membership=membership, defaults={"organisation_id": alarm.organisation_id}
    )
    if alarm.incident_id is None:
        alarm.incident = _alarm_incident(alarm, acting_user=membership.user)
        alarm.save(update_fields=["incident"])
    if alarm.status == AlarmStatus.OPEN:
        alarm.status = AlarmStatus.ACKNOWLEDGED
        alarm.acknowledged_at = ack.at
        alarm.next_escalation_at = None
        alarm.save(update_fields=["status", "acknowledged_at", "next_escalation_at"])
    if created:
        audit.record(actor=membership.user, action="alarm.acknowledged", target=alarm)
    return ack


@transaction.atomic
def alarm_close(*, alarm: Alarm, membership: Membership) -> Alarm:
    _require(membership, RESPONDER_ROLES)
    require_same_organisation(membership, alarm)
    alarm.status = AlarmStatus.CLOSED
    alarm.closed_at = timezone.now()
    alarm.next_escalation_at = None
    # How to reach the caller was needed only while responding; the incident keeps the rest.
    alarm.contact = ""
    alarm.save(update_fields=["status", "closed_at", "next_escalation_at", "contact"])
    audit.record(actor=membership.user, action="alarm.closed", target=alarm, fields=["contact"])
    return alarm


def _may_log_detention(membership: Membership, *, alarm: Alarm | None, incident: Any = None) -> bool:
    """Responders log detentions of any alarm; the documenter who raised an alarm, of hers; and
    whoever may write an incident she can see, of that incident."""
    if alarm is not None:
        if alarm.organisation_id != membership.organisation_id:
            return False
        if membership.role in RESPONDER_ROLES or (
            membership.role == Role.DOCUMENTER and alarm.raised_by_id == membership.user_id
        ):
            return True
        incident = incident or alarm.incident
    if incident is None or incident.organisation_id != membership.organisation_id:
        return False
    from amparo.records.selectors import WRITE_ROLES, incident_scope

    if membership.role in RESPONDER_ROLES:
        return True
    return membership.role in WRITE_ROLES and incident_scope(membership=membership).filter(pk=incident.pk).exists()


@transaction.atomic
def detained_add(
    *,
    membership: Membership,
    since: datetime,
    alarm: Alarm | None = None,
    incident: Any = None,
    person: Any = None,
    code_name: str = "",
    held_at: str = "",
    basis: str = DetentionBasis.UNKNOWN,
    distance_hours: int = 0,
    notes: str = "",
) -> DetainedPerson:
    """Log one detention with its legal limit (see lib/detention.py), from an alarm or from the
    incident; the record belongs to both when the alarm is the incident's."""
    if alarm is None and incident is None:
        raise ValidationError(_("A detention belongs to an alarm or an incident."))
    if alarm is not None and incident is None:
        incident = alarm.incident
    if alarm is not None and incident is not None and alarm.incident_id not in (None, incident.pk):
        raise ValidationError(_("This alarm belongs to another incident."))
    if not _may_log_detention(membership, alarm=alarm, incident=incident):
        raise PermissionDenied
    if person is not None:
        if person.organisation_id != membership.organisation_id:
            raise PermissionDenied
        code_name = code_name or person.code_name
    if basis not in DetentionBasis.values:
        raise ValidationError({"basis": _("Choose a legal basis.")})
    if since is None or since.tzinfo is None:
        raise ValidationError({"since": _("Give the date and time.")})
    if since > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"since": _("The time cannot be in the future.")})
    try:
        distance_hours = int(distance_hours)
    except (TypeError, ValueError):
        raise ValidationError({"distance_hours": _("Enter between 0 and 240 hours.")}) from None
    if not 0 <= distance_hours <= 240:
        raise ValidationError({"distance_hours": _("Enter between 0 and 240 hours.")})
    detained = DetainedPerson.objects.create(
        organisation_id=membership.organisation_id,
        alarm=alarm,
        incident=incident,
        person=person,
        code_name=_text(code_name, "code_name", limit=60, required=True),
        since=since,
        held_at=_text(held_at, "held_at", limit=300),
        basis=basis,
        distance_hours=distance_hours,
        notes=_text(notes, "notes"),
        created_by=membership.user,
    )
    audit.record(
        actor=membership.user, action="detention.logged", target=detained,
        fields=["code_name", "since", "held_at", "basis", "distance_hours", "notes"],
        detail={"alarm": alarm.pk if alarm else None, "incident": incident.pk if incident else None},
    )
    return detained


@transaction.atomic
def detained_release(*, detained: DetainedPerson, membership: Membership, released_at: datetime) -> DetainedPerson:
    if not _may_log_detention(membership, alarm=detained.alarm, incident=detained.incident):
        raise PermissionDenied
    if released_at is None or released_at.tzinfo is None:
        raise ValidationError({"released_at": _("Give the date and time.")})
    if released_at < detained.since:
        raise ValidationError({"released_at": _("The release cannot be before the detention.")})
    if released_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"released_at": _("The time cannot be in the future.")})
    detained.released_at = released_at
    detained.save(update_fields=["released_at"])
    audit.record(
        actor=membership.user, action="detention.released", target=detained, fields=["released_at"],
        detail={"standing": detained.reckoning().standing.value},
    )
    return detained


@dataclass
class RaidPerson:
    """One person of an incident as the incident form gives her: role, harms, and (if detained)
    since when and where she is held."""

    code_name: str
    role: str
    harms: list[str]
    detained_since: datetime | None = None
    held_at: str = ""


# Which alarm an incident that is happening now raises, from what it records.
def _alarm_kind_for(violation_codes: list[str], people: list[RaidPerson]) -> str:
    if "raid" in violation_codes:
        return AlarmKind.RAID
    if "arbitrary_detention" in violation_codes or any("detained" in p.harms for p in people):
        return AlarmKind.DETENTION
    if "extortion" in violation_codes:
        return AlarmKind.EXTORTION
    if {"physical_assault", "threat", "sexual_violence"} & set(violation_codes):
        return AlarmKind.ATTACK
    return AlarmKind.OTHER


@transaction.atomic
def incident_people_record(
    *,
    membership: Membership,
    incident: Any,
    people: list[RaidPerson],
    happening_now: bool = False,
) -> Alarm | None:
    """Record the people of an incident one by one (role and harms), a detention record for each
    detained person, and, when it is happening now, the rapid-response alarm linked to the
    incident (the on-call roster is called after commit). Part of the incident's transaction:
    if anything is refused, nothing of the incident is saved."""
    from amparo.records import services as records_services

    if incident.organisation_id != membership.organisation_id:
        raise PermissionDenied
    alarm = None
    if happening_now:
        _require(membership, RAISE_ROLES)
        violations = list(incident.violation_links.values_list("term__code", flat=True))
        alarm = alarm_raise(
            organisation=membership.organisation,
            kind=_alarm_kind_for(violations, people),
            source=AlarmSource.INCIDENT_FORM,
            acting_user=membership.user,
            membership=membership,
            district=incident.district,
            people_count=max(1, min(500, incident.people_affected or 1, )),
            incident=incident,
        )
    now = timezone.now()
    for row in people:
        person = records_services.person_create(
            organisation=membership.organisation, acting_user=membership.user, code_name=row.code_name
        )
        records_services.incident_add_person(
            incident=incident, person=person, acting_user=membership.user, role=row.role, harms=row.harms,
        )
        if "detained" in row.harms:
            detained_add(
                membership=membership, alarm=alarm, incident=incident, person=person,
                since=row.detained_since or now, held_at=row.held_at,
            )
    if alarm is not None:
        incident.refresh_from_db(fields=["people_affected"])
        alarm.people_count = max(1, min(500, incident.people_affected))
        alarm.save(update_fields=["people_count"])
    return alarm


# --- community alerts ----------------------------------------------------------------------


def _region(code: Any) -> Department:
    found = Department.objects.filter(code=str(code or "")).first()
    if found is None:
        raise ValidationError({"region": _("Choose a region.")})
    return found


def _expiry(value: datetime | None, *, now: datetime) -> datetime:
    limit = now + timedelta(days=conf.alert_max_days())
    if value is None:
        return now + timedelta(days=30)
    if value.tzinfo is None:
        raise ValidationError({"expires_at": _("Give a date and time.")})
    if value <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if value > limit:
        raise ValidationError(
            {"expires_at": _("Alerts may last at most %(days)d days.") % {"days": conf.alert_max_days()}}
        )
    return value


def _indexes(alert: CommunityAlert, *, phone: str, plate: str) -> None:
    org_id = alert.organisation_id
    alert.phone, alert.plate, alert.phone_index, alert.plate_index = "", "", "", ""
    if phone:
        try:
            canonical = normalise.phone(phone)
        except ValueError:
            raise ValidationError({"phone": _("This is not a phone number.")}) from None
        alert.phone, alert.phone_index = canonical, blind_index(canonical, org_id=org_id, kind="alerts.phone")
    if plate:
        try:
            canonical = normalise.plate(plate)
        except ValueError:
            raise ValidationError({"plate": _("This is not a vehicle plate.")}) from None
        alert.plate, alert.plate_index = canonical, blind_index(canonical, org_id=org_id, kind="alerts.plate")


@transaction.atomic
def alert_create(
    *,
    membership: Membership,
    kind: str,
    region: Any,
    report: str,
    severity: str = Severity.WARNING,
    perpetrator_description: str = "",
    vehicle: str = "",
    area: str = "",
    phone: str = "",
    plate: str = "",
    expires_at: datetime | None = None,
    source_incident: Any = None,
) -> CommunityAlert:
    """A proposed alert. It stays inside the organisation until a moderator publishes it."""
    _require(membership, ALERT_WRITE_ROLES)
    if kind not in AlertKind.values:
        raise ValidationError({"kind": _("Choose a kind of alert.")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Choose a severity.")})
    require_same_organisation(membership, source_incident)
    now = timezone.now()
    alert = CommunityAlert(
        organisation=membership.organisation,
        kind=kind,
        severity=severity,
        region=_region(region),
        report=_text(report, "report", required=True),
        perpetrator_description=_text(perpetrator_description, "perpetrator_description", limit=400),
        vehicle=_text(vehicle, "vehicle", limit=200),
        area=_text(area, "area", limit=200),
        expires_at=_expiry(expires_at, now=now),
        created_by=membership.user,
        source_incident=source_incident,
    )
    _indexes(alert, phone=_text(phone, "phone", limit=40), plate=_text(plate, "plate", limit=20))
    alert.save()
    audit.record(
        actor=membership.user, action="alert.created", target=alert,
        fields=["kind", "severity", "region", "report", "perpetrator_description", "vehicle", "area", "phone", "plate"],
    )
    return alert


@transaction.atomic
def alert_publish(
    *,
    alert: CommunityAlert,
    membership: Membership,
    title: str,
    public_text: str,
    legal_basis: str,
    legal_reason: str,
    perpetrator_description: str | None = None,
    vehicle: str | None = None,
    area: str | None = None,
    severity: str | None = None,
    expires_at: datetime | None = None,
) -> CommunityAlert:
    """A moderator approves the redacted public text; delivery starts after commit."""
    _require(membership, MODERATOR_ROLES)
    require_same_organisation(membership, alert)
    alert = CommunityAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AlertStatus.PENDING:
        raise ValidationError(_("Only an alert waiting for moderation can be published."))
    if legal_basis not in LegalBasis.values:
        raise ValidationError({"legal_basis": _("Say why this alert may be published.")})
    now = timezone.now()
    alert.title = _text(title, "title", limit=120, required=True)
    alert.public_text = _text(public_text, "public_text", limit=MAX_PUBLIC_TEXT, required=True)
    alert.legal_basis = legal_basis
    alert.legal_reason = _text(legal_reason, "legal_reason", limit=600, required=True)
    if perpetrator_description is not None:
        alert.perpetrator_description = _text(perpetrator_description, "perpetrator_description", limit=400)
    if vehicle is not None:
        alert.vehicle = _text(vehicle, "vehicle", limit=200)
    if area is not None:
        alert.area = _text(area, "area", limit=200)
    if severity is not None:
        if severity not in Severity.values:
            raise ValidationError({"severity": _("Choose a severity.")})
        alert.severity = severity
    if expires_at is not None:
        alert.expires_at = _expiry(expires_at, now=now)
    elif alert.expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    _check_redaction(alert)
    alert.status = AlertStatus.PUBLISHED
    alert.moderated_by = membership.user
    alert.published_at = now
    alert.save()
    audit.record(
        actor=membership.user, action="alert.published", target=alert,
        fields=["title", "public_text", "perpetrator_description", "vehicle", "area", "legal_basis", "legal_reason"],
        detail={"legal_basis": legal_basis},
    )
    from amparo.alerts import tasks

    _on_commit(tasks.alert_fanout, alert.pk, "published")
    return alert


def _check_redaction(alert: CommunityAlert) -> None:
    """Refuse public text that repeats the names of people in the source incident."""
    if alert.source_incident_id is None:
        return
    from amparo.records.models import IncidentPerson

    public = " ".join([alert.title, alert.public_text, alert.perpetrator_description, alert.vehicle, alert.area]).lower()
    names = IncidentPerson.objects.filter(incident_id=alert.source_incident_id).select_related("person")
    for link in names:
        for name in (link.person.code_name, getattr(link.person, "chosen_name", ""), getattr(link.person, "legal_name", "")):
            if name and len(name) >= 3 and name.lower() in public:
                raise ValidationError({"public_text": _("The public text names a person affected. Remove it.")})


@transaction.atomic
def alert_reject(*, alert: CommunityAlert, membership: Membership) -> CommunityAlert:
    _require(membership, MODERATOR_ROLES)
    require_same_organisation(membership, alert)
    if alert.status != AlertStatus.PENDING:
        raise ValidationError(_("Only an alert waiting for moderation can be rejected."))
    alert.status = AlertStatus.REJECTED
    _purge(alert)
    alert.moderated_by = membership.user
    alert.save()
    audit.record(actor=membership.user, action="alert.rejected", target=alert)
    return alert


@transaction.atomic
def alert_withdraw(*, alert: CommunityAlert, membership: Membership, reason: str) -> CommunityAlert:
    """Withdraw at once: the content is deleted now and everyone who got the alert is told."""
    _require(membership, MODERATOR_ROLES)
    require_same_organisation(membership, alert)
    alert = CommunityAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AlertStatus.PUBLISHED:
        raise ValidationError(_("Only a published alert can be withdrawn."))
    reason = _text(reason, "reason", limit=600, required=True)
    alert.status = AlertStatus.WITHDRAWN
    alert.withdrawn_at = timezone.now()
    alert.withdrawn_by = membership.user
    _purge(alert)
    alert.withdrawal_reason = reason
    alert.save()
    audit.record(actor=membership.user, action="alert.withdrawn", target=alert, fields=["withdrawal_reason"])
    from amparo.alerts import tasks

    _on_commit(tasks.alert_fanout, alert.pk, "withdrawn")
    return alert


def _purge(alert: CommunityAlert) -> None:
    for field in CommunityAlert.CONTENT_FIELDS:
        setattr(alert, field, "")
    alert.phone_index = ""
    alert.plate_index = ""
    alert.purged_at = timezone.now()


def deliveries_recover(*, now: datetime | None = None, after: timedelta = timedelta(hours=1)) -> int:
    """Mark deliveries left "sending" by a worker that died as failed. They are not sent again:
    we cannot know whether the message left, and a duplicate alert is worse than a missing one
    for someone who is counting how many warnings were sent."""
    now = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, created_at__lt=now - after).update(
        status=DeliveryStatus.FAILED, detail="interrupted"
    )


def alerts_expire(*, now: datetime | None = None) -> int:
    """Expire published alerts past their date and delete their content (kept no longer than needed)."""
    now = now or timezone.now()
    count = 0
    for alert_id in CommunityAlert.objects.filter(
        status__in=[AlertStatus.PUBLISHED, AlertStatus.PENDING], expires_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            alert = CommunityAlert.objects.select_for_update().get(pk=alert_id)
            if alert.status not in (AlertStatus.PUBLISHED, AlertStatus.PENDING) or alert.expires_at > now:
                continue
            alert.status = AlertStatus.EXPIRED
            _purge(alert)
            alert.save()
            audit.record(actor=None, action="alert.expired", target=alert)
            count += 1
    return count


# --- subscribers ---------------------------------------------------------------------------

_UNSUBSCRIBE_SALT = "amparo.alerts.unsubscribe"
_CONFIRM_SALT = "amparo.alerts.confirm"


def subscriber_token(subscriber: Subscriber, *, purpose: str = "unsubscribe") -> str:
    salt = _UNSUBSCRIBE_SALT if purpose == "unsubscribe" else _CONFIRM_SALT
    return signing.dumps([subscriber.pk, subscriber.token_salt], salt=salt, compress=True)


def _subscriber_from_token(token: str, *, purpose: str) -> Subscriber | None:
    salt = _UNSUBSCRIBE_SALT if purpose == "unsubscribe" else _CONFIRM_SALT
    try:
        pk, nonce = signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Subscriber.objects.filter(pk=pk, token_salt=nonce).first()


@dataclass(frozen=True)
class SubscribeOutcome:
    subscriber: Subscriber
    needs_confirmation: bool


def _canonical_address(channel: str, address: Any) -> tuple[str, str]:
    """(sealed value, value the blind index is made of) for one channel."""
    if channel == Channel.EMAIL:
        text = _text(address, "address", limit=254, required=True).lower()
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError({"address": _("Enter a valid email address.")}) from None
        return text, text
    if channel == Channel.SMS:
        try:
            digits = normalise.phone(_text(address, "address", limit=40, required=True))
        except ValueError:
            raise ValidationError({"address": _("Enter a valid phone number.")}) from None
        return digits, digits
    if channel == Channel.WEBPUSH:
        from amparo.alerts.channels.webpush import PushSubscription

        try:
            data = json.loads(address) if isinstance(address, str) else address
            parsed = PushSubscription.from_json(data)
        except (ValueError, TypeError):
            raise ValidationError({"address": _("This browser subscription is not valid.")}) from None
        sealed = json.dumps({"endpoint": parsed.endpoint, "keys": {"p256dh": parsed.p256dh, "auth": parsed.auth}})
        return sealed, parsed.endpoint
    raise ValidationError({"channel": _("Choose how to receive alerts.")})


@transaction.atomic
def subscriber_subscribe(
    *, organisation: Organisation, channel: str, address: Any, region_codes: list[str], language: str = "es"
) -> SubscribeOutcome:
    """Subscribe without an account. Email needs a click on a confirmation link first, so nobody
    can sign up someone else's address; push subscriptions come from the browser itself."""
    settings_ = alert_settings_for(organisation)
    if not settings_.public_alerts:
        raise PermissionDenied
    sealed, indexed = _canonical_address(channel, address)
    codes = sorted({str(c) for c in region_codes or [] if str(c)})
    regions = list(Department.objects.filter(code__in=codes))
    if not codes or len(regions) != len(codes):
        raise ValidationError({"regions": _("Choose at least one region.")})
    language = language if language in ("es", "en") else "es"
    index = blind_index(indexed, org_id=organisation.pk, kind=f"alerts.subscriber.{channel}")
    existing = Subscriber.objects.filter(organisation=organisation, channel=channel, address_index=index).first()
    created = existing is None
    if existing is not None:
        subscriber = existing
    else:
        subscriber = Subscriber.objects.create(
            organisation=organisation,
            channel=channel,
            address=sealed,
            address_index=index,
            language=language,
            token_salt=secrets.token_hex(8),
            status=SubscriberStatus.PENDING if channel == Channel.EMAIL else SubscriberStatus.ACTIVE,
            confirmed_at=None if channel == Channel.EMAIL else timezone.now(),
        )
    SubscriberRegion.objects.filter(subscriber=subscriber).exclude(region__in=regions).delete()
    SubscriberRegion.objects.bulk_create(
        [SubscriberRegion(organisation=organisation, subscriber=subscriber, region=r) for r in regions],
        ignore_conflicts=True,
    )
    audit.record(
        actor=None, action="alert_subscriber.subscribed" if created else "alert_subscriber.updated",
        target=subscriber, fields=["address", "regions"], detail={"channel": channel},
    )
    needs_confirmation = subscriber.status == SubscriberStatus.PENDING
    if needs_confirmation:
        from amparo.alerts import tasks

        _on_commit(tasks.subscriber_send_confirmation, subscriber.pk)
    return SubscribeOutcome(subscriber=subscriber, needs_confirmation=needs_confirmation)


@transaction.atomic
def subscriber_confirm(*, token: str) -> Subscriber | None:
    subscriber = _subscriber_from_token(token, purpose="confirm")
    if subscriber is None:
        return None
    if subscriber.status != SubscriberStatus.ACTIVE:
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at"])
        audit.record(actor=None, action="alert_subscriber.confirmed", target=subscriber)
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, token: str) -> bool:
    """One click: the subscriber and their address are deleted, nothing is kept but counts."""
    subscriber = _subscriber_from_token(token, purpose="unsubscribe")
    if subscriber is None:
        return False
    audit.record(actor=None, action="alert_subscriber.unsubscribed", target=subscriber)
    subscriber.delete()
    return True
