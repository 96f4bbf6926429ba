"""Anonymous reports sent through an organisation's public form, and what follows them.

Narrative, contact and messages are sealed with the organisation's key on receipt. Nothing
here records who sent a report: no address, no user agent, no cookie, no account.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedJSONField, EncryptedTextField
from amparo.vault.plain import Plain


class Report(models.Model):
    plain_text = {
        "receipt_index": (Plain.DIGEST, "HMAC blind index of the receipt code"),
        "passphrase_hash": (Plain.DIGEST, "Argon2 hash"),
        "language": (Plain.CODED, "language code"),
        "department_code": (Plain.CODED, "INEI code"),
        "violation_codes": (Plain.CODED, "vocabulary codes"),
        "perpetrator_codes": (Plain.CODED, "vocabulary codes"),
    }

    class Status(models.TextChoices):
        NEW = "new", _("Waiting")
        ACCEPTED = "accepted", _("Accepted")
        MERGED = "merged", _("Merged into an incident")
        SPAM = "spam", _("Spam")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Reporter(models.TextChoices):
        VICTIM = "victim", _("It happened to me")
        WITNESS = "witness", _("I saw it or I am helping someone")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        WEB_NOJS = "web_nojs", _("Web form without JavaScript")
        API = "api", _("Partner app (API)")

    class Precision(models.TextChoices):
        DAY = "day", _("On this day")
        MONTH = "month", _("Sometime that month")
        YEAR = "year", _("Sometime that year")
        UNKNOWN = "unknown", _("I do not remember")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="reports")
    # Keyed hash (blind index) of the receipt code; the code itself is never stored.
    receipt_index = models.CharField(max_length=64, unique=True)
    passphrase_hash = models.CharField(max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    language = models.CharField(max_length=8, default="es")

    occurred_on = models.DateField(_("when"), null=True, blank=True)
    date_precision = models.CharField(max_length=8, choices=Precision.choices, default=Precision.DAY)
    location_withheld = models.BooleanField(default=False)
    department_code = models.CharField(max_length=2, blank=True)
    district = models.ForeignKey("places.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    violation_codes = models.JSONField(default=list, blank=True)
    perpetrator_codes = models.JSONField(default=list, blank=True)
    reporter = models.CharField(max_length=8, choices=Reporter.choices)
    narrative = EncryptedTextField(_("what happened"))
    contact = EncryptedTextField(_("safe way to contact"))

    consent_store = models.BooleanField(default=False)
    consent_share_stats = models.BooleanField(default=False)
    consent_help = models.BooleanField(default=False)
    consent_legal_action = models.BooleanField(default=False)

    # The venue whose poster's QR code the form was opened from (a coded link, never an address).
    venue = models.ForeignKey("programmes.Venue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    received_at = models.DateTimeField(default=timezone.now)
    reporter_activity_at = models.DateTimeField(default=timezone.now)
    # Wrong passphrases in a row, and until when further tries are refused.
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    incident = models.ForeignKey(
        "records.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="intake_reports"
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["organisation", "status", "received_at"], name="intake_report_queue")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"R-{self.pk:05d}" if self.pk else "R-?"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.NEW


class ReportMessage(models.Model):
    """A reply from the organisation, or more information from the reporter."""

    class Author(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation")
        REPORTER = "reporter", _("Reporter")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=12, choices=Author.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationManager()

    class Meta:
        ordering = ["created_at", "pk"]


class ReportFile(models.Model):
    """Links a report to an evidence file (stored encrypted, metadata stripped, by amparo.evidence)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    evidence = models.ForeignKey("evidence.EvidenceFile", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationManager()

    class Meta:
        ordering = ["created_at", "pk"]


class SpentToken(models.Model):
    """Proof-of-work challenges and form nonces already used, kept until they would expire anyway."""

    plain_text = {
        "digest": (Plain.DIGEST, "hash of a spent proof of work"),
    }

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)


class RecentReceipt(models.Model):
    """A receipt kept sealed for a few minutes so a double-tapped form shows it again (see abuse.py).

    The key derives from the form's nonce, which the database does not hold: `digest` is a hash of it.
    """

    plain_text = {
        "digest": (Plain.DIGEST, "hash of a form token"),
    }

    digest = models.CharField(max_length=64, unique=True)
    sealed = models.BinaryField()
    expires_at = models.DateTimeField(db_index=True)


class RateCounter(models.Model):
    """A fixed-window counter under an opaque keyed hash (see lib/ratelimit.py)."""

    plain_text = {
        "key": (Plain.SYSTEM, "organisation, kind and time window of a rate limit"),
    }

    key = models.CharField(max_length=40, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)


class FormSettings(models.Model):
    """An organisation's choices for its public form and posters."""

    plain_text = {
        "poster_message": (Plain.PUBLIC, "printed on the organisation's public posters"),
    }

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="intake_settings")
    is_open = models.BooleanField(_("accept reports"), default=True)
    poster_message = models.CharField(
        _("poster message"),
        max_length=160,
        blank=True,
        help_text=_("A short message printed on the poster above the QR code."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationManager()

class TriageUndo(models.Model):
    """What a spam or merge decision would destroy, kept sealed so it can be undone for a while.

    Spam: the report's own content stays where it is (sealed with the organisation's key, files
    encrypted) instead of being deleted at once. Merge: the text and codes the merge added to the
    incident and the files it handed over, so undoing takes back exactly those. After
    `expires_at` the purge job deletes the spam content, or forgets the merge snapshot.
    """

    class Action(models.TextChoices):
        SPAM = "spam", _("Marked as spam")
        MERGE = "merge", _("Merged into an incident")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="undos")
    action = models.CharField(max_length=8, choices=Action.choices)
    incident = models.ForeignKey("records.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # JSON of what a merge added (text blocks, violation and perpetrator codes, evidence ids).
    snapshot: Any = EncryptedJSONField(_("what can be undone"))
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def is_open(self) -> bool:
        return self.undone_at is None and self.purged_at is None and self.expires_at > timezone.now()
