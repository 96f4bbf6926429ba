from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedTextField
from amparo.vault.plain import Plain


class EvidenceFile(models.Model):
    """A file kept as evidence: encrypted, outside any public URL, fingerprinted at upload.

    `sha256_original` is the fingerprint of the bytes exactly as received (before metadata
    was stripped), so the person who sent it can prove it is theirs; `sha256_stored` is the
    fingerprint of what Amparo keeps (after stripping), checked on every read to detect
    tampering with the stored file.
    """

    plain_text = {
        "source": (Plain.CODED, "where the file came from: report, odk, case"),
        "source_ref": (Plain.CODED, "reference, instance id or key made by Amparo or Collect"),
        "content_type": (Plain.CODED, "type recognised by the sanitizer"),
        "sha256_original": (Plain.DIGEST, "fingerprint of the file as received"),
        "sha256_stored": (Plain.DIGEST, "fingerprint of the file as kept"),
        "storage_name": (Plain.SYSTEM, "random name of the encrypted blob"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="evidence")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey("records.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence")
    # Where it came from when not uploaded onto an incident: "report", "odk", "case"…
    source = models.CharField(max_length=20, blank=True)
    source_ref = models.CharField(max_length=64, blank=True)
    original_name = EncryptedTextField(_("file name"))
    description = EncryptedTextField(_("description"))
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256_original = models.CharField(max_length=64)
    sha256_stored = models.CharField(max_length=64)
    metadata_stripped = models.BooleanField(default=False)
    storage_name = models.CharField(max_length=200, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["organisation", "source", "source_ref"], name="evidence_org_source")]

    def __str__(self) -> str:
        return f"{self.uid}"


class CustodyAction(models.TextChoices):
    STORED = "stored", _("Stored")
    VIEWED = "viewed", _("Viewed")
    DOWNLOADED = "downloaded", _("Downloaded")
    EXPORTED = "exported", _("Exported in a bundle")
    VERIFIED = "verified", _("Integrity checked")
    TAMPER_DETECTED = "tamper_detected", _("Tampering detected")
    DELETED = "deleted", _("Deleted")


class CustodyEvent(models.Model):
    """Append-only chain-of-custody log of one evidence file (mirrored in the audit trail)."""

    plain_text = {
        "actor_label": (Plain.ACCOUNT, "the acting staff member's sign-in name, kept if the account goes"),
        "sha256": (Plain.DIGEST, "fingerprint of the file"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(max_length=20, choices=CustodyAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    purpose = EncryptedTextField()
    sha256 = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["at", "pk"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("the custody log is append-only")
        super().save(*args, **kwargs)
