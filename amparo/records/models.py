from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedTextField
from amparo.vault.plain import Plain


class GenderIdentity(models.TextChoices):
    CIS_WOMAN = "cis_woman", _("Cis woman")
    TRANS_WOMAN = "trans_woman", _("Trans woman")
    TRANS_MAN = "trans_man", _("Trans man")
    NON_BINARY = "non_binary", _("Non-binary")
    OTHER = "other", _("Other")
    NOT_SAID = "not_said", _("Prefers not to say")


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", _("Under 18")
    AGE_18_24 = "18_24", "18–24"
    AGE_25_34 = "25_34", "25–34"
    AGE_35_44 = "35_44", "35–44"
    AGE_45_59 = "45_59", "45–59"
    AGE_60_PLUS = "60_plus", _("60 or more")
    NOT_SAID = "not_said", _("Not known")


class Nationality(models.TextChoices):
    PERU = "PE", _("Peruvian")
    VENEZUELA = "VE", _("Venezuelan")
    COLOMBIA = "CO", _("Colombian")
    ECUADOR = "EC", _("Ecuadorian")
    OTHER = "other", _("Other")
    NOT_SAID = "not_said", _("Not known")


class MigrantStatus(models.TextChoices):
    NATIONAL = "national", _("Not a migrant")
    REGULAR = "regular", _("Migrant with regular status")
    IRREGULAR = "irregular", _("Migrant without regular status")
    ASYLUM = "asylum", _("Refugee or asylum seeker")
    NOT_SAID = "not_said", _("Not known")


class WorkSetting(models.TextChoices):
    STREET = "street", _("Street")
    VENUE = "venue", _("Venue")
    ONLINE = "online", _("Online")
    OTHER = "other", _("Other")
    NOT_SAID = "not_said", _("Not known")


class IdDocumentType(models.TextChoices):
    DNI = "dni", "DNI"
    CE = "ce", _("Foreigner's card (CE)")
    CPP = "cpp", _("Temporary permit (CPP/PTP)")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other")
    NONE = "", _("None")


