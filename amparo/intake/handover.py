"""How a triaged report becomes an incident, or joins one: the only place intake writes records."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, User
from amparo.intake.models import Report, ReportMessage
from amparo.records.models import DatePrecision, Incident, IncidentOrigin
from amparo.records.selectors import incident_scope
from amparo.records.services import incident_create, incident_update, person_create


def _date(report: Report) -> tuple[datetime.date, str]:
    if report.occurred_on is None or report.date_precision == Report.Precision.UNKNOWN:
        # Not remembered: the year it was reported in is the best an incident can say.
        return timezone.localtime(report.received_at).date(), DatePrecision.YEAR
    return report.occurred_on, report.date_precision


def _date_label(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def report_message_block(message: ReportMessage) -> str:
    """One follow-up message from the reporter as it reads in an incident's narrative. Headings are
    in the organisation's language, not the language of the page the reporter happened to use."""
    with translation.override(settings.LANGUAGE_CODE):
        heading = _("Added by the reporter of %(reference)s on %(date)s") % {
            "reference": message.report.reference, "date": _date_label(message.created_at),
        }
    return f"— {heading}:\n{message.body}"


def report_account(report: Report) -> tuple[str, list[str]]:
    """The report's first narrative and the blocks of every follow-up message the reporter sent."""
    blocks = [
        report_message_block(m)
        for m in report.messages.filter(author_kind=ReportMessage.Author.REPORTER).select_related("report")
        if m.body
    ]
    return report.narrative, blocks


def _hand_over_files(*, report: Report, incident: Incident, acting_user: User | None) -> list[int]:
    """Every file of the report becomes evidence of the incident; the same file, custody continued."""
    from amparo.evidence.services import evidence_attach

    moved = []
    for link in report.files.select_related("evidence").filter(evidence__deleted_at=None):
        if link.evidence.incident_id is None:
            evidence_attach(
                evidence=link.evidence, incident=incident, acting_user=acting_user,
                purpose=f"report {report.reference} handed over to {incident.reference}",
            )
            moved.append(link.evidence_id)
    return moved


def incident_from_report(*, report: Report, acting_user: User, code_name: str) -> tuple[Incident, list[int]]:
    """A new incident with everything the report holds: every message, every file, every detail."""
    person = person_create(organisation=report.organisation, acting_user=acting_user, code_name=code_name)
    occurred_on, precision = _date(report)
    first, blocks = report_account(report)
    fields: dict[str, Any] = {
        "date_precision": precision,
        "narrative": "\n\n".join([first, *blocks]).strip(),
        "source": "self" if report.reporter == Report.Reporter.VICTIM else "anonymous_report",
        "consent_store": report.consent_store,
        "consent_share_stats": report.consent_share_stats,
        "consent_legal_action": report.consent_legal_action,
        "consent_contact": bool(report.consent_help and report.contact),
        "contact_preference": report.contact,
    }
    if report.district_id:
        fields["district"] = report.district_id
    incident = incident_create(
        organisation=report.organisation,
        acting_user=acting_user,
        occurred_on=occurred_on,
        violation_codes=report.violation_codes,
        perpetrator_codes=report.perpetrator_codes,
        origin=IncidentOrigin.ANONYMOUS_REPORT,
        # A witness reports about someone else: that someone is still the person affected.
        persons=[person],
        department_code="" if report.district_id else report.department_code,
        **fields,
    )
    return incident, _hand_over_files(report=report, incident=incident, acting_user=acting_user)


