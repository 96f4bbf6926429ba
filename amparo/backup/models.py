from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.vault.plain import Plain


class BackupRun(models.Model):
    """One attempt at an encrypted backup: what admins are shown when backups stop working."""

    plain_text = {
        "file_name": (Plain.CODED, "name Amparo gives the backup file (a timestamp)"),
        "sha256": (Plain.DIGEST, "SHA-256 of the encrypted backup file"),
        "error": (Plain.SYSTEM, "exception type and tool message when a backup fails, never data"),
    }

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Done")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("By hand")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # What went wrong, for the operator (never data: exception types and tool messages).
    error = models.TextField(blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"
