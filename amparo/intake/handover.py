"""How a triaged report becomes an incident, or joins one: the only place intake writes records."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership, User
from amparo.intake.models import Report
from amparo.records.models import DatePrecision, Incident, IncidentOrigin
from amparo.records.selectors import incident_scope
from amparo.records.services import incident_create, incident_update, person_create


def _date(report: Report) -> tuple[datetime.date, str]:
    if report.occurred_on is None or report.date_precision == Report.Precision.UNKNOWN:
        # Not remembered: the year it was reported in is the best an incident can say.
        return timezone.localtime(report.received_at).date(), DatePrecision.YEAR
    return report.occurred_on, report.date_precision


def incident_from_report(*, report: Report, acting_user: User, code_name: str) -> Incident:
    person = person_create(organisation=report.organisation, acting_user=acting_user, code_name=code_name)
    occurred_on, precision = _date(report)
    fields: dict[str, Any] = {
        "date_precision": precision,
        "narrative": report.narrative,
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
    return incident


def incident_add_report(*, incident: Incident, report: Report, acting_user: User) -> Incident:
    """Add a report's account to an incident's narrative and its violations and perpetrators to the incident's."""
    violation_codes = set(incident.violations.values_list("code", flat=True)) | set(report.violation_codes)
    perpetrator_codes = set(incident.perpetrator_types.values_list("code", flat=True)) | set(report.perpetrator_codes)
    narrative = incident.narrative
    if report.narrative:
        heading = _("Anonymous report %(reference)s") % {"reference": report.reference}
        narrative = f"{narrative}\n\n— {heading}:\n{report.narrative}".strip()
    return incident_update(
        incident=incident, acting_user=acting_user, narrative=narrative,
        violation_codes=sorted(violation_codes), perpetrator_codes=sorted(perpetrator_codes),
    )


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
