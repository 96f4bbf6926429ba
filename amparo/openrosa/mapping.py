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
    return form_id == "follow_up_visit" or answers.yes("consent_store")


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
