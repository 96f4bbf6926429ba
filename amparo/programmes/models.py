"""Programmes: the work that changes things (trainings, outreach, testing, advocacy), counted.

A programme (a grant or a campaign) has indicators; an indicator is a definition over the
programme's activities (which kind, what to count, in which period and at which site), so
recording an activity moves every indicator it falls under. People are never named here:
participants and test results are counts. Free text (who was trained, addresses, commitments)
is sealed; what lists and sums need is coded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.response.models import ConsentMethod
from amparo.vault.fields import EncryptedJSONField, EncryptedTextField
from amparo.vault.plain import Plain


class ProgrammeKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    CAMPAIGN = "campaign", _("Campaign")


class Programme(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="programmes")
    kind = models.CharField(_("type"), max_length=12, choices=ProgrammeKind.choices, default=ProgrammeKind.GRANT)
    name = EncryptedTextField(_("name"))
    funder = EncryptedTextField(_("funder or partner"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="programme_period_ordered")]

    def __str__(self) -> str:
        return self.name


class VenueKind(models.TextChoices):
    SAUNA = "sauna", _("Sauna")
    HOTEL = "hotel", _("Hotel")
    BAR = "bar", _("Bar or club")
    STREET_CORNER = "street_corner", _("Street corner")
    HEALTH_CENTRE = "health_centre", _("Health centre")
    COMMUNITY = "community", _("Community space")
    OTHER = "other", _("Other")


class Venue(models.Model):
    """A place where outreach happens, known day to day by its code name."""

    plain_text = {
        "code_name": (Plain.PSEUDONYM, "a name chosen so that it does not identify the place"),
        "poster_token": (Plain.CODED, "random token made by Amparo, printed in the QR code of the venue's poster"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="venues")
    code_name = models.CharField(_("code name"), max_length=60)
    kind = models.CharField(_("type"), max_length=16, choices=VenueKind.choices)
    district = models.ForeignKey("places.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    address = EncryptedTextField(_("address"))
    contact = EncryptedTextField(_("contact"))
    is_active = models.BooleanField(_("in use"), default=True)
    # In the QR code of the posters placed at the venue, so an anonymous report can say which
    # poster it came from. Random (not the code name, not the id): a poster seen in the street
    # tells nothing about the organisation's list. Renewed when posters are withdrawn.
    poster_token = models.CharField(max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["code_name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code_name"], name="venue_code_name_unique")]

    def __str__(self) -> str:
        return self.code_name


class ActivityKind(models.TextChoices):
    POLICE_TRAINING = "police_training", _("Police or serenazgo sensitisation training")
    HEALTH_STAFF_TRAINING = "health_staff_training", _("Health staff training")
    MEMBER_TRAINING = "member_training", _("Member training (rights, law, advocacy, digital safety)")
    PEER_OUTREACH = "peer_outreach", _("Peer outreach session")
    TESTING_DAY = "testing_day", _("Testing day")
    INFORMATION_SESSION = "information_session", _("Information session")
    ADVOCACY_MEETING = "advocacy_meeting", _("Advocacy meeting")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")


class InstitutionKind(models.TextChoices):
    """Coded, so a training of a police unit can be joined to incidents involving that kind of unit."""

    NONE = "", _("None")
    PNP_COMISARIA = "pnp_comisaria", _("PNP police station (comisaría)")
    PNP_OTHER_UNIT = "pnp_other_unit", _("Other PNP unit")
    SERENAZGO = "serenazgo", _("Serenazgo (municipal security)")
    HEALTH_SERVICE = "health_service", _("Health service")
    MUNICIPALITY = "municipality", _("Municipality")
    MINISTRY = "ministry", _("Ministry or regional government")
    PROSECUTION_JUSTICE = "justice", _("Prosecution, courts or Ombudsman")
    COMMITTEE = "committee", _("Multisectoral committee")
    CIVIL_SOCIETY = "civil_society", _("Civil society organisation")
    OTHER = "other", _("Other")


# The perpetrator term (vocabulary "perpetrator") of the incidents a training or an agreement
# with this kind of institution may change: the join between programmes and the evidence.
PERPETRATOR_OF_INSTITUTION = {
    InstitutionKind.PNP_COMISARIA: "pnp_officer",
    InstitutionKind.PNP_OTHER_UNIT: "pnp_officer",
    InstitutionKind.SERENAZGO: "serenazgo",
}


class MilestoneScope(models.TextChoices):
    """Where a milestone from an activity applies: around the activity's district, or everywhere."""

    DISTRICT = "district", _("The activity's district")
    PROVINCE = "province", _("The activity's province")
    DEPARTMENT = "department", _("The activity's department (region)")
    EVERYWHERE = "everywhere", _("Everywhere")


