"""What the record endpoints do for someone allowed to call them: filters, pages, writes,
sealed fields only on request and every reveal in the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amparo.audit.models import AuditEvent
from amparo.records.models import Incident, IncidentPerson, Person
from amparo.records.services import incident_set_status
from amparo.records.tests.test_api_support import api_for, assert_error, make_records
from conftest import make_incident, make_person

pytestmark = pytest.mark.django_db

SEALED_INCIDENT_COLUMNS = ('"narrative"', '"perpetrator_details"', '"contact_preference"')
SEALED_PERSON_COLUMNS = ('"chosen_name"', '"legal_name"', '"id_number"', '"phone"', '"safe_contact"', '"address"', '"hiv_status"')


@pytest.fixture
def records(personas):
    return make_records(personas)


@pytest.fixture
def carla(personas, client):
    return api_for(client, personas, personas.carla)


# ---- incidents: list --------------------------------------------------------------------------


def test_the_list_pages_with_limit_offset_and_a_total(personas, carla):
    for day in range(1, 8):
        make_incident(personas.org, personas.carla, occurred_on=date(2024, 5, day))
    first = carla.get("/incidents", {"limit": 3}).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (7, 3, 0, 3)
    assert [i["occurred_on"] for i in first["items"]] == ["2024-05-07", "2024-05-06", "2024-05-05"]
    last = carla.get("/incidents", {"limit": 3, "offset": 6}).json()
    assert [i["occurred_on"] for i in last["items"]] == ["2024-05-01"]
    assert carla.get("/incidents", {"offset": 50}).json() == {"total": 7, "limit": 25, "offset": 50, "items": []}


def test_the_list_filters_like_the_page(personas, records, carla):
    dora, diana = records["dora_incident"], records["diana_incident"]
    old = make_incident(personas.org, personas.carla, occurred_on=date(2021, 6, 1), district="040101",
                        violation_codes=["extortion"], perpetrator_codes=["serenazgo"])
    incident_set_status(incident=old, status="closed", acting_user=personas.carla)

    def ids(**params):  # type: ignore[no-untyped-def]
        return {i["id"] for i in carla.get("/incidents", params).json()["items"]}

    assert ids(date_to="2022-01-01") == {old.pk}
    assert ids(date_from="2022-01-01") == {dora.pk, diana.pk, records["lawyer_incident"].pk}
    assert ids(date_from="2021-06-01", date_to="2021-06-01") == {old.pk}
    assert ids(department="04") == {old.pk}
    assert ids(violation="raid") == {diana.pk}
    assert ids(perpetrator="serenazgo") == {old.pk}
    assert ids(status="closed") == {old.pk}
    assert ids(q=dora.reference) == {dora.pk}
    assert ids(department="15", violation="arbitrary_detention") == {dora.pk, records["lawyer_incident"].pk}
    assert ids(violation="killing") == set()


def test_the_list_shows_codes_and_places_but_no_sealed_field(personas, records, carla):
    item = next(i for i in carla.get("/incidents").json()["items"] if i["id"] == records["diana_incident"].pk)
    assert item["reference"] == records["diana_incident"].reference
    assert item["violations"] == ["raid"] and item["perpetrators"] == ["pnp_officer"]
    assert item["department"] == {"code": "15", "name": "Lima"}
    assert item["district"]["code"] == "150132"
    assert item["involves_state_agent"] is True
    assert not {"narrative", "perpetrator_details", "contact_preference", "sensitive"} & set(item)
    assert "Otro caso de Diana" not in carla.get("/incidents").content.decode()


def test_the_list_neither_reads_sealed_columns_nor_grows_its_queries_with_rows(personas, carla):
    for _ in range(3):
        make_incident(personas.org, personas.carla)
    carla.get("/incidents")  # the token's first use of the minute also stamps last_used_at
    with CaptureQueriesContext(connection) as few:
        assert carla.get("/incidents").status_code == 200
    for _ in range(9):
        make_incident(personas.org, personas.carla, violation_codes=["raid", "threat"], perpetrator_codes=["client", "pnp_officer"])
    with CaptureQueriesContext(connection) as many:
        assert len(carla.get("/incidents").json()["items"]) == 12
    assert len(many) == len(few)
    for query in many.captured_queries:
        assert not any(column in query["sql"] for column in SEALED_INCIDENT_COLUMNS), query["sql"]
    assert not AuditEvent.objects.filter(action__endswith="sensitive_viewed").exists()


def test_the_people_list_reads_no_sealed_column(personas, records, carla):
    with CaptureQueriesContext(connection) as queries:
        body = carla.get("/people").json()
    assert {p["code_name"] for p in body["items"]} == {"Colibrí", "Gaviota"}
    assert body["total"] == 2
    assert not {"phone", "legal_name", "id_number", "sensitive"} & set(body["items"][0])
    for query in queries.captured_queries:
        assert not any(column in query["sql"] for column in SEALED_PERSON_COLUMNS), query["sql"]


def test_the_people_list_searches_code_names_and_pages(personas, records, carla):
    for n in range(4):
        make_person(personas.org, personas.carla, code_name=f"Alondra {n}", phone="", id_number="")
    assert [p["code_name"] for p in carla.get("/people", {"q": "alondra", "limit": 2, "offset": 1}).json()["items"]] == ["Alondra 1", "Alondra 2"]
    assert carla.get("/people", {"q": "alondra"}).json()["total"] == 4


# ---- incidents: detail and reveal -------------------------------------------------------------


def test_the_detail_leaves_sealed_fields_out_unless_asked_and_writes_no_audit_then(personas, records, carla):
    incident = records["dora_incident"]
    before = AuditEvent.objects.count()
    body = carla.get(f"/incidents/{incident.pk}").json()
    assert body["sensitive"] is None
    assert body["people"] == [{"id": records["colibri"].pk, "code_name": "Colibrí", "role": "victim", "harms": []}]
    assert body["consent_store"] is True and body["consent_share_stats"] is True
    assert body["province"] == {"code": "1501", "name": "Lima"}
    assert "Nos detuvieron" not in carla.get(f"/incidents/{incident.pk}").content.decode()
    assert AuditEvent.objects.count() == before


def test_revealing_an_incident_is_audited_with_field_names_never_values(personas, records, carla):
    incident = records["dora_incident"]
    body = carla.get(f"/incidents/{incident.pk}", {"reveal": "true"}).json()
    assert body["sensitive"] == {
        "narrative": "Nos detuvieron sin motivo en la avenida.",
        "perpetrator_details": "Placa 12345, patrullero PL-1234",
        "contact_preference": "",
    }
    event = AuditEvent.objects.get(action="incident.sensitive_viewed")
    assert event.actor_id == personas.carla.pk and event.organisation_id == personas.org.pk
    assert event.target_id == str(incident.pk)
    assert set(event.fields) == set(Incident.SENSITIVE_FIELDS)
    assert "Nos detuvieron" not in str(event.detail) and "12345" not in str(event.fields)
    carla.get(f"/incidents/{incident.pk}", {"reveal": "true"})
    assert AuditEvent.objects.filter(action="incident.sensitive_viewed").count() == 2


def test_revealing_a_person_is_audited(personas, records, carla):
    person = records["colibri"]
    assert carla.get(f"/people/{person.pk}").json()["sensitive"] is None
    assert not AuditEvent.objects.filter(action="person.sensitive_viewed").exists()
    body = carla.get(f"/people/{person.pk}", {"reveal": "true"}).json()
    assert body["sensitive"]["phone"] == "999111222"
    assert body["sensitive"]["legal_name"] == "Rosa Quispe Huamán"
    assert body["incidents"] == [{"id": records["dora_incident"].pk, "reference": records["dora_incident"].reference,
                                  "occurred_on": "2025-03-14", "status": "new"}]
    event = AuditEvent.objects.get(action="person.sensitive_viewed")
    assert (event.actor_id, event.target_id) == (personas.carla.pk, str(person.pk))
    assert set(event.fields) == set(Person.SENSITIVE_FIELDS)
    assert "999111222" not in str(event.detail)


def test_a_documenter_sees_only_her_visible_incidents_on_a_person(personas, records, client):
    # Colibrí also appears in Diana's incident; Dora must not learn of it through the person.
    from amparo.records.services import incident_add_person

    incident_add_person(incident=records["diana_incident"], person=records["colibri"], acting_user=personas.diana)
    body = api_for(client, personas, personas.dora).get(f"/people/{records['colibri'].pk}").json()
    assert [i["id"] for i in body["incidents"]] == [records["dora_incident"].pk]


# ---- incidents: writes ------------------------------------------------------------------------


def test_it_records_a_complete_incident(personas, records, client):
    api = api_for(client, personas, personas.dora)
    payload = {
        "occurred_on": "2025-01-20", "date_precision": "day", "occurred_time": "23:30",
        "department": "15", "district": "150132", "place_type": "street",
        "violations": ["raid", "arbitrary_detention"], "perpetrators": ["pnp_officer", "serenazgo"],
        "perpetrator_details": "Patrullero 4412", "narrative": "Batida en la madrugada.",
        "people_affected": 6, "source": "self", "reliability": "high",
        "consent_store": True, "consent_share_stats": True, "consent_legal_action": False, "consent_contact": True,
        "contact_preference": "WhatsApp por la tarde", "person_ids": [records["colibri"].pk],
    }
    response = api.post("/incidents", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["reference"] == incident.reference and body["sensitive"] is None
    assert sorted(body["violations"]) == ["arbitrary_detention", "raid"]
    assert body["district"]["code"] == "150132" and body["department"]["code"] == "15"
    assert body["occurred_time"] == "23:30:00" and body["people_affected"] == 6
    assert body["people"] == [{"id": records["colibri"].pk, "code_name": "Colibrí", "role": "victim", "harms": []}]
    assert incident.narrative == "Batida en la madrugada." and incident.created_by == personas.dora
    assert incident.consent_recorded_by == personas.dora
    assert AuditEvent.objects.filter(action="incident.created", target_id=str(incident.pk), actor_id=personas.dora.pk).exists()
    assert "Batida" not in response.content.decode()


def test_it_records_a_region_without_a_district_and_rounds_an_inexact_date(personas, carla):
    body = carla.post("/incidents", {"occurred_on": "2024-07-19", "date_precision": "month", "department": "04",
                                     "violations": ["threat"], "consent_store": True}).json()
    assert body["department"]["code"] == "04" and body["district"] is None
    assert body["occurred_on"] == "2024-07-01"


def test_it_changes_only_the_fields_sent(personas, records, carla):
    incident = records["dora_incident"]
    response = carla.patch(f"/incidents/{incident.pk}", {"narrative": "Relato corregido.", "violations": ["raid", "threat"], "place_type": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["violations"]) == ["raid", "threat"] and body["place_type"] is None
    assert body["perpetrators"] == ["pnp_officer"] and body["district"]["code"] == "150101"
    incident.refresh_from_db()
    assert incident.narrative == "Relato corregido." and incident.perpetrator_details == "Placa 12345, patrullero PL-1234"
    event = AuditEvent.objects.filter(action="incident.updated", target_id=str(incident.pk)).latest("seq")
    assert {"narrative", "violations", "place_type"} <= set(event.fields)
    assert "Relato corregido" not in str(event.detail)


def test_an_empty_patch_changes_nothing(personas, records, carla):
    incident = records["dora_incident"]
    before = AuditEvent.objects.count()
    assert carla.patch(f"/incidents/{incident.pk}", {}).status_code == 200
    assert AuditEvent.objects.count() == before


def test_it_adds_a_known_person_to_an_incident(personas, records, carla):
    incident, person = records["diana_incident"], records["gaviota"]
    response = carla.post(f"/incidents/{incident.pk}/people", {"person_id": person.pk, "role": "witness", "harms": ["robbed"]})
    assert response.status_code == 201
    assert response.json() == {"person": response.json()["person"], "role": "witness", "harms": ["robbed"], "matched_existing": False}
    assert IncidentPerson.objects.filter(incident=incident, person=person, role="witness", harms=["robbed"]).exists()
    assert AuditEvent.objects.filter(action="incident.person_added", target_id=str(incident.pk)).exists()


def test_it_refuses_an_unknown_harm(personas, records, carla):
    incident, person = records["diana_incident"], records["gaviota"]
    response = carla.post(f"/incidents/{incident.pk}/people", {"person_id": person.pk, "harms": ["kidnapped"]})
    assert response.status_code == 422
    assert not IncidentPerson.objects.filter(incident=incident, person=person).exists()


def test_it_adds_a_new_person_to_an_incident(personas, records, client):
    api = api_for(client, personas, personas.dora)
    incident = records["dora_incident"]
    response = api.post(f"/incidents/{incident.pk}/people", {"person": {"code_name": "Garza", "phone": "+51 977 555 444", "gender_identity": "trans_woman", "nationality": "VE", "migrant_status": "irregular"}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["matched_existing"] is False and body["person"]["code_name"] == "Garza"
    person = Person.objects.get(pk=body["person"]["id"])
    assert person.phone == "+51 977 555 444" and person.created_by == personas.dora
    assert person.incidents.filter(pk=incident.pk).exists()


def test_a_new_person_with_a_known_phone_is_linked_not_duplicated(personas, records, carla):
    incident = records["diana_incident"]
    before = Person.objects.count()
    body = carla.post(f"/incidents/{incident.pk}/people", {"person": {"code_name": "Otro nombre", "phone": "999 111 222"}}).json()
    assert body["matched_existing"] is True and body["person"]["id"] == records["colibri"].pk
    assert Person.objects.count() == before


# ---- people -----------------------------------------------------------------------------------


def test_it_records_and_changes_a_person(personas, carla):
    response = carla.post("/people", {"code_name": "  Golondrina ", "legal_name": "Ana Pérez", "id_document_type": "ce",
                                      "id_number": "001234567", "phone": "+51 955 111 000", "hiv_status": "prefiere no decir",
                                      "gender_identity": "trans_woman", "is_defender": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code_name"] == "Golondrina" and body["sensitive"] is None and body["incidents"] == []
    person = Person.objects.get(pk=body["id"])
    assert person.legal_name == "Ana Pérez" and person.is_defender
    assert AuditEvent.objects.filter(action="person.created", target_id=str(person.pk)).exists()

    body = carla.patch(f"/people/{person.pk}", {"phone": "955 222 000", "age_band": "25_34"}).json()
    assert body["age_band"] == "25_34"
    person.refresh_from_db()
    assert person.phone == "955 222 000"
    event = AuditEvent.objects.get(action="person.updated", target_id=str(person.pk))
    assert {"phone", "age_band"} <= set(event.fields) and "955" not in str(event.detail)
    # The blind index follows the new phone.
    assert [p["id"] for p in carla.post("/people/lookup", {"phone": "+51955222000"}).json()] == [person.pk]
    assert carla.post("/people/lookup", {"phone": "955111000"}).json() == []


def test_lookup_finds_by_phone_or_id_number_however_written(personas, records, carla):
    colibri = records["colibri"].pk
    assert [p["id"] for p in carla.post("/people/lookup", {"phone": "+51 999-111-222"}).json()] == [colibri]
    assert [p["id"] for p in carla.post("/people/lookup", {"id_number": " 1111 1111 "}).json()] == [colibri]
    both = carla.post("/people/lookup", {"phone": "988000111", "id_number": "11111111"}).json()
    assert {p["code_name"] for p in both} == {"Colibrí", "Gaviota"}
    assert not {"phone", "sensitive"} & set(both[0])


def test_lookup_keeps_within_a_documenters_scope(personas, records, client):
    api = api_for(client, personas, personas.dora)
    assert api.post("/people/lookup", {"phone": "988000111"}).json() == []  # Gaviota is Carla's


# ---- language ---------------------------------------------------------------------------------


def test_errors_come_in_spanish_by_default_and_in_english_when_asked(personas, carla):
    payload = {"occurred_on": "2099-01-01", "violations": ["threat"], "consent_store": True}
    spanish = assert_error(carla.post("/incidents", payload), 422, "validation")
    assert spanish["message"] == "Algunos campos no son válidos."
    assert spanish["fields"]["occurred_on"] == ["La fecha no puede estar en el futuro."]
    english = assert_error(carla.post("/incidents", payload, HTTP_ACCEPT_LANGUAGE="en"), 422, "validation")
    assert english["message"] == "Some fields are not valid."
    assert english["fields"]["occurred_on"] == ["The date cannot be in the future."]
