"""Rapid response (alarms, on-call roster, detention log) and community alerts with their deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.alerts.lib import detention
from amparo.alerts.lib.roster import ShiftRule
from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedTextField
from amparo.vault.plain import Plain


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBPUSH = "webpush", _("Web push")
    # Text messages go out through the organisation's own SMS/WhatsApp gateway, as a signed webhook.
    SMS = "sms", _("SMS / WhatsApp (gateway)")
    WEBHOOK = "webhook", _("Webhook")


class AlertSettings(models.Model):
    """Per-organisation settings of rapid response and alerts."""

    plain_text = {
        "emergency_token": (Plain.DIGEST, "random token in the emergency URL"),
        "webhook_url": (Plain.SYSTEM, "the organisation's own endpoint, needed in clear to call it"),
    }

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="alert_settings")
    escalation_minutes = models.PositiveSmallIntegerField(_("minutes before escalating"), default=10)
    # The gateway that turns our signed webhooks into SMS/WhatsApp messages; blank = none.
    webhook_url = models.URLField(_("gateway webhook URL"), blank=True, max_length=500)
    webhook_secret = EncryptedTextField(_("gateway webhook secret"))
    # The public emergency form is reached at /emergencia/<token>/ (printed as a QR code).
    # A random token rather than the slug, so the form cannot be found by guessing names.
    emergency_token = models.CharField(max_length=32, unique=True)
    public_alerts = models.BooleanField(_("publish community alerts"), default=True)

    objects = OrganisationManager()

    def __str__(self) -> str:
        return f"alert settings of {self.organisation_id}"


class OnCallShift(models.Model):
    """A weekly rule putting one lawyer or coordinator on call (Lima time)."""

    plain_text = {
        "weekdays": (Plain.CODED, "digits 0-6"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="on_call_shifts")
    # Weekday numbers, Monday = 0, as a compact string ("01234") to keep the table portable.
    weekdays = models.CharField(_("days"), max_length=7)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    level = models.PositiveSmallIntegerField(_("escalation order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["level", "start", "pk"]

    def rule(self) -> ShiftRule:
        return ShiftRule(
            person_id=self.membership_id,
            weekdays=frozenset(int(d) for d in self.weekdays),
            start=self.start,
            end=self.end,
            level=self.level,
        )

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays]


class AlarmKind(models.TextChoices):
    RAID = "raid", _("Police or municipal raid")
    DETENTION = "detention", _("Detention")
    ATTACK = "attack", _("Attack or threat")
    EXTORTION = "extortion", _("Extortion")
    OTHER = "other", _("Other emergency")


class AlarmSource(models.TextChoices):
    BUTTON = "button", _("Alarm button")
    API = "api", _("API")
    PUBLIC_FORM = "public_form", _("Public emergency form")
    FIELD_FORM = "field_form", _("Field phone (ODK)")
    INCIDENT_FORM = "incident", _("Incident form (“Is it happening now?”)")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a response")
    ACKNOWLEDGED = "acknowledged", _("Someone is responding")
    CLOSED = "closed", _("Closed")


class Alarm(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("what is happening"), max_length=12, choices=AlarmKind.choices)
    source = models.CharField(max_length=12, choices=AlarmSource.choices)
    status = models.CharField(max_length=12, choices=AlarmStatus.choices, default=AlarmStatus.OPEN)
    district = models.ForeignKey(
        "places.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where exactly, which police station, what is happening, and how to reach the person who
    # called: all of it can point at people, so it is sealed.
    place = EncryptedTextField(_("place"))
    police_station = EncryptedTextField(_("police station (comisaría), if known"))
    description = EncryptedTextField(_("what is happening"))
    contact = EncryptedTextField(_("how to reach you safely"))
    people_count = models.PositiveSmallIntegerField(_("how many people"), default=1)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey("records.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    SENSITIVE_FIELDS = ("place", "police_station", "description", "contact")

    objects = OrganisationManager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-raised_at"], name="alarm_org_raised"),
            models.Index(fields=["status", "next_escalation_at"], name="alarm_escalation_due"),
        ]

    def __str__(self) -> str:
        return f"alarm {self.pk}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("No address for this channel")


class AlarmNotification(models.Model):
    """One message about one alarm to one on-call member on one channel."""

    plain_text = {
        "detail": (Plain.SYSTEM, "delivery outcome written by the channel code (status, error class), never an address"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notifications")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    step = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["step", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["alarm", "membership", "channel"], name="alarm_notification_once")
        ]


class AlarmAcknowledgement(models.Model):
    """Who said "I am on it" and when. The first one stops the escalation."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="acknowledgements")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = OrganisationManager()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["alarm", "membership"], name="alarm_ack_once")]


