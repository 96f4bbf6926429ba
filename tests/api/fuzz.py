"""Schemathesis over /api/v1/openapi.json, in-process through the WSGI app.

Shared by tests/api/test_schemathesis.py (which fails on any finding) and bench/schemathesis.py
(which prints the figures). Each operation gets a fixed budget of generated cases with a fixed
seed (hypothesis `derandomize`), so a run is reproducible and bounded in time.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

# Cases per operation and generation mode (positive, negative): the budget that keeps the run under
# a couple of minutes on a shared two-core machine.
MAX_EXAMPLES = 15


@dataclass
class Finding:
    operation: str
    status: int
    check: str
    message: str
    reproduce: str


@dataclass
class Report:
    identity: str
    operations: int = 0
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def line(self) -> str:
        failing_ops = len({f.operation for f in self.findings})
        return (
            f"{self.identity}: {self.operations} operations, {self.cases} cases, "
            f"{len(self.findings)} failures ({failing_ops} operations), {self.seconds:.1f} s; statuses "
            + " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        )


def _checks() -> list[Any]:
    from schemathesis.checks import load_all_checks, not_a_server_error

    load_all_checks()
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def run(
    *, identity: str, headers: dict[str, str], public_only: bool, max_examples: int = 25,
    path_values: dict[str, list[Any]] | None = None,
) -> Report:
    """Run every operation (or only the anonymous public ones) and collect what breaks.

    Each operation gets `max_examples` valid cases and as many invalid ones (schemathesis'
    positive and negative modes). `path_values` names real values for path parameters (an
    organisation's slug, ids that exist): every other case uses one of them instead of the
    generated value, so handlers run past their 404.
    """
    import schemathesis

    # The schema as clients get it, from /api/v1/openapi.json, through the same WSGI app.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from amparo.wsgi import application

    # As Django's test client does: a request must not close the test's connection (on
    # PostgreSQL it would end the transaction the test runs in).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
        checks = _checks()
        report = Report(identity=identity)
        started = time.monotonic()
        for result in schema.get_all_operations():
            operation = result.ok()
            is_public = not operation.definition.raw.get("security")
            if public_only != is_public:
                continue
            report.operations += 1
            _run_operation(operation, report=report, app=application, headers=headers, checks=checks,
                           max_examples=max_examples, path_values=path_values or {})
        report.seconds = time.monotonic() - started
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return report


def _run_operation(
    operation: Any, *, report: Report, app: Any, headers: dict[str, str], checks: list[Any], max_examples: int,
    path_values: dict[str, list[Any]],
) -> None:
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    seen: set[str] = set()
    counter = [0]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @hypothesis.settings(
        max_examples=max_examples * 2, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
    )
    def one(case: Any) -> None:
        report.cases += 1
        counter[0] += 1
        if path_values and case.path_parameters and counter[0] % 2 == 0:
            for name in list(case.path_parameters):
                choices = path_values.get(name)
                if choices:
                    case.path_parameters[name] = choices[counter[0] // 2 % len(choices)]
        response = case.call(app=app, headers=headers)
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers, transport_kwargs={"app": app})
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{failure.title}:{response.status_code}"
                if key in seen:
                    continue
                seen.add(key)
                report.findings.append(Finding(
                    operation=operation.label, status=response.status_code, check=failure.title,
                    message=str(failure.message)[:600], reproduce=case.as_curl_command(headers=headers),
                ))

    one()


def seed(*, client: Any, organisation_slug: str, region: str = "15", district: str = "150101") -> dict[str, list[Any]]:
    """Records of every kind through the API itself (the client carries a coordinator's token).

    Returns the real values for each path parameter name of the API.
    """
    from amparo.vocab.models import Term, Vocabulary

    violation = Term.objects.filter(vocabulary=Vocabulary.VIOLATION, is_active=True).values_list("code", flat=True).first()

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/v1{path}", body, content_type="application/json")
        assert response.status_code in (200, 201), (path, response.status_code, response.content[:500])
        return response.json()

    incident = post("/incidents", {
        "occurred_on": "2025-03-14", "violations": [violation], "consent_store": True, "department": region,
        "district": district, "narrative": "Nos detuvieron sin motivo.",
    })
    person = post("/people", {"code_name": "Mariposa", "is_defender": True})
    post(f"/incidents/{incident['id']}/people", {"person_id": person["id"], "role": "victim"})
    case = post("/cases", {"title": "Detención arbitraria", "incident_ids": [incident["id"]], "person_ids": [person["id"]]})
    route = post(f"/cases/{case['id']}/routes", {"route": "criminal", "stage": "complaint_police"})
    deadline = post(f"/cases/{case['id']}/deadlines", {"title": "Plazo", "amount": 5, "unit": "business_days"})
    post(f"/cases/{case['id']}/hearings", {"scheduled_at": "2026-05-04T10:00:00-05:00", "purpose": "Audiencia"})
    service = post("/services", {"kind": "legal_aid", "name": "Consultorio jurídico"})
    referral = post("/referrals", {"incident_id": incident["id"], "service_id": service["id"], "need": "legal_aid",
                                     "consent_given": True, "consent_method": "verbal"})
    security = post("/security-records", {"incident_id": incident["id"], "defender_id": person["id"]})
    alarm = post("/alerts/alarms", {"kind": "raid", "district": district, "place": "Av. Abancay"})
    detained = post(f"/alerts/alarms/{alarm['id']}/detained", {"code_name": "Luna", "since": "2026-05-04T02:00:00-05:00"})
    alert = post("/alerts/community", {"kind": "bad_date", "region": region, "report": "Un cliente violento en la zona."})
    programme = post("/programmes", {"kind": "campaign", "name": "Campaña de pruebas", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    venue = post("/venues", {"code_name": "Sauna Azul", "kind": "sauna", "district": district, "address": "Calle 1"})
    indicator = post(f"/programmes/{programme['id']}/indicators", {"name": "Pruebas", "measure": "tests_done", "target": 100,
                                                                   "venue_id": venue["id"]})
    activity = post("/activities", {"kind": "testing_day", "held_on": "2026-03-10", "programme_id": programme["id"],
                                    "venue_id": venue["id"], "tests_done": 12, "tests_reactive": 1})
    return {
        "incident_id": [incident["id"]], "person_id": [person["id"]], "case_id": [case["id"]], "route_id": [route["id"]],
        "deadline_id": [deadline["id"]], "service_id": [service["id"]], "referral_id": [referral["id"]],
        "record_id": [security["id"]], "alarm_id": [alarm["id"]], "detained_id": [detained["id"]], "alert_id": [alert["id"]],
        "org_slug": [organisation_slug], "org": [organisation_slug], "slug": [organisation_slug], "region": [region],
        "vocabulary": [Vocabulary.VIOLATION], "programme_id": [programme["id"]], "venue_id": [venue["id"]],
        "indicator_id": [indicator["id"]], "activity_id": [activity["id"]],
    }
