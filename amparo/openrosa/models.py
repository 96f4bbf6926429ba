"""OpenRosa server: collector phones, published form versions, the form-encryption key,
and every submission kept whole."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedJSONField, EncryptedTextField
from amparo.vault.plain import Plain


class Collector(models.Model):
    """One phone's account. The password exists only in the set-up QR shown once; Amparo
    keeps HA1 per Digest algorithm, sealed (HA1 is password-equivalent for the realm)."""

    plain_text = {
        "label": (Plain.PSEUDONYM, "names the phone, not a person (the form says so: 'Phone 3')"),
        "username": (Plain.ACCOUNT, "the phone's generated sign-in name"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="odk_collectors")
    label = models.CharField(_("label"), max_length=60, help_text=_("Something that names the phone, not a person, e.g. 'Phone 3'."))
    username = models.CharField(max_length=40, unique=True)
    # Records made from this phone are created by, and visible to, this member.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible member"), on_delete=models.PROTECT, related_name="+")
    ha1 = EncryptedJSONField()  # {"MD5": hex, "SHA-256": hex}
    # Whether Collect may save an unfinished form as a draft (drafts are not encrypted on the phone).
    allow_drafts = models.BooleanField(_("allow saving unfinished interviews as drafts"), default=True)
    credentials_issued_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["revoked_at", "label"]
        indexes = [models.Index(fields=["organisation", "revoked_at"], name="collector_org_active")]

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DigestNonceCount(models.Model):
    """The highest nonce count accepted per nonce: replayed requests are refused."""

    plain_text = {
        "nonce": (Plain.DIGEST, "HMAC nonce"),
    }

    nonce = models.CharField(max_length=64, unique=True)
    last_nc = models.PositiveBigIntegerField()
    expires_at = models.DateTimeField(db_index=True)


class FormKey(models.Model):
    """The organisation's RSA key for ODK encrypted forms. The private half is sealed with the
    organisation's data key; older keys are kept to open submissions from older forms."""

    plain_text = {
        "public_key": (Plain.PUBLIC, "public key served to phones in every blank form"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="odk_keys")
    public_key = models.TextField()  # base64 DER SubjectPublicKeyInfo, as put in the XForm
    private_key = EncryptedTextField()  # PKCS#8 PEM
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at"]


class Route(models.TextChoices):
    INCIDENT = "incident", _("Directly as an incident")
    TRIAGE = "triage", _("Into the triage queue")
    FOLLOW_UP = "follow_up", _("Onto the existing incident it names")
    ACTIVITY = "activity", _("As a programme activity")


class FormSetting(models.Model):
    """Per organisation and form: is it offered, must it be encrypted, where do answers go."""

    plain_text = {
        "form_id": (Plain.CODED, "one of the shipped forms"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="odk_form_settings")
    form_id = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)
    encrypted = models.BooleanField(default=True)
    route = models.CharField(max_length=12, choices=Route.choices)

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "form_id"], name="odk_form_setting_unique")]


class FormVersion(models.Model):
    """An XForm as served to this organisation's phones: its bytes never change, so the
    MD5 in the form list and the version a phone reports always mean the same document."""

    plain_text = {
        "form_id": (Plain.CODED, "one of the shipped forms"),
        "version": (Plain.CODED, "made by Amparo"),
        "schema_version": (Plain.CODED, "made by Amparo"),
        "title": (Plain.PUBLIC, "title of a blank form"),
        "xml": (Plain.PUBLIC, "the blank form served to phones"),
        "md5": (Plain.DIGEST, "hash of the form"),
        "media": (Plain.CODED, "media file names and hashes"),
        "binary_fields": (Plain.CODED, "names of the form's file questions"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="odk_form_versions")
    form_id = models.CharField(max_length=40)
    version = models.CharField(max_length=40)
    schema_version = models.CharField(max_length=20)
    title = models.CharField(max_length=120)
    xml = models.TextField()
    md5 = models.CharField(max_length=32)
    media = models.JSONField(default=dict)  # filename -> md5; contents in FormMedia
    binary_fields = models.JSONField(default=list)
    key = models.ForeignKey(FormKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "form_id", "version"], name="odk_form_version_unique")]
        indexes = [models.Index(fields=["organisation", "is_current"], name="odk_form_current")]

    @property
    def encrypted(self) -> bool:
        return self.key_id is not None


class FormMedia(models.Model):
    plain_text = {
        "filename": (Plain.PUBLIC, "media file of a blank form (place lists)"),
        "md5": (Plain.DIGEST, "hash of the media file"),
    }

    form_version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="media_files")
    filename = models.CharField(max_length=100)
    content = models.BinaryField()
    md5 = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form_version", "filename"], name="odk_form_media_unique")]


class SubmissionStatus(models.TextChoices):
    PARTIAL = "partial", _("Waiting for more attachments")
    MAPPED = "mapped", _("Recorded")
    FLAGGED = "flagged", _("Kept, needs attention")
    DECLINED = "declined", _("No consent to store: content discarded")
    HANDLED = "handled", _("Handled by hand")


class Submission(models.Model):
    """One filled form, kept whole (sealed) whatever happens to its mapping."""

    plain_text = {
        "form_id": (Plain.CODED, "one of the shipped forms"),
        "form_version": (Plain.CODED, "made by Amparo"),
        "schema_version": (Plain.CODED, "made by Amparo"),
        "instance_id": (Plain.CODED, "random uuid made by Collect"),
        "triage_ref": (Plain.CODED, "reference made by Amparo"),
        "flags": (Plain.CODED, "flag codes"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="odk_submissions")
    collector = models.ForeignKey(Collector, on_delete=models.PROTECT, related_name="submissions")
    form_id = models.CharField(max_length=40)
    form_version = models.CharField(max_length=40, blank=True)
    schema_version = models.CharField(max_length=20, blank=True)
    instance_id = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=SubmissionStatus.choices)
    flags = models.JSONField(default=list)  # codes; explained in the UI (see FLAG_TEXT)
    detail = EncryptedTextField()  # what went wrong, in words (may quote answers: sealed)
    encrypted = models.BooleanField(default=False)
    signature_valid = models.BooleanField(null=True)
    xml = EncryptedTextField()  # the answers, decrypted when the form was encrypted
    manifest = EncryptedTextField()
    incident = models.ForeignKey("records.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set for activity tallies: the programme activity the answers became.
    activity = models.ForeignKey("programmes.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set when the answers went to the anonymous-reporting triage queue (amparo.intake).
    triage_ref = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "instance_id"], name="odk_submission_unique_instance")]
        indexes = [models.Index(fields=["organisation", "status"], name="odk_submission_org_status")]

    def __str__(self) -> str:
        return f"{self.form_id} {self.instance_id}"


class SubmissionAttachment(models.Model):
    plain_text = {
        "content_type": (Plain.CODED, "type recognised by the sanitizer"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    # The file name the phone gave (sealed: a client may put anything in it). One row per name
    # and submission: the receiving service checks it while it holds the submission's row lock,
    # since the database cannot compare sealed names.
    name = EncryptedTextField()
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # Stored as evidence (fingerprinted, metadata stripped, encrypted) once the submission is
    # complete and readable; until then, or if evidence refuses it, the raw bytes are sealed here.
    evidence = models.ForeignKey("evidence.EvidenceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sealed = models.BinaryField(default=b"")

    objects = OrganisationManager()
