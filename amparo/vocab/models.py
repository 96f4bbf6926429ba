from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.vault.plain import Plain


class Vocabulary(models.TextChoices):
    VIOLATION = "violation", _("Violation")
    PERPETRATOR = "perpetrator", _("Perpetrator")
    PLACE_TYPE = "place_type", _("Place type")
    SOURCE = "source", _("Source of information")


class RightGroup(models.TextChoices):
    """The right affected, as regional observatories group violations."""

    LIFE_INTEGRITY = "life_integrity", _("Life and personal integrity")
    LIBERTY = "liberty", _("Personal liberty and security")
    HEALTH = "health", _("Health")
    WORK = "work", _("Work and livelihood")
    JUSTICE = "justice", _("Access to justice")
    NON_DISCRIMINATION = "non_discrimination", _("Equality and non-discrimination")
    NONE = "", _("Not applicable")


class Term(models.Model):
    """One entry of a controlled vocabulary. Codes are stable and never reused.

    Labels may be reworded (each change is kept in TermRevision with its version); a
    change of meaning is a new code, and the old one is retired (`is_active=False`), so old
    records keep what they meant when they were written.
    """

    plain_text = {
        "code": (Plain.CODED, "vocabulary code"),
        "label_es": (Plain.PUBLIC, "shipped vocabulary"),
        "label_en": (Plain.PUBLIC, "shipped vocabulary"),
        "description_es": (Plain.PUBLIC, "shipped vocabulary"),
        "description_en": (Plain.PUBLIC, "shipped vocabulary"),
        "huridocs_ref": (Plain.CODED, "HURIDOCS reference"),
    }

    vocabulary = models.CharField(max_length=20, choices=Vocabulary.choices)
    code = models.CharField(max_length=48)
    label_es = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    description_es = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    # HURIDOCS Events Standard Formats micro-thesaurus reference, where one fits.
    huridocs_ref = models.CharField(max_length=80, blank=True)
    right_group = models.CharField(max_length=24, choices=RightGroup.choices, blank=True)
    is_state_agent = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vocabulary", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "code"], name="term_unique_code")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "es").startswith("en") else self.label_es


class TermRevision(models.Model):
    """What a term's labels were at a version, and who changed them."""

    plain_text = {
        "label_es": (Plain.PUBLIC, "shipped vocabulary"),
        "label_en": (Plain.PUBLIC, "shipped vocabulary"),
        "description_es": (Plain.PUBLIC, "shipped vocabulary"),
        "description_en": (Plain.PUBLIC, "shipped vocabulary"),
    }

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    label_es = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    description_es = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "version"], name="termrevision_unique_version")]
