"""Statistics: what each organisation agreed to share, its milestones, and precomputed aggregates.

Public and network pages never read incidents: they read `PublishedSummary`, one protected
JSON document per scope, rebuilt from the aggregate tables after writes. Their cost does not
grow with the number of records.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedTextField
from amparo.vault.plain import Plain


class SharingLevel(models.TextChoices):
    NONE = "none", _("Nothing: our data stays with us")
    AGGREGATES = "aggregates", _("Protected aggregates only")
    RECORDS = "records", _("Aggregates and de-identified records")


class SharingAgreement(models.Model):
    """What one organisation agreed to share with the network, and whether it has a public page."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="sharing")
    level = models.CharField(_("sharing with the network"), max_length=12, choices=SharingLevel.choices, default=SharingLevel.NONE)
    public_page = models.BooleanField(_("publish a public statistics page"), default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationManager()


class MilestoneKind(models.TextChoices):
    DIRECTIVE = "directive", _("Police or government directive")
    TRAINING = "training", _("Training of officers")
    AUTHORITY = "authority", _("New local authority")
    CAMPAIGN = "campaign", _("Campaign")
    AGREEMENT = "agreement", _("Agreement signed")
    ORDINANCE = "ordinance", _("Ordinance or local regulation")
    OTHER = "other", _("Other")


class Milestone(models.Model):
    """An event the organisation wants to see on its trend charts (and compare before/after)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="milestones")
    happened_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=MilestoneKind.choices, default=MilestoneKind.OTHER)
    title = EncryptedTextField(_("title"))
    # What the milestone is about, for its before/after sentence ("" = every incident): e.g. a
    # directive on arbitrary detention by the police names both.
    violation = models.CharField(_("violation it concerns"), max_length=48, blank=True)
    perpetrator = models.CharField(_("perpetrator it concerns"), max_length=48, blank=True)
    # Where it applies ("" = everywhere): an INEI ubigeo of 2, 4 or 6 digits, i.e. a department,
    # a province or a district; the before/after then counts only incidents there.
    place = models.CharField(_("place it concerns"), max_length=6, blank=True, default="")
    # The programme activity it came from (a training, an agreement), when it did. The milestone
    # is evidence of its own: it outlives the activity's record.
    activity = models.ForeignKey(
        "programmes.Activity", verbose_name=_("activity"), null=True, blank=True, on_delete=models.SET_NULL, related_name="milestones",
    )
    is_public = models.BooleanField(_("show on the public page"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    plain_text = {
        "violation": (Plain.CODED, "vocabulary term code"),
        "perpetrator": (Plain.CODED, "vocabulary term code"),
        "place": (Plain.CODED, "INEI ubigeo prefix"),
    }

    objects = OrganisationManager()

    class Meta:
        ordering = ["happened_on", "pk"]
        indexes = [models.Index(fields=["organisation", "happened_on"], name="milestone_org_date")]

    def __str__(self) -> str:
        return self.title


class AggregateCell(models.Model):
    """Incidents, people affected and incidents involving state agents per organisation × month ×
    province. Its size is bounded by months × provinces, whatever the number of incidents.

    `shareable` is the consent to share in statistics: rows with False only feed the count of
    records left out.
    """

    plain_text = {
        "department_code": (Plain.CODED, "INEI code"),
        "province_code": (Plain.CODED, "INEI code"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    department_code = models.CharField(max_length=2, blank=True)
    province_code = models.CharField(max_length=4, blank=True)
    shareable = models.BooleanField(default=True)
    incidents = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    state_agent = models.PositiveIntegerField(default=0)
    # Sums of the incidents' record keys (and of those involving state agents), for the cell key
    # method (lib/cellkey.py): sums add up, so aggregated views get the same key as live counts.
    record_keys = models.BigIntegerField(default=0)
    state_keys = models.BigIntegerField(default=0)

    objects = OrganisationManager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "month"], name="aggcell_org_month")]


class AggregateTerm(models.Model):
    """Incidents per organisation × month × department × vocabulary term (violation, perpetrator,
    right group, place type). Violations and perpetrators are multi-valued: one incident counts
    once under each of its terms."""

    plain_text = {
        "vocabulary": (Plain.CODED, "vocabulary name"),
        "code": (Plain.CODED, "vocabulary term code"),
        "department_code": (Plain.CODED, "INEI code"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    department_code = models.CharField(max_length=2, blank=True)
    vocabulary = models.CharField(max_length=20)
    code = models.CharField(max_length=48)
    incidents = models.PositiveIntegerField(default=0)
    record_keys = models.BigIntegerField(default=0)

    objects = OrganisationManager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "vocabulary"], name="aggterm_org_vocab")]


class PublishedSummary(models.Model):
    """The protected statistics of one scope ("org:<id>" or "network"), ready to render."""

    plain_text = {
        "scope": (Plain.CODED, "which public summary"),
        "payload": (Plain.PUBLIC, "published statistics, after small-cell suppression"),
    }

    scope = models.CharField(max_length=40, unique=True)
    built_at = models.DateTimeField()
    payload = models.JSONField()


class RefreshState(models.Model):
    """Which organisations have changed since their aggregates were last rebuilt."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    dirty_since = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()