# How many digits of the district's ubigeo each scope keeps (DDPPdd).
SCOPE_DIGITS = {MilestoneScope.DISTRICT: 6, MilestoneScope.PROVINCE: 4, MilestoneScope.DEPARTMENT: 2, MilestoneScope.EVERYWHERE: 0}

# Activities that can become a milestone in the statistics, and the milestone kinds each may be.
MILESTONE_ACTIVITY_KINDS = (ActivityKind.POLICE_TRAINING, ActivityKind.AGREEMENT_SIGNED, ActivityKind.ADVOCACY_MEETING)


# Participants are counted by category, never named.
PARTICIPANT_FIELDS = (
    "participants_sex_workers", "participants_trans_women", "participants_police",
    "participants_health_staff", "participants_officials", "participants_other",
)
COUNT_FIELDS = (*PARTICIPANT_FIELDS, "condoms", "lubricants", "leaflets", "tests_done", "tests_reactive", "tests_confirmed", "linked_to_care")


def _count(label: Any) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0, validators=[MaxValueValidator(1_000_000)])


class Activity(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="activities")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(_("type"), max_length=24, choices=ActivityKind.choices)
    held_on = models.DateField(_("date"))
    district = models.ForeignKey("places.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    # No venue: in the street or elsewhere.
    venue = models.ForeignKey(Venue, verbose_name=_("venue"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities")
    facilitators = models.ManyToManyField("accounts.Membership", verbose_name=_("facilitators"), blank=True, related_name="+")
    institution_kind = models.CharField(_("institution trained or met"), max_length=16, choices=InstitutionKind.choices, blank=True, default="")
    institution = EncryptedTextField(_("institution and unit (name)"))
    participants_sex_workers = _count(_("sex workers"))
    participants_trans_women = _count(_("trans women"))
    participants_police = _count(_("police or serenazgo officers"))
    participants_health_staff = _count(_("health staff"))
    participants_officials = _count(_("officials"))
    participants_other = _count(_("other participants"))
    condoms = _count(_("condoms"))
    lubricants = _count(_("lubricants"))
    leaflets = _count(_("leaflets"))
    tests_done = _count(_("HIV tests done"))
    tests_reactive = _count(_("reactive results"))
    tests_confirmed = _count(_("confirmed results"))
    linked_to_care = _count(_("linked to care"))
    # Pre/post test scores as aggregates over the people who took both (0–100).
    scored_participants = _count(_("people who took the pre and post test"))
    pre_score_average = models.DecimalField(_("average pre-test score"), max_digits=4, decimal_places=1, null=True, blank=True,
                                            validators=[MinValueValidator(0), MaxValueValidator(100)])
    post_score_average = models.DecimalField(_("average post-test score"), max_digits=4, decimal_places=1, null=True, blank=True,
                                             validators=[MinValueValidator(0), MaxValueValidator(100)])
    commitments = EncryptedTextField(_("commitments obtained"))
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    # The follow-up date a commitment reminder was last sent for: the reminder job claims it atomically.
    reminded_for = models.DateField(null=True, blank=True)
    notes = EncryptedTextField(_("notes"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["organisation", "programme", "held_on"], name="activity_programme_date")]
        constraints = [
            models.CheckConstraint(condition=models.Q(tests_reactive__lte=models.F("tests_done")), name="activity_reactive_within_done"),
            models.CheckConstraint(condition=models.Q(tests_confirmed__lte=models.F("tests_reactive")), name="activity_confirmed_within_reactive"),
            models.CheckConstraint(condition=models.Q(linked_to_care__lte=models.F("tests_confirmed")), name="activity_linked_within_confirmed"),
        ]

    @property
    def participants(self) -> int:
        return sum(getattr(self, f) for f in PARTICIPANT_FIELDS)


class Measure(models.TextChoices):
    ACTIVITIES = "activities", _("Activities held")
    PARTICIPANTS = "participants", _("Participants (all categories)")
    COMMUNITY_REACHED = "community_reached", _("Sex workers and trans women reached")
    SEX_WORKERS_REACHED = "sex_workers_reached", _("Sex workers reached")
    TRANS_WOMEN_REACHED = "trans_women_reached", _("Trans women reached")
    POLICE_TRAINED = "police_trained", _("Police or serenazgo officers trained")
    HEALTH_STAFF_TRAINED = "health_staff_trained", _("Health staff trained")
    CONDOMS = "condoms", _("Condoms handed out")
    LUBRICANTS = "lubricants", _("Lubricants handed out")
    LEAFLETS = "leaflets", _("Leaflets handed out")
    TESTS_DONE = "tests_done", _("HIV tests done")
    TESTS_REACTIVE = "tests_reactive", _("Reactive HIV results")
    TESTS_CONFIRMED = "tests_confirmed", _("Confirmed HIV diagnoses")
    LINKED_TO_CARE = "linked_to_care", _("People linked to treatment")


# The standard indicator a measure corresponds to, for funders who ask for it by name.
# PEPFAR MER 2.x: HTS_TST counts people tested who received a result; HTS_POS those with a
# positive (confirmed) result; TX_NEW those newly started on antiretroviral treatment.
# Global Fund modular framework, key populations: KP-1c is the share of sex workers, KP-1b of
# transgender people, reached with a defined package of prevention services. Amparo gives the
# numerator (people reached); the denominator is a population size estimate the funder agrees
# with the organisation, so it is not computed here (docs/programmes.md says more).
STANDARD_INDICATORS = {
    Measure.TESTS_DONE: "PEPFAR MER HTS_TST",
    Measure.TESTS_CONFIRMED: "PEPFAR MER HTS_POS",
    Measure.LINKED_TO_CARE: "PEPFAR MER TX_NEW",
    Measure.SEX_WORKERS_REACHED: _("Global Fund KP-1c (numerator: sex workers reached)"),
    Measure.TRANS_WOMEN_REACHED: _("Global Fund KP-1b (numerator: transgender people reached)"),
}

# Health results: shown only through small-cell suppression, whoever looks.
HEALTH_MEASURES = {Measure.TESTS_REACTIVE, Measure.TESTS_CONFIRMED, Measure.LINKED_TO_CARE}


class Indicator(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="indicators")
    name = EncryptedTextField(_("name"))
    measure = models.CharField(_("what is counted"), max_length=24, choices=Measure.choices)
    # Blank: activities of every kind.
    activity_kind = models.CharField(_("only activities of type"), max_length=24, choices=ActivityKind.choices, blank=True, default="")
    target = models.PositiveIntegerField(_("target"), validators=[MinValueValidator(1), MaxValueValidator(100_000_000)])
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    # Blank: every site of the programme.
    venue = models.ForeignKey(Venue, verbose_name=_("only at venue"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="indicator_period_ordered")]

    @property
    def standard(self) -> str:
        return str(STANDARD_INDICATORS.get(Measure(self.measure), ""))


class CareLinkage(models.Model):
    """Following one person with a reactive result, from a testing day to treatment, with her consent.

    The row itself is HIV information (someone at that testing day had a reactive result), so it
    names nobody in clear: there is no foreign key to records.Person; the person's id, the dates
    and the health service are sealed and resolved in Python. A raw dump of the database shows
    only that some linkage exists for an activity whose reactive count is already recorded.

    One source of truth for "linked to care": the activity's `linked_to_care` count, which every
    indicator and report reads. A linkage never adds a second number; recording it keeps the
    activity's counts at least as large as its linkages (services.care_linkage_*), since a tally
    may also count people followed without a person-level record.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="care_linkages")
    # Sealed: the records.Person id, and {"reactive_on", "confirmed_on", "treatment_started_on"} as ISO dates.
    person_ref = EncryptedTextField(_("person"))
    dates: Any = EncryptedJSONField(_("dates"))
    health_service = EncryptedTextField(_("health service"))
    consent_given = models.BooleanField(_("the person consents to being accompanied to treatment"), default=False)
    consent_method = models.CharField(_("how consent was given"), max_length=10, choices=ConsentMethod.choices, blank=True)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # No consent, no linkage: enforced by the database too.
            models.CheckConstraint(
                condition=models.Q(consent_given=True, consent_recorded_at__isnull=False, consent_recorded_by__isnull=False)
                & ~models.Q(consent_method=""),
                name="care_linkage_needs_consent",
            ),
        ]

    def _date(self, key: str) -> date | None:
        value = (self.dates or {}).get(key)
        return date.fromisoformat(value) if value else None

    @property
    def person_pk(self) -> int | None:
        return int(self.person_ref) if self.person_ref else None

    @property
    def reactive_on(self) -> date | None:
        return self._date("reactive_on")

    @property
    def confirmed_on(self) -> date | None:
        return self._date("confirmed_on")

    @property
    def treatment_started_on(self) -> date | None:
        return self._date("treatment_started_on")

    @property
    def days_to_treatment(self) -> int | None:
        return days_to_treatment(self.reactive_on, self.treatment_started_on)


def days_to_treatment(reactive_on: date | None, treatment_started_on: date | None) -> int | None:
    """Days from the reactive result to the start of antiretroviral treatment (0: the same day)."""
    if reactive_on is None or treatment_started_on is None:
        return None
    return (treatment_started_on - reactive_on).days
