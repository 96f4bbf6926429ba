from __future__ import annotations

from django.db import models

from amparo.vault.plain import Plain


class Department(models.Model):
    """One of Peru's 25 departments (Callao included), keyed by its 2-digit INEI code."""

    plain_text = {
        "code": (Plain.PUBLIC, "INEI ubigeo"),
        "name": (Plain.PUBLIC, "INEI ubigeo"),
        "iso_3166_2": (Plain.PUBLIC, "ISO 3166-2"),
    }

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=80)
    iso_3166_2 = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Province(models.Model):
    plain_text = {
        "code": (Plain.PUBLIC, "INEI ubigeo"),
        "name": (Plain.PUBLIC, "INEI ubigeo"),
    }

    code = models.CharField(max_length=4, primary_key=True)
    name = models.CharField(max_length=80)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="provinces")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A district by its 6-digit INEI ubigeo (DDPPdd). Codes are text: leading zeros matter."""

    plain_text = {
        "code": (Plain.PUBLIC, "INEI ubigeo"),
        "name": (Plain.PUBLIC, "INEI ubigeo"),
        "search_name": (Plain.PUBLIC, "folded name for search"),
    }

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=80)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="districts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="districts")
    # Lower case, no accents, for name search ("ñ" kept as "n").
    search_name = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.province.name}, {self.department.name})"

    @property
    def label(self) -> str:
        return f"{self.name} — {self.province.name}, {self.department.name}"
