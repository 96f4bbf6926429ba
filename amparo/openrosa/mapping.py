"""From a filled form to Amparo records: per-form mapping, and how older schema versions map.

Each function receives the answers already renamed to the current schema and returns what it
made. Errors raise ValidationError / ValueError; the caller then keeps the submission whole
and flagged, never half-recorded (each mapping runs inside its own savepoint).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.records.models import Incident, IncidentOrigin
from amparo.records.services import incident_create, incident_update, person_create

# Questions renamed between schema versions: {form_id: {old schema: {old name: new name}}}.
# A phone that still carries an older form keeps working; its answers land in the same places.
RENAMES: dict[str, dict[str, dict[str, str]]] = {
    "incident_interview": {
        "2026110101": {"pseudonym": "code_name", "violation_types": "violations", "perpetrator_types": "perpetrators"},
    },
}


def current_names(form_id: str, schema_version: str, values: dict[str, list[str]]) -> dict[str, list[str]]:
    renames = RENAMES.get(form_id, {}).get(schema_version, {})
    return {renames.get(name, name): answers for name, answers in values.items()}


@dataclass
class Answers:
    values: dict[str, list[str]]

    def get(self, name: str) -> str:
        found = self.values.get(name)
        return found[0].strip() if found else ""

    def codes(self, name: str) -> list[str]:
        return self.get(name).split()

    def yes(self, name: str) -> bool:
        return self.get(name) == "yes"

    def date(self, name: str) -> dt.date:
        value = self.get(name)
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise ValidationError({name: _("Not a date: %(value)s") % {"value": value}})

    def time(self, name: str) -> dt.time | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return dt.time.fromisoformat(value[:8])
        except ValueError:
            raise ValidationError({name: _("Not a time: %(value)s") % {"value": value}})

    def integer(self, name: str, default: int) -> int:
        value = self.get(name)
        if not value:
            return default
        try:
            return int(value)
        except ValueError:
            raise ValidationError({name: _("Not a number: %(value)s") % {"value": value}})

    def optional(self, **pairs: str) -> dict[str, Any]:
        """Only the fields that were answered (empty answers keep the model's default)."""
        return {field: self.get(question) for field, question in pairs.items() if self.get(question)}


def consented(form_id: str, answers: Answers) -> bool:
    # A follow-up is about a consented incident; a tally holds counts, never a person.
    return form_id in {"follow_up_visit", "activity_tally"} or answers.yes("consent_store")


def interview_to_incident(*, organisation: Any, acting_user: Any, answers: Answers) -> Incident:
    person = person_create(
        organisation=organisation,
        acting_user=acting_user,
        code_name=answers.get("code_name"),
        is_defender=answers.yes("is_defender"),
        **answers.optional(
            gender_identity="gender_identity", age_band="age_band", nationality="nationality",
            migrant_status="migrant_status", work_setting="work_setting",
        ),
    )
    return incident_create(
        organisation=organisation,
        acting_user=acting_user,
        occurred_on=answers.date("occurred_on"),
        occurred_time=answers.time("occurred_time"),
        violation_codes=answers.codes("violations"),
        perpetrator_codes=answers.codes("perpetrators"),
        persons=[person],
        origin=IncidentOrigin.FIELD_FORM,
        department_code=answers.get("department"),
        district=answers.get("district") or None,
        people_affected=answers.integer("people_affected", 1),
        perpetrator_details=answers.get("perpetrator_details"),
        narrative=answers.get("narrative"),
        consent_store=True,
        consent_share_stats=answers.yes("consent_share_stats"),
        consent_legal_action=answers.yes("consent_legal_action"),
        consent_contact=answers.yes("consent_contact"),
        contact_preference=answers.get("contact_preference") if answers.yes("consent_contact") else "",
        **answers.optional(place_type="place_type", source="source", reliability="reliability", date_precision="date_precision"),
    )


def alarm_to_incident(*, organisation: Any, acting_user: Any, answers: Answers) -> Incident:
    incident = _alarm_incident(organisation=organisation, acting_user=acting_user, answers=answers)
    if answers.yes("needs_help_now") and answers.date("occurred_on") >= timezone.localdate() - dt.timedelta(days=1):
        _raise_rapid_response(organisation=organisation, acting_user=acting_user, answers=answers, incident=incident)
    return incident


def _raise_rapid_response(*, organisation: Any, acting_user: Any, answers: Answers, incident: Incident) -> None:
    """Urgent help asked for from the field: the on-call lawyers and coordinators are called,
    as if the alarm button had been pressed. Old alarms sent late (a phone without signal
    for days) only become incidents."""
    from amparo.accounts.models import Membership
    from amparo.alerts.models import AlarmKind, AlarmSource
    from amparo.alerts.services import RAISE_ROLES, alarm_raise

    membership = Membership.objects.filter(user=acting_user, organisation=organisation, is_active=True).first()
    if membership is None or membership.role not in RAISE_ROLES:
        return
    detained = answers.integer("people_detained", 0)
    alarm_raise(
        organisation=organisation,
        kind=AlarmKind.DETENTION if detained else AlarmKind.RAID,
        source=AlarmSource.FIELD_FORM,
        acting_user=acting_user,
        membership=membership,
        district=answers.get("district") or None,
        description=answers.get("narrative")[:2000],
        people_count=max(1, min(500, answers.integer("people_affected", 1))),
        incident=incident,
    )


def _alarm_incident(*, organisation: Any, acting_user: Any, answers: Answers) -> Incident:
    narrative = answers.get("narrative")
    detained = answers.integer("people_detained", 0)
    # Written into the record in the organisation's language, whatever the phone's.
    with translation.override(settings.LANGUAGE_CODE):
        if detained:
            narrative += "\n\n" + _("People detained: %(n)d") % {"n": detained}
        if answers.yes("needs_help_now"):
            narrative += "\n\n" + _("Urgent help was asked for.")
    return incident_create(
        organisation=organisation,
        acting_user=acting_user,
        occurred_on=answers.date("occurred_on"),
        occurred_time=answers.time("occurred_time"),
        violation_codes=answers.codes("violations"),
        perpetrator_codes=answers.codes("perpetrators"),
        origin=IncidentOrigin.ALARM,
        department_code=answers.get("department"),
        district=answers.get("district") or None,
        people_affected=answers.integer("people_affected", 1),
        perpetrator_details=answers.get("perpetrator_details"),
        narrative=narrative,
        source="witness",
        consent_store=True,
        **answers.optional(place_type="place_type"),
    )


def alarm_to_triage(*, organisation: Any, acting_user: Any, answers: Answers, submission: Any) -> tuple[Incident | None, str]:
    """Into the anonymous-reporting triage queue when that app offers the hook
    (`amparo.intake.services.intake_report_from_field_form`); until then, straight to an incident."""
    try:
        from amparo.intake.services import intake_report_from_field_form  # type: ignore[attr-defined]
    except ImportError:
        return alarm_to_incident(organisation=organisation, acting_user=acting_user, answers=answers), ""
    report = intake_report_from_field_form(
        organisation=organisation, acting_user=acting_user, answers=answers.values, source_ref=submission.instance_id
    )
    return None, str(getattr(report, "pk", report))


def follow_up_to_incident(*, organisation: Any, acting_user: Any, answers: Answers) -> Incident | None:
    """The incident the visit is about, with the person's legal-action decision updated."""
    reference = answers.get("incident_reference").upper()
    incident = Incident.objects.filter(organisation=organisation, reference=reference).first()
    if incident is None:
        return None
    change = answers.get("legal_update")
    if change in {"yes_now", "no_longer"}:
        incident_update(incident=incident, acting_user=acting_user, consent_legal_action=change == "yes_now")
    return incident


# -- activity tallies -------------------------------------------------------------------------

TALLY_KINDS = ("peer_outreach", "testing_day", "information_session")
TALLY_COUNTS = (
    "participants_sex_workers", "participants_trans_women", "participants_other",
    "condoms", "lubricants", "leaflets", "tests_done", "tests_reactive", "tests_confirmed",
)
TALLY_STREET = "street"
# The phone-side lists name venues and programmes by these prefixes (see tally_choices).
VENUE_PREFIX = "v"
PROGRAMME_PREFIX = "p"
MAX_COUNT = 1_000_000


def tally_choices(*, organisation: Any, today: dt.date | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """The organisation's own lists for the tally form: its active venues by code name (a
    pseudonym, safe on a phone) and its current programmes. A programme's name is sealed in
    the database, so the phone gets only its type, period and number, never the name."""
    from amparo.programmes.models import Programme, ProgrammeKind, Venue

    today = today or timezone.localdate()
    with translation.override("es"):
        street_es = str(_("In the street or elsewhere"))
        none_es = str(_("No programme"))
    with translation.override("en"):
        street_en = str(_("In the street or elsewhere"))
        none_en = str(_("No programme"))
    venues = [(TALLY_STREET, street_es, street_en)] + [
        (f"{VENUE_PREFIX}{pk}", code_name, code_name)
        for pk, code_name in Venue.objects.filter(organisation=organisation, is_active=True).order_by("code_name").values_list("pk", "code_name")
    ]
    programmes = [("none", none_es, none_en)]
    current = Programme.objects.filter(organisation=organisation, ends_on__gte=today - dt.timedelta(days=90)).order_by("starts_on", "pk")
    for pk, kind, starts_on, ends_on in current.values_list("pk", "kind", "starts_on", "ends_on"):
        labels = []
        for language in ("es", "en"):
            with translation.override(language):
                labels.append(_("%(kind)s %(start)s–%(end)s · no. %(number)d") % {
                    "kind": ProgrammeKind(kind).label, "start": f"{starts_on:%m/%Y}", "end": f"{ends_on:%m/%Y}", "number": pk,
                })
        programmes.append((f"{PROGRAMME_PREFIX}{pk}", labels[0], labels[1]))
    return {"venue": venues, "programme": programmes}


def _by_prefix(value: str, prefix: str) -> int | None:
    if value.startswith(prefix) and value[len(prefix):].isdigit():
        return int(value[len(prefix):])
    return None


def tally_to_activity(*, organisation: Any, acting_user: Any, answers: Answers) -> Any:
    """One programme activity from a tally, through the programmes app's one write path.

    What only a tally can get wrong (unreadable answers, an old form naming a venue since
    retired, a programme or district that is not the organisation's) is checked here; counts
    that do not add up and dates in the future are refused by `activity_record`, as for the
    page and the API. The form's own constraints only hold on phones that honour them."""
    from amparo.accounts.models import Membership
    from amparo.places.models import District
    from amparo.programmes.models import Programme, Venue
    from amparo.programmes.services import activity_record

    errors: dict[str, str] = {}
    kind = answers.get("kind")
    if kind not in TALLY_KINDS:
        errors["kind"] = _("Choose the type of activity.")
    held_on = None
    if not answers.get("held_on"):
        errors["held_on"] = _("Give the date of the activity.")
    else:
        try:
            held_on = answers.date("held_on")
        except ValidationError:
            errors["held_on"] = _("Not a date: %(value)s") % {"value": answers.get("held_on")[:20]}
    venue = district = None
    place = answers.get("venue")
    if place == TALLY_STREET:
        district = District.objects.filter(pk=answers.get("district")).first() if answers.get("district") else None
        if district is None:
            errors["district"] = _("Activities in the street need their district.")
    elif (venue_id := _by_prefix(place, VENUE_PREFIX)) is not None:
        # A venue taken out of use since the phone's form was built still counts: the activity
        # happened there, and a finished form cannot be moved onto a newer blank form.
        venue = Venue.objects.filter(organisation=organisation, pk=venue_id).select_related("district").first()
        if venue is None:
            errors["venue"] = _("This venue is not on the organisation's list. Update the blank form.")
        else:
            district = venue.district
    else:
        errors["venue"] = _("Choose the venue, or say it was in the street.")
    programme = None
    chosen = answers.get("programme")
    if chosen and chosen != "none":
        programme_id = _by_prefix(chosen, PROGRAMME_PREFIX)
        programme = Programme.objects.filter(organisation=organisation, pk=programme_id).first() if programme_id else None
        if programme is None:
            errors["programme"] = _("This programme is not the organisation's. Update the blank form.")
    counts: dict[str, Any] = {}
    for name in TALLY_COUNTS:
        try:
            value = answers.integer(name, 0)
        except ValidationError:
            errors[name] = _("Not a number: %(value)s") % {"value": answers.get(name)[:20]}
            continue
        if not 0 <= value <= MAX_COUNT:
            errors[name] = _("Between 0 and %(max)d.") % {"max": MAX_COUNT}
        counts[name] = value
    notes = answers.get("notes")
    if len(notes) > 2000:
        errors["notes"] = _("At most 2000 characters.")
    membership = Membership.objects.filter(user=acting_user, organisation=organisation, is_active=True).first()
    if membership is None:
        errors["collector"] = _("The phone's responsible member no longer belongs to the organisation.")
    if errors:
        raise ValidationError(errors)
    assert held_on is not None and district is not None and membership is not None
    return activity_record(
        membership=membership, acting_user=acting_user, kind=kind, held_on=held_on, district=district,
        programme=programme, venue=venue, facilitators=[membership], notes=notes, **counts,
    )