class Person(models.Model):
    """A survivor or victim. Daily work uses the code name; identity is sealed."""

    plain_text = {
        "code_name": (Plain.PSEUDONYM, "the code name chosen so as not to identify her"),
        "id_number_index": (Plain.DIGEST, "HMAC blind index of the sealed document number"),
        "phone_index": (Plain.DIGEST, "HMAC blind index of the sealed phone"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="people")
    code_name = models.CharField(_("code name"), max_length=60)
    # Sealed identity (AES-256-GCM, organisation key). Never shown in lists.
    chosen_name = EncryptedTextField(_("chosen name"))
    legal_name = EncryptedTextField(_("name on the ID document"))
    id_document_type = models.CharField(_("ID document"), max_length=10, choices=IdDocumentType.choices, blank=True)
    id_number = EncryptedTextField(_("ID number"))
    phone = EncryptedTextField(_("phone"))
    safe_contact = EncryptedTextField(_("safe contact method and hours"))
    address = EncryptedTextField(_("address"))
    # Only when the person chooses to say it.
    hiv_status = EncryptedTextField(_("HIV status (only if the person chooses to say)"))
    # Blind indexes: find the same person again by phone or ID number without decrypting.
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    # Coded, unencrypted: these feed statistics.
    gender_identity = models.CharField(_("gender identity"), max_length=12, choices=GenderIdentity.choices, default=GenderIdentity.NOT_SAID)
    age_band = models.CharField(_("age"), max_length=10, choices=AgeBand.choices, default=AgeBand.NOT_SAID)
    nationality = models.CharField(_("nationality"), max_length=10, choices=Nationality.choices, default=Nationality.NOT_SAID)
    migrant_status = models.CharField(_("migrant status"), max_length=10, choices=MigrantStatus.choices, default=MigrantStatus.NOT_SAID)
    work_setting = models.CharField(_("sex-work setting"), max_length=10, choices=WorkSetting.choices, default=WorkSetting.NOT_SAID)
    is_defender = models.BooleanField(_("activist / human-rights defender"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SENSITIVE_FIELDS = ("chosen_name", "legal_name", "id_number", "phone", "safe_contact", "address", "hiv_status")

    objects = OrganisationManager()

    class Meta:
        ordering = ["code_name"]
        indexes = [models.Index(fields=["organisation", "code_name"], name="person_org_code")]

    def __str__(self) -> str:
        return self.code_name


class DatePrecision(models.TextChoices):
    DAY = "day", _("Exact day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")


class Reliability(models.TextChoices):
    HIGH = "high", _("High: first-hand and consistent")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low: hearsay or unconfirmed")
    UNKNOWN = "unknown", _("Not assessed")


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class IncidentOrigin(models.TextChoices):
    DOCUMENTER = "documenter", _("Recorded by a documenter")
    ANONYMOUS_REPORT = "anonymous_report", _("Anonymous report")
    ALARM = "alarm", _("Raid / detention alarm")
    FIELD_FORM = "field_form", _("Field form (ODK)")
    IMPORT = "import", _("Import")


class Incident(models.Model):
    """What happened, when, where and by whom, with the informant's consent."""

    plain_text = {
        "reference": (Plain.CODED, "made by Amparo: LIM-2026-0001"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="incidents")
    reference = models.CharField(_("reference"), max_length=24)
    status = models.CharField(_("status"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.NEW)
    origin = models.CharField(max_length=20, choices=IncidentOrigin.choices, default=IncidentOrigin.DOCUMENTER)

    occurred_on = models.DateField(_("date"))
    date_precision = models.CharField(_("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    occurred_time = models.TimeField(_("time"), null=True, blank=True)

    # Denormalised from the district so statistics group without joins.
    district = models.ForeignKey("places.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey("places.Province", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("places.Department", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    place_type = models.ForeignKey("vocab.Term", verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", limit_choices_to={"vocabulary": "place_type"})

    violations = models.ManyToManyField("vocab.Term", through="IncidentViolation", related_name="+")
    perpetrator_types = models.ManyToManyField("vocab.Term", through="IncidentPerpetrator", related_name="+")
    perpetrator_details = EncryptedTextField(_("perpetrator details (badge, unit, plate, nickname)"))
    narrative = EncryptedTextField(_("what happened"))
    people_affected = models.PositiveIntegerField(_("people affected"), default=1)
    involves_state_agent = models.BooleanField(default=False, editable=False)

    source = models.ForeignKey("vocab.Term", verbose_name=_("source of information"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", limit_choices_to={"vocabulary": "source"})
    reliability = models.CharField(_("reliability"), max_length=8, choices=Reliability.choices, default=Reliability.UNKNOWN)

    consent_store = models.BooleanField(_("consents to storing this record"), default=False)
    consent_share_stats = models.BooleanField(_("consents to de-identified statistics"), default=False)
    consent_legal_action = models.BooleanField(_("wants to pursue legal action"), default=False)
    consent_contact = models.BooleanField(_("agrees to be contacted"), default=False)
    contact_preference = EncryptedTextField(_("how to contact safely"))
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    people = models.ManyToManyField(Person, through="IncidentPerson", related_name="incidents")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SENSITIVE_FIELDS = ("narrative", "perpetrator_details", "contact_preference")

    objects = OrganisationManager()

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "reference"], name="incident_unique_reference")]
        indexes = [
            # Matches the list order exactly (date, then id as tie-break), so pages are read off the index.
            models.Index(fields=["organisation", "-occurred_on", "-id"], name="incident_org_date_id"),
            models.Index(fields=["organisation", "department", "occurred_on"], name="incident_org_dept_date"),
            models.Index(fields=["organisation", "created_by"], name="incident_org_creator"),
            models.Index(fields=["organisation", "assigned_to"], name="incident_org_assignee"),
            models.Index(fields=["organisation", "status"], name="incident_org_status"),
        ]

    def __str__(self) -> str:
        return self.reference


class IncidentTermLink(models.Model):
    """An incident tagged with a vocabulary term; a table per vocabulary so statistics group by term cheaply."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey("vocab.Term", on_delete=models.PROTECT, related_name="+")

    objects = OrganisationManager()

    class Meta:
        abstract = True


class IncidentViolation(IncidentTermLink):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="violation_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "term"], name="incident_violation_unique")]
        indexes = [models.Index(fields=["organisation", "term"], name="violation_org_term")]


class IncidentPerpetrator(IncidentTermLink):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="perpetrator_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "term"], name="incident_perpetrator_unique")]
        indexes = [models.Index(fields=["organisation", "term"], name="perpetrator_org_term")]


class PersonRole(models.TextChoices):
    VICTIM = "victim", _("Person affected")
    WITNESS = "witness", _("Witness")


class Harm(models.TextChoices):
    """What happened to one person in an incident (a raid harms each woman differently)."""

    DETAINED = "detained", _("Detained")
    INJURED = "injured", _("Beaten or injured")
    THREATENED = "threatened", _("Threatened")
    ROBBED = "robbed", _("Belongings taken")


class IncidentPerson(models.Model):
    """A person in an incident. Many people share a raid; a person may have many incidents."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="person_links")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="incident_links")
    role = models.CharField(max_length=10, choices=PersonRole.choices, default=PersonRole.VICTIM)
    # Harm codes (Harm), coded rather than sealed: they feed statistics like the violations.
    harms = models.JSONField(default=list, blank=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="incident_person_unique")]

    def harm_labels(self) -> list[str]:
        return [str(Harm(h).label) for h in self.harms if h in Harm.values]


class ReferenceCounter(models.Model):
    """Per-organisation, per-year counter for human-readable incident references."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="refcounter_unique")]