class DetentionBasis(models.TextChoices):
    UNKNOWN = detention.Basis.UNKNOWN.value, _("Not known yet (counted as an identity check)")
    IDENTITY_CHECK_NATIONAL = detention.Basis.IDENTITY_CHECK_NATIONAL.value, _("Identity check, Peruvian (4 h)")
    IDENTITY_CHECK_FOREIGN = detention.Basis.IDENTITY_CHECK_FOREIGN.value, _("Identity check, foreigner (12 h)")
    FLAGRANT = detention.Basis.FLAGRANT.value, _("Flagrant offence (48 h)")
    SPECIAL_REGIME = detention.Basis.SPECIAL_REGIME.value, _("Terrorism, drugs or organised crime (15 days)")


class DetainedPerson(models.Model):
    """The log of one person held: where, since when, the legal limit, release.

    One record per detention, whether it was logged from an alarm or from the incident (a raid
    recorded person by person): an alarm raised for an incident shows the incident's detainees,
    and the incident shows the ones logged on its alarm.
    """

    plain_text = {
        "code_name": (Plain.PSEUDONYM, "the code name used instead of a name"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    alarm = models.ForeignKey(Alarm, null=True, blank=True, on_delete=models.CASCADE, related_name="detained")
    incident = models.ForeignKey(
        "records.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="detentions"
    )
    # A code name, as in records; identity stays in records.Person if it is ever linked.
    code_name = models.CharField(_("code name"), max_length=60)
    person = models.ForeignKey("records.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    held_at = EncryptedTextField(_("where the person is held"))
    notes = EncryptedTextField(_("notes"))
    basis = models.CharField(_("legal basis given"), max_length=24, choices=DetentionBasis.choices, default=DetentionBasis.UNKNOWN)
    since = models.DateTimeField(_("held since"))
    distance_hours = models.PositiveSmallIntegerField(_("extra hours for distance (término de la distancia)"), default=0)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    SENSITIVE_FIELDS = ("held_at", "notes")

    objects = OrganisationManager()

    class Meta:
        ordering = ["since", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(alarm__isnull=False) | models.Q(incident__isnull=False),
                name="detained_has_alarm_or_incident",
            )
        ]

    def reckoning(self, now=None) -> detention.Reckoning:
        return detention.reckon(
            basis=detention.Basis(self.basis),
            since=self.since,
            now=now or timezone.now(),
            released_at=self.released_at,
            distance_hours=self.distance_hours,
        )


class AlertKind(models.TextChoices):
    BAD_DATE = "bad_date", _("Dangerous client (mala cita)")
    EXTORTION = "extortion", _("Extortion")
    POLICE = "police", _("Police or municipal operation")
    SAFETY = "safety", _("Safety notice")


class Severity(models.TextChoices):
    INFO = "info", _("For information")
    WARNING = "warning", _("Warning")
    DANGER = "danger", _("Danger")


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class LegalBasis(models.TextChoices):
    # Ley 29733 (Protección de Datos Personales) lets personal data be processed without consent
    # to protect life and health; the moderator records which reason applies and why.
    VITAL_INTEREST = "vital_interest", _("To protect the life or safety of people at risk")
    CONSENT = "consent", _("The person concerned consented")
    PUBLIC_SOURCE = "public_source", _("Already public (media, official notice)")


class CommunityAlert(models.Model):
    """A warning for the community. Nothing of it leaves the organisation until a moderator approves
    a redacted public text; on expiry its content is deleted; a withdrawal goes out on every channel."""

    plain_text = {
        "phone_index": (Plain.DIGEST, "HMAC blind index of the sealed phone"),
        "plate_index": (Plain.DIGEST, "HMAC blind index of the sealed plate"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.PENDING)
    region = models.ForeignKey("places.Department", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    source_incident = models.ForeignKey("records.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    # What the reporter wrote: internal, never published as such.
    report = EncryptedTextField(_("what was reported"))
    # What the moderator approved for publication (redacted: no victim detail).
    title = EncryptedTextField(_("public title"))
    public_text = EncryptedTextField(_("public text"))
    perpetrator_description = EncryptedTextField(_("description of the aggressor"))
    vehicle = EncryptedTextField(_("vehicle"))
    area = EncryptedTextField(_("area"))
    # Phone number and plate are kept only as blind indexes (for the lookup) and sealed values
    # (for the moderator), never in the public text unless the moderator writes them there.
    phone = EncryptedTextField(_("phone number"))
    plate = EncryptedTextField(_("vehicle plate"))
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    plate_index = models.CharField(max_length=64, blank=True, db_index=True)

    legal_basis = models.CharField(_("legal basis for publishing"), max_length=16, choices=LegalBasis.choices, blank=True)
    legal_reason = EncryptedTextField(_("why publishing is necessary"))
    expires_at = models.DateTimeField(_("expires at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawal_reason = EncryptedTextField(_("reason for withdrawal"))
    purged_at = models.DateTimeField(null=True, blank=True)

    CONTENT_FIELDS = (
        "report", "title", "public_text", "perpetrator_description", "vehicle", "area", "phone", "plate", "legal_reason",
        "withdrawal_reason",
    )

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "region"], name="alert_org_status_region"),
            models.Index(fields=["status", "expires_at"], name="alert_status_expiry"),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status == AlertStatus.PUBLISHED and self.expires_at > timezone.now()


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    ACTIVE = "active", _("Active")


class Subscriber(models.Model):
    """A community member who gets alerts without an account. Unsubscribing deletes the row."""

    plain_text = {
        "address_index": (Plain.DIGEST, "HMAC blind index of the sealed address"),
        "language": (Plain.CODED, "language code"),
        "token_salt": (Plain.DIGEST, "random salt of the subscriber's links"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # Email address, phone number or the browser's push subscription (JSON), sealed.
    address = EncryptedTextField()
    # Finds the same address again (no duplicates) without decrypting anyone's.
    address_index = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    language = models.CharField(max_length=5, default="es")
    # Changing it invalidates every unsubscribe/confirm link given out so far.
    token_salt = models.CharField(max_length=16, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "channel", "address_index"], name="subscriber_once")
        ]


class SubscriberRegion(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="regions")
    region = models.ForeignKey("places.Department", on_delete=models.PROTECT, related_name="+")

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "region"], name="subscriber_region_once")]
        indexes = [models.Index(fields=["organisation", "region"], name="subscriber_region_lookup")]


class StaffDevice(models.Model):
    """A browser where an on-call member accepted Web Push for alarms."""

    plain_text = {
        "subscription_index": (Plain.DIGEST, "HMAC blind index of the sealed subscription"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="push_devices")
    subscription = EncryptedTextField()
    subscription_index = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "subscription_index"], name="staff_device_once")
        ]


class DeliveryEvent(models.TextChoices):
    PUBLISHED = "published", _("Alert")
    WITHDRAWN = "withdrawn", _("Withdrawal")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One alert (or its withdrawal) to one subscriber. Never holds the address."""

    plain_text = {
        "claim": (Plain.SYSTEM, "random token of the worker that claimed the delivery"),
        "detail": (Plain.SYSTEM, "delivery outcome written by the channel code (status, error class), never an address"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(CommunityAlert, on_delete=models.CASCADE, related_name="deliveries")
    # Unsubscribing deletes the subscriber; the delivery record stays for the counts.
    subscriber = models.ForeignKey(Subscriber, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    event = models.CharField(max_length=10, choices=DeliveryEvent.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    # The token of the job that claimed this row for sending (see delivery.deliveries_send).
    claim = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "subscriber", "event"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["alert", "event", "status"], name="delivery_alert_status")]


def parse_weekdays(value: str) -> str:
    days = sorted({int(c) for c in value if c.isdigit() and int(c) <= 6})
    if not days:
        raise ValueError("no weekday")
    return "".join(str(d) for d in days)

