from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.plain import Plain


class OrganisationKey(models.Model):
    """A per-organisation key, stored only wrapped (AES-256-GCM) by a master key.

    `data` keys encrypt fields and files; new writes use the newest data key, and older
    ones stay to read what they wrote. The single `index` key makes blind indexes, so the
    same phone number keeps the same index across data-key rotations.
    """

    plain_text = {
        "master_key_id": (Plain.SYSTEM, "which master key wraps this key"),
    }

    class Purpose(models.TextChoices):
        DATA = "data", _("Data")
        INDEX = "index", _("Blind index")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="keys")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    version = models.PositiveIntegerField()
    master_key_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    # Set (and the wrapped key erased) once a data-key rotation has moved everything off it.
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "purpose", "version"], name="orgkey_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.purpose}:v{self.version}"
