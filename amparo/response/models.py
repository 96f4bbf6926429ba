"""Response: the service directory, referrals, legal cases, deadlines, defenders' security.

Every tenant table carries `organisation`. Identifying or narrative text is sealed with the
organisation key (EncryptedTextField); what lists, filters and statistics need stays coded.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.lib.scoping import OrganisationManager
from amparo.response.lib.deadlines import Unit
from amparo.response.lib.directory import Need, ServiceKind
from amparo.response.lib.procedure import Outcome, Route, Stage
from amparo.response.lib.referral_flow import ReferralStatus
from amparo.vault.fields import EncryptedTextField
from amparo.vault.plain import Plain


class VerificationStatus(models.TextChoices):
    TO_VERIFY = "to_verify", _("To verify")
    VERIFIED = "verified", _("Verified")


class Service(models.Model):
    """A service or ally people can be referred to.

    National services (seeded from shared/context/peru.md, marked "to verify") have no
    organisation and are read by everyone; each organisation adds its own local contacts,
    which only it sees, with the community-verified flags its members have checked.
    """

    plain_text = {
        "code": (Plain.CODED, "directory code"),
        "name": (Plain.PUBLIC, "public institution or service in the referral directory"),
        "address": (Plain.PUBLIC, "public address of the institution"),
        "phone": (Plain.PUBLIC, "public phone of the institution"),
        "email": (Plain.PUBLIC, "public e-mail of the institution"),
        "hours": (Plain.PUBLIC, "opening hours"),
        "description": (Plain.PUBLIC, "what the institution offers"),
        "description_en": (Plain.PUBLIC, "what the institution offers"),
        "notes": (Plain.PUBLIC, "how the institution serves people (the directory is shared across organisations, rows without an organisation key)"),
        "languages": (Plain.CODED, "language codes"),
        "needs": (Plain.CODED, "need codes"),
        "sources": (Plain.PUBLIC, "where the directory entry comes from"),
    }

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="services"
    )
    code = models.CharField(max_length=20, blank=True)
    kind = models.CharField(_("type"), max_length=24, choices=ServiceKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(blank=True)
    department = models.ForeignKey(
        "places.Department", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "places.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("email"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    needs = models.JSONField(_("needs it meets"), default=list, blank=True)
    # Community-verified flags: what peers found when they went there.
    trans_friendly = models.BooleanField(_("trans-friendly"), default=False)
    treats_sex_workers_well = models.BooleanField(_("has treated sex workers well"), default=False)
    last_checked_on = models.DateField(_("date last checked"), null=True, blank=True)
    verification = models.CharField(
        _("verification"), max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.TO_VERIFY
    )
    sources = models.JSONField(default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # An allied lawyer with an account: referrals to this service reach that lawyer.
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lawyer with an account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(organisation__isnull=True) & ~models.Q(code=""),
                name="service_unique_national_code",
            )
        ]
        indexes = [models.Index(fields=["organisation", "kind"], name="service_org_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_national(self) -> bool:
        return self.organisation_id is None


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("Verbal, in person")
    PHONE = "phone", _("By phone")
    WRITTEN = "written", _("Written or signed")
    MESSAGE = "message", _("By message")


class Referral(models.Model):
    """Sending a person (for an incident) to a service or an allied lawyer, and what came of it."""

    plain_text = {"notified_status": (Plain.SYSTEM, "the referral status whose e-mail the job queue claimed")}

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="referrals")
    incident = models.ForeignKey("records.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    person = models.ForeignKey("records.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    # The outreach session or testing day the referral came from, if any (the person is the subject).
    activity = models.ForeignKey(
        "programmes.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("allied lawyer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    need = models.CharField(_("need"), max_length=24, choices=Need.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PROPOSED)
    # Consent comes first: without it nothing identifying leaves the organisation.
    shares_identifying_data = models.BooleanField(_("shares identifying data"), default=True)
    consent_given = models.BooleanField(_("the person consents to this referral"), default=False)
    consent_method = models.CharField(_("how consent was given"), max_length=10, choices=ConsentMethod.choices, blank=True)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note for the service"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("follow-up by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="referrals_followed",
    )
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    # The follow-up date a reminder was last sent for: the reminder job claims it atomically.
    reminded_for = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"))
    # The person's own view of how the service treated them (1 = very badly, 5 = very well).
    feedback_rating = models.PositiveSmallIntegerField(
        _("how the person was treated"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback_respectful = models.BooleanField(_("treated with respect for her identity"), null=True, blank=True)
    feedback_comment = EncryptedTextField(_("the person's comments"))
    # The legal case opened from this referral (one click from an accepted referral).
    legal_case = models.ForeignKey(
        "LegalCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    # The status whose e-mail (to the lawyer when sent, to the follower when answered) was
    # claimed by the job queue: a job that runs twice sends one message.
    notified_status = models.CharField(max_length=10, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(service__isnull=False) | models.Q(lawyer__isnull=False), name="referral_has_target"
            ),
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False) | models.Q(person__isnull=False), name="referral_has_subject"
            ),
            # No consent, no referral of identifying data: enforced by the database too.
            models.CheckConstraint(
                condition=models.Q(shares_identifying_data=False) | models.Q(consent_given=True),
                name="referral_identifying_needs_consent",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="referral_org_status"),
            models.Index(fields=["organisation", "lawyer", "status"], name="referral_org_lawyer"),
            models.Index(fields=["organisation", "assigned_to", "follow_up_on"], name="referral_org_followup"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def target_label(self) -> str:
        if self.service is not None:
            return str(self.service)
        if self.lawyer is not None:
            return self.lawyer.get_full_name() or self.lawyer.get_username()
        return ""


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case status", "Open")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


class LegalCase(models.Model):
    """A legal case: incidents, people and perpetrators, routes through Peruvian procedure."""

    plain_text = {
        "reference": (Plain.CODED, "made by Amparo"),
        "perpetrator_codes": (Plain.CODED, "vocabulary codes"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="legal_cases")
    reference = models.CharField(_("reference"), max_length=24)
    title = EncryptedTextField(_("title"))
    summary = EncryptedTextField(_("summary"))
    # Perpetrators: coded types for lists, sealed details (names, badge numbers) for the lawyer.
    perpetrator_codes = models.JSONField(default=list, blank=True)
    perpetrator_details = EncryptedTextField(_("perpetrators (names, badge, unit)"))
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned lawyer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="legal_cases",
    )
    status = models.CharField(_("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True, default="")
    opened_on = models.DateField(_("opened on"))
    closed_at = models.DateTimeField(null=True, blank=True)
    incidents = models.ManyToManyField("records.Incident", through="CaseIncident", related_name="legal_cases")
    persons = models.ManyToManyField("records.Person", through="CasePerson", related_name="legal_cases")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "reference"], name="case_unique_reference")]
        indexes = [models.Index(fields=["organisation", "lawyer", "status"], name="case_org_lawyer")]

    def __str__(self) -> str:
        return self.reference


class CaseIncident(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey("records.Incident", on_delete=models.PROTECT, related_name="case_links")

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "incident"], name="case_incident_unique")]


class CasePerson(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="person_links")
    person = models.ForeignKey("records.Person", on_delete=models.PROTECT, related_name="case_links")

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="case_person_unique")]


class CaseCounter(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="casecounter_unique")]


class CaseRoute(models.Model):
    """One route a case follows (the criminal complaint, an Inspectoría complaint, measures…)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="routes")
    route = models.CharField(_("route"), max_length=14, choices=Route.choices)
    stage = models.CharField(_("stage"), max_length=22, choices=Stage.choices)
    forum = EncryptedTextField(_("forum"))
    # Complaint number, carpeta fiscal, expediente: sealed, they lead straight to the person.
    case_number = EncryptedTextField(_("case number (carpeta fiscal, expediente)"))
    started_on = models.DateField(_("started on"))
    stage_changed_at = models.DateTimeField()
    # Protection measures (Ley 30364): the 72-hour rule runs from requested_at.
    requested_at = models.DateTimeField(_("measures requested at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    in_force_until = models.DateField(_("in force until"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True, default="")

    objects = OrganisationManager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_route_display()}: {self.get_stage_display()}"


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    ROUTE_STARTED = "route_started", _("Route started")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    HEARING = "hearing", _("Hearing")
    FILING = "filing", _("Filing")
    DOCUMENT = "document", _("Document added")
    DEADLINE = "deadline", _("Deadline")
    NOTE = "note", _("Note")
    CLOSED = "closed", _("Case closed")


class CaseEvent(models.Model):
    """The case timeline: what happened, when, in which route."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="events")
    route = models.ForeignKey(CaseRoute, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=CaseEventKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    stage = models.CharField(max_length=22, choices=Stage.choices, blank=True)
    description = EncryptedTextField(_("description"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["occurred_at", "pk"]


class Hearing(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="hearings")
    route = models.ForeignKey(CaseRoute, null=True, blank=True, on_delete=models.SET_NULL, related_name="hearings")
    scheduled_at = models.DateTimeField(_("date and time"))
    place = EncryptedTextField(_("court or office"))
    purpose = EncryptedTextField(_("purpose"))
    result = EncryptedTextField(_("result"))
    held = models.BooleanField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["scheduled_at"]


class Deadline(models.Model):
    """Something that must be done by a date: a filing, an appeal, a follow-up."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="deadlines")
    route = models.ForeignKey(CaseRoute, null=True, blank=True, on_delete=models.SET_NULL, related_name="deadlines")
    title = EncryptedTextField(_("what must be done"))
    due_at = models.DateTimeField(_("due"))
    # How it was counted, for the record (so a reader can recompute it).
    counted_from = models.DateTimeField(null=True, blank=True)
    amount = models.PositiveIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=14, choices=[(u.value, u.value) for u in Unit], blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["organisation", "done_at", "due_at"], name="deadline_org_open_due")]


class DocumentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    AUDIO = "audio", _("Audio")
    MEDICAL = "medical", _("Medical report")
    FORENSIC = "forensic", _("Forensic report (médico legista)")
    COMPLAINT = "complaint", _("Copy of the complaint")
    RESOLUTION = "resolution", _("Resolution or ruling")
    OTHER = "other", _("Other")


class CaseDocument(models.Model):
    """An evidence file attached to a case (the file itself lives in `amparo.evidence`)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="documents")
    evidence = models.ForeignKey("evidence.EvidenceFile", on_delete=models.PROTECT, related_name="case_documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "evidence"], name="case_document_unique")]


class SigningKey(models.Model):
    """An organisation's Ed25519 key for evidence bundles, kept sealed by the organisation key."""

    plain_text = {
        "fingerprint": (Plain.DIGEST, "fingerprint of a public key"),
    }

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    public_key = models.BinaryField()
    sealed_private_key = models.BinaryField()
    fingerprint = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(retired_at__isnull=True), name="signingkey_one_active"
            )
        ]


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    EXTREME = "extreme", _("Extreme")


class SecurityStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case status", "Open")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")


class SecurityRecord(models.Model):
    """A threat or attack against one of the organisation's own activists or documenters.

    The facts are an ordinary incident (the victim is a person marked as defender; the
    perpetrator may be a junta vecinal, the police, a gang); this record adds the risk
    assessment, the protective measures and the follow-up.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("records.Incident", on_delete=models.PROTECT, related_name="security_records")
    defender = models.ForeignKey("records.Person", on_delete=models.PROTECT, related_name="security_records")
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    status = models.CharField(_("status"), max_length=10, choices=SecurityStatus.choices, default=SecurityStatus.OPEN)
    assessment = EncryptedTextField(_("risk assessment"))
    follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    reminded_for = models.DateField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]


class MeasureKind(models.TextChoices):
    ACCOMPANIMENT = "accompaniment", _("Accompaniment")
    RELOCATION = "relocation", _("Temporary relocation")
    PHONE_CHANGE = "phone_change", _("New phone or number")
    DIGITAL = "digital", _("Digital security")
    SAFETY_PLAN = "safety_plan", _("Safety plan")
    COMPLAINT = "complaint", _("Complaint to the authorities")
    PROTECTION_ORDER = "protection_order", _("Protection measures requested")
    ALERT_NETWORK = "alert_network", _("Alert to allied networks")
    OTHER = "other", _("Other")


class ProtectiveMeasure(models.Model):
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(SecurityRecord, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("measure"), max_length=20, choices=MeasureKind.choices)
    description = EncryptedTextField(_("details"))
    taken_on = models.DateField(_("taken on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["taken_on", "pk"]


class ReminderKind(models.TextChoices):
    REFERRAL_FOLLOW_UP = "referral", _("Referral follow-up")
    DEADLINE = "deadline", _("Deadline")
    HEARING = "hearing", _("Hearing")
    SECURITY_FOLLOW_UP = "security", _("Security follow-up")
    COMMITMENT_FOLLOW_UP = "commitment", _("Commitment follow-up")


class Reminder(models.Model):
    """A reminder the background job left for a user; shown in My tasks (and e-mailed if possible)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    object_id = models.PositiveBigIntegerField()
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    emailed = models.BooleanField(default=False)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "user", "due_on"], name="reminder_once_per_due")
        ]