def incident_add_report(*, incident: Incident, report: Report, acting_user: User) -> dict[str, Any]:
    """Add a report's account (first narrative and follow-ups), violations, perpetrators and files
    to an incident. Returns what was added, so that the merge can be undone exactly."""
    before_violations = set(incident.violations.values_list("code", flat=True))
    before_perpetrators = set(incident.perpetrator_types.values_list("code", flat=True))
    first, blocks = report_account(report)
    added_text = []
    if first:
        with translation.override(settings.LANGUAGE_CODE):
            heading = _("Anonymous report %(reference)s") % {"reference": report.reference}
        added_text.append(f"— {heading}:\n{first}")
    added_text += blocks
    narrative = "\n\n".join([incident.narrative, *added_text]).strip()
    incident_update(
        incident=incident, acting_user=acting_user, narrative=narrative,
        violation_codes=sorted(before_violations | set(report.violation_codes)),
        perpetrator_codes=sorted(before_perpetrators | set(report.perpetrator_codes)),
    )
    return {
        "text": added_text,
        "violations": sorted(set(report.violation_codes) - before_violations),
        "perpetrators": sorted(set(report.perpetrator_codes) - before_perpetrators),
        "evidence": _hand_over_files(report=report, incident=incident, acting_user=acting_user),
    }


def incident_add_report_message(*, incident: Incident, message: ReportMessage, files: list[Any]) -> str:
    """What the reporter adds after triage reaches the incident: text appended, files handed over.
    Returns the text block appended (empty when there was no text)."""
    from amparo.evidence.services import evidence_attach

    block = report_message_block(message) if message is not None and message.body else ""
    if block:
        incident_update(incident=incident, acting_user=None, narrative=f"{incident.narrative}\n\n{block}".strip())
    for link in files:
        evidence_attach(
            evidence=link.evidence, incident=incident, acting_user=None,
            purpose=f"report {link.report.reference} handed over to {incident.reference}",
        )
    return block


def incident_take_back_report(*, incident: Incident, added: dict[str, Any], acting_user: User) -> bool:
    """Undo a merge: remove what `incident_add_report` (and later follow-ups) added, and no more.

    Text someone has since edited cannot be found as it was added and stays; returns False then,
    so the coordinator is told to review the narrative."""
    from amparo.evidence.models import EvidenceFile
    from amparo.evidence.services import evidence_attach

    narrative, intact = incident.narrative, True
    for block in added.get("text", []):
        if block in narrative:
            narrative = narrative.replace(block, "", 1)
        else:
            intact = False
    narrative = re.sub(r"\n{3,}", "\n\n", narrative).strip()
    violations = set(incident.violations.values_list("code", flat=True)) - set(added.get("violations", []))
    perpetrators = set(incident.perpetrator_types.values_list("code", flat=True)) - set(added.get("perpetrators", []))
    incident_update(
        incident=incident, acting_user=acting_user, narrative=narrative,
        violation_codes=sorted(violations) or None, perpetrator_codes=sorted(perpetrators),
    )
    for evidence in EvidenceFile.objects.filter(pk__in=added.get("evidence", []), incident=incident, deleted_at=None):
        evidence_attach(evidence=evidence, incident=None, acting_user=acting_user, purpose=f"merge into {incident.reference} undone")
    return intact


def incident_candidates(
    *, membership: Membership, low: datetime.date, high: datetime.date
) -> Iterator[tuple[Incident, datetime.date, Any, str, set[str]]]:
    """Incidents the membership may see in a date range, with what duplicate scoring compares."""
    incidents = (
        incident_scope(membership=membership)
        .filter(occurred_on__range=(low, high))
        .only("pk", "reference", "occurred_on", "district_id", "department_id", "organisation_id")
        .prefetch_related("violations")[:200]
    )
    for incident in incidents:
        codes = {t.code for t in incident.violations.all()}
        yield incident, incident.occurred_on, incident.district_id, incident.department_id or "", codes


def incident_get(*, membership: Membership, reference_or_id: str) -> Incident:
    """An incident the membership may see, by its reference or its number; Http404 otherwise."""
    from django.http import Http404

    from amparo.records.selectors import incident_get_for

    if reference_or_id.isdigit():
        return incident_get_for(membership=membership, incident_id=int(reference_or_id))
    incident = incident_scope(membership=membership).filter(reference=reference_or_id).first()
    if incident is None:
        raise Http404
    return incident
