"""Bad input to every record endpoint: a 4xx in the one error shape, and nothing saved.

Each case names the field the error must point at. "Nothing saved" is checked on the rows
of every table a write could touch (and the audit trail), not just on the main record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from amparo.audit.models import AuditEvent
from amparo.records.models import (
    Incident,
    IncidentPerpetrator,
    IncidentPerson,
    IncidentViolation,
    Person,
    ReferenceCounter,
)
from amparo.records.tests.test_api_support import Api, api_for, assert_error, make_records

pytestmark = pytest.mark.django_db

VALID_INCIDENT = {"occurred_on": "2025-03-01", "violations": ["threat"], "consent_store": True, "district": "150101"}


@pytest.fixture
def records(personas):
    return make_records(personas)


@pytest.fixture
def carla(personas, client):
    return api_for(client, personas, personas.carla)


def snapshot() -> tuple[Any, ...]:
    """Everything a write to incidents or people could change."""
    return (
        list(Incident.objects.order_by("pk").values_list("pk", "updated_at", "status", "assigned_to_id", "occurred_on")),
        list(Person.objects.order_by("pk").values_list("pk", "updated_at", "code_name")),
        list(IncidentPerson.objects.order_by("pk").values_list("pk", "role")),
        list(IncidentViolation.objects.order_by("pk").values_list("pk", "term_id")),
        list(IncidentPerpetrator.objects.order_by("pk").values_list("pk", "term_id")),
        list(ReferenceCounter.objects.order_by("pk").values_list("pk", "last")),
        AuditEvent.objects.count(),
    )


def check_refused(api: Api, method: str, path: str, cases: list[tuple[Any, int, str | None]]) -> None:
    """Send each (body, status, field) and check the error shape, the field named, and that nothing moved."""
    for body, status, field in cases:
        before = snapshot()
        response = getattr(api, method)(path, body)
        try:
            error = assert_error(response, status)
            if field is not None:
                assert field in error["fields"], error
                assert all(isinstance(m, str) and m for m in error["fields"][field]), error
        except AssertionError as exc:
            raise AssertionError(f"{method.upper()} {path} with {str(body)[:200]!r}: {exc}") from exc
        assert snapshot() == before, f"{method.upper()} {path} with {str(body)[:200]!r} saved something"


def envelope_cases(valid: dict[str, Any]) -> list[tuple[Any, int, str | None]]:
    """What is wrong with the request as a whole, for any JSON write endpoint."""
    return [
        ("{not json", 400, None),
        ('{"code_name": "Nueva",}', 400, None),
        ("[]", 422, None),
        ('"texto"', 422, None),
        ("null", 422, None),
        ("", 422, None),
        ({**valid, "organisation": 2}, 422, "organisation"),
        ({**valid, "id": 1}, 422, "id"),
        (json.dumps({**valid, "narrative": "x" * (3 * 1024 * 1024)}), 413, None),
    ]


def check_content_types(api: Api, method: str, path: str, valid: dict[str, Any]) -> None:
    for content_type, status in (("text/plain", 415), ("application/x-www-form-urlencoded", 415), ("multipart/form-data; boundary=x", 415)):
        before = snapshot()
        response = getattr(api, method)(path, json.dumps(valid), content_type=content_type)
        assert_error(response, status, "unsupported_media_type")
        assert snapshot() == before
    before = snapshot()
    assert_error(getattr(api, method)(path, "occurred_on=2025-01-01", content_type="application/x-www-form-urlencoded"), 400, "bad_request")
    assert snapshot() == before


# ---- incidents --------------------------------------------------------------------------------


def test_creating_an_incident_refuses_bad_input(personas, records, carla):
    v = VALID_INCIDENT
    cases: list[tuple[Any, int, str | None]] = [
        ({**v, "occurred_on": "2099-01-01"}, 422, "occurred_on"),
        ({**v, "occurred_on": "14/03/2025"}, 422, "occurred_on"),
        ({**v, "occurred_on": 1700000000}, 422, "occurred_on"),
        ({**v, "occurred_on": "2025-03-14T10:00:00"}, 422, "occurred_on"),
        ({**v, "occurred_on": "2025-02-30"}, 422, "occurred_on"),
        ({**v, "occurred_on": "1985-01-01"}, 422, "occurred_on"),
        ({k: x for k, x in v.items() if k != "occurred_on"}, 422, "occurred_on"),
        ({**v, "occurred_time": "25:00"}, 422, "occurred_time"),
        ({**v, "occurred_time": "noon"}, 422, "occurred_time"),
        ({**v, "date_precision": "week"}, 422, "date_precision"),
        ({**v, "violations": []}, 422, "violations"),
        ({**v, "violations": ["nope"]}, 422, "violations"),
        ({**v, "violations": "threat"}, 422, "violations"),
        ({**v, "violations": ["Threat!"]}, 422, "violations.0"),
        ({**v, "violations": ["threat"] * 41}, 422, "violations"),
        ({**v, "perpetrators": ["nope"]}, 422, "perpetrators"),
        ({**v, "place_type": "palace"}, 422, "place_type"),
        ({**v, "source": "rumour"}, 422, "source"),
        ({**v, "district": "999999"}, 422, "district"),
        ({**v, "district": "15010"}, 422, "district"),
        ({**v, "district": 150101}, 422, "district"),
        ({**v, "department": "99", "district": None}, 422, "department"),
        ({**v, "department": "04"}, 422, "district"),
        ({k: x for k, x in v.items() if k != "consent_store"}, 422, "consent_store"),
        ({**v, "consent_store": False}, 422, "consent_store"),
        ({**v, "consent_store": "true"}, 422, "consent_store"),
        ({**v, "consent_store": 1}, 422, "consent_store"),
        ({**v, "consent_contact": "no"}, 422, "consent_contact"),
        ({**v, "people_affected": 0}, 422, "people_affected"),
        ({**v, "people_affected": 10001}, 422, "people_affected"),
        ({**v, "people_affected": "3"}, 422, "people_affected"),
        ({**v, "people_affected": 2.5}, 422, "people_affected"),
        ({**v, "narrative": "x" * 20001}, 422, "narrative"),
        ({**v, "narrative": 123}, 422, "narrative"),
        ({**v, "perpetrator_details": "x" * 2001}, 422, "perpetrator_details"),
        ({**v, "contact_preference": "x" * 501}, 422, "contact_preference"),
        ({**v, "reliability": "sure"}, 422, "reliability"),
        ({**v, "person_ids": [999999]}, 422, "person_ids"),
        ({**v, "person_ids": [records["picaflor"].pk]}, 422, "person_ids"),
        ({**v, "person_ids": ["1"]}, 422, "person_ids.0"),
        ({**v, "person_ids": [0]}, 422, "person_ids.0"),
        ({**v, "status": "closed"}, 422, "status"),
        ({**v, "reference": "LIM-2020-00001"}, 422, "reference"),
        ({**v, "assigned_to": personas.dora.pk}, 422, "assigned_to"),
        *envelope_cases(v),
    ]
    check_refused(carla, "post", "/incidents", cases)
    check_content_types(carla, "post", "/incidents", v)
    assert carla.post("/incidents", v).status_code == 201  # the valid body itself is fine


def test_changing_an_incident_refuses_bad_input_and_keeps_it_whole(personas, records, carla):
    path = f"/incidents/{records['dora_incident'].pk}"
    cases: list[tuple[Any, int, str | None]] = [
        ({"occurred_on": None}, 422, "occurred_on"),
        ({"occurred_on": "2099-01-01"}, 422, "occurred_on"),
        ({"violations": []}, 422, "violations"),
        ({"violations": None}, 422, "violations"),
        ({"violations": ["nope"]}, 422, "violations"),
        ({"consent_store": False}, 422, "consent_store"),
        ({"consent_store": None}, 422, "consent_store"),
        ({"district": "999999"}, 422, "district"),
        ({"people_affected": 0}, 422, "people_affected"),
        ({"narrative": "x" * 20001}, 422, "narrative"),
        ({"narrative": None}, 422, "narrative"),
        ({"status": "archived"}, 422, "status"),
        ({"assigned_to": "3"}, 422, "assigned_to"),
        ({"assigned_to": 999999}, 422, "assigned_to"),
        ({"assigned_to": personas.ana.pk}, 422, "assigned_to"),
        ({"department": "15"}, 422, "department"),
        ({"person_ids": [1]}, 422, "person_ids"),
        # A valid change beside an invalid one: neither is kept.
        ({"narrative": "Cambiado", "violations": ["nope"]}, 422, "violations"),
        ({"narrative": "Cambiado", "perpetrators": ["pnp_officer"], "assigned_to": personas.ana.pk}, 422, "assigned_to"),
        ({"status": "closed", "assigned_to": 999999}, 422, "assigned_to"),
        *envelope_cases({"narrative": "Cambiado"}),
    ]
    check_refused(carla, "patch", path, cases)
    check_content_types(carla, "patch", path, {"narrative": "Cambiado"})
    incident = Incident.objects.get(pk=records["dora_incident"].pk)
    assert incident.narrative == "Nos detuvieron sin motivo en la avenida." and incident.status == "new"


def test_adding_a_person_to_an_incident_refuses_bad_input(personas, records, carla):
    path = f"/incidents/{records['dora_incident'].pk}/people"
    cases: list[tuple[Any, int, str | None]] = [
        ({}, 422, None),
        ({"person_id": records["gaviota"].pk, "person": {"code_name": "Nueva"}}, 422, None),
        ({"person_id": 999999}, 422, "person_id"),
        ({"person_id": records["picaflor"].pk}, 422, "person_id"),
        ({"person_id": str(records["gaviota"].pk)}, 422, "person_id"),
        ({"person_id": records["gaviota"].pk, "role": "boss"}, 422, "role"),
        ({"person": {"code_name": ""}}, 422, "person.code_name"),
        ({"person": {"code_name": "Nueva", "phone": "9" * 41}}, 422, "person.phone"),
        ({"person": {"code_name": "Nueva", "organisation": 2}}, 422, "person.organisation"),
        ({"person": "Nueva"}, 422, "person"),
        *envelope_cases({"person": {"code_name": "Nueva"}}),
    ]
    check_refused(carla, "post", path, cases)
    check_content_types(carla, "post", path, {"person": {"code_name": "Nueva"}})


# ---- people -----------------------------------------------------------------------------------


def test_creating_a_person_refuses_bad_input(personas, records, carla):
    v = {"code_name": "Nueva"}
    cases: list[tuple[Any, int, str | None]] = [
        ({}, 422, "code_name"),
        ({"code_name": ""}, 422, "code_name"),
        ({"code_name": "   "}, 422, "code_name"),
        ({"code_name": "x" * 61}, 422, "code_name"),
        ({"code_name": 42}, 422, "code_name"),
        ({**v, "phone": "9" * 41}, 422, "phone"),
        ({**v, "phone": 999111222}, 422, "phone"),
        ({**v, "legal_name": "x" * 201}, 422, "legal_name"),
        ({**v, "address": "x" * 501}, 422, "address"),
        ({**v, "hiv_status": "x" * 101}, 422, "hiv_status"),
        ({**v, "gender_identity": "woman"}, 422, "gender_identity"),
        ({**v, "age_band": "30"}, 422, "age_band"),
        ({**v, "nationality": "Peru"}, 422, "nationality"),
        ({**v, "migrant_status": "undocumented"}, 422, "migrant_status"),
        ({**v, "work_setting": "bar"}, 422, "work_setting"),
        ({**v, "id_document_type": "licence"}, 422, "id_document_type"),
        ({**v, "is_defender": "yes"}, 422, "is_defender"),
        ({**v, "phone_index": "abc"}, 422, "phone_index"),
        ({**v, "created_by": 1}, 422, "created_by"),
        *envelope_cases(v),
    ]
    check_refused(carla, "post", "/people", cases)
    check_content_types(carla, "post", "/people", v)


def test_changing_a_person_refuses_bad_input(personas, records, carla):
    path = f"/people/{records['colibri'].pk}"
    cases: list[tuple[Any, int, str | None]] = [
        ({"code_name": None}, 422, "code_name"),
        ({"code_name": ""}, 422, "code_name"),
        ({"code_name": "  "}, 422, "code_name"),
        ({"phone": None}, 422, "phone"),
        ({"phone": "9" * 41}, 422, "phone"),
        ({"is_defender": None}, 422, "is_defender"),
        ({"gender_identity": "x"}, 422, "gender_identity"),
        ({"code_name": "Nueva", "age_band": "99"}, 422, "age_band"),
        ({"phone_index": "abc"}, 422, "phone_index"),
        *envelope_cases({"code_name": "Nueva"}),
    ]
    check_refused(carla, "patch", path, cases)
    check_content_types(carla, "patch", path, {"code_name": "Nueva"})
    assert Person.objects.get(pk=records["colibri"].pk).code_name == "Colibrí"


def test_looking_up_a_person_refuses_bad_input(personas, records, carla):
    cases: list[tuple[Any, int, str | None]] = [
        ({}, 422, None),
        ({"phone": "  ", "id_number": ""}, 422, None),
        ({"phone": "9" * 41}, 422, "phone"),
        ({"phone": 999111222}, 422, "phone"),
        ({"id_number": ["11111111"]}, 422, "id_number"),
        *envelope_cases({"phone": "999111222"}),
    ]
    check_refused(carla, "post", "/people/lookup", cases)
    check_content_types(carla, "post", "/people/lookup", {"phone": "999111222"})


# ---- query strings and paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2025-13-01", "date_from"),
        ("date_from=1700000000", "date_from"),
        ("date_from=2025-03-01&date_to=2024-01-01", "date_to"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("status=archived", "status"),
        ("department=1", "department"),
        ("department=99", "department"),
        ("violation=nope", "violation"),
        ("perpetrator=nope", "perpetrator"),
        ("q=" + "x" * 25, "q"),
        ("departmnet=15", "departmnet"),
    ],
)
def test_the_incident_list_refuses_bad_filters(personas, carla, query, field):
    error = assert_error(carla.client.get(f"/api/v1/incidents?{query}", **carla.headers), 422, "validation")
    assert field in error["fields"], error


def test_the_people_list_refuses_bad_parameters_and_phones_in_the_url(personas, carla):
    for query, field in (("limit=0", "limit"), ("q=" + "x" * 61, "q"), ("phone=999111222", "phone"), ("id_number=1", "id_number")):
        error = assert_error(carla.client.get(f"/api/v1/people?{query}", **carla.headers), 422, "validation")
        assert field in error["fields"], error


def test_record_paths_refuse_what_is_not_an_id(personas, records, carla):
    before = snapshot()
    for path in ("/incidents/abc", "/incidents/0", "/incidents/-1", "/incidents/99999999999999999999",
                 "/people/abc", "/people/99999999999999999999"):
        for method in ("get", "patch", "delete") if path.startswith("/incidents") else ("get", "patch"):
            response = carla.get(path) if method == "get" else carla.delete(path) if method == "delete" else carla.patch(path, {"code_name": "x"})
            assert_error(response, 422, "validation")
    assert_error(carla.get(f"/incidents/{records['dora_incident'].pk}?reveal=maybe"), 422, "validation")
    assert snapshot() == before


def test_an_id_beyond_the_column_is_a_plain_404(personas, records, carla):
    # 2**63 - 1 passes validation; the database must still answer "not found", not fail.
    assert_error(carla.get(f"/incidents/{2**63 - 1}"), 404, "not_found")
    assert_error(carla.get(f"/people/{2**63 - 1}"), 404, "not_found")
