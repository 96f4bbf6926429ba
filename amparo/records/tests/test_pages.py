"""Recording incidents through the pages: the happy path, bad input, and the audit trail."""

from __future__ import annotations

import pytest

from amparo.audit.models import AuditEvent
from amparo.records.models import Incident, Person
from conftest import login, make_incident, make_person

pytestmark = pytest.mark.django_db


def valid_post(**overrides):
    data = {
        "occurred_on": "2025-06-01", "date_precision": "day", "department": "15", "district": "150115",
        "place_type": "street", "violations": ["raid", "arbitrary_detention"], "perpetrators": ["pnp_officer", "serenazgo"],
        "perpetrator_details": "Patrullero PL-5566", "narrative": "Llegaron a las 2 a. m. y se llevaron a cinco compañeras.",
        "people_affected": "5", "source": "peer_interview", "reliability": "high",
        "consent_store": "on", "consent_share_stats": "on",
        "p-code_name": "Orquídea", "p-gender_identity": "trans_woman", "p-age_band": "25_34", "p-nationality": "VE",
        "p-migrant_status": "irregular", "p-work_setting": "street", "p-phone": "987 000 111",
    }
    data.update(overrides)
    return data


def test_a_documenter_records_an_incident_with_its_person_on_one_screen(personas, client):
    login(client, personas.dora)
    assert client.get("/incidentes/nuevo/").status_code == 200
    r = client.post("/incidentes/nuevo/", valid_post())
    assert r.status_code == 302, r.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.department_id == "15" and incident.province_id == "1501"
    assert sorted(incident.violations.values_list("code", flat=True)) == ["arbitrary_detention", "raid"]
    assert incident.involves_state_agent
    person = incident.people.get()
    assert person.code_name == "Orquídea" and person.phone == "987 000 111"
    assert AuditEvent.objects.filter(action="incident.created", target_id=str(incident.pk)).exists()


def test_the_same_phone_links_the_known_person_instead_of_duplicating(personas, client):
    known = make_person(personas.org, personas.dora, code_name="Orquídea", phone="+51987000111")
    login(client, personas.dora)
    client.post("/incidentes/nuevo/", valid_post(**{"p-code_name": "Otra"}))
    assert Person.objects.count() == 1
    assert Incident.objects.get().people.get() == known


@pytest.mark.parametrize("overrides, field", [
    ({"occurred_on": "2999-01-01"}, "occurred_on"),
    ({"occurred_on": "no es fecha"}, "occurred_on"),
    ({"violations": []}, "violations"),
    ({"violations": ["not_a_code"]}, "violations"),
    ({"district": "999999"}, "district"),
    ({"district": "040101"}, "district"),  # Arequipa district with Lima chosen
    ({"people_affected": "0"}, "people_affected"),
    ({"people_affected": "-3"}, "people_affected"),
    ({"consent_store": ""}, "consent_store"),
    ({"narrative": "x" * 20001}, "narrative"),
    ({"p-gender_identity": "bogus"}, "gender_identity"),
])
def test_bad_input_is_refused_clearly_and_nothing_is_saved(personas, client, overrides, field):
    login(client, personas.dora)
    r = client.post("/incidentes/nuevo/", valid_post(**overrides))
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()
    assert Incident.objects.count() == 0
    assert Person.objects.count() == 0


def test_broken_encoding_is_a_clear_error(personas, client):
    login(client, personas.dora)
    r = client.post("/incidentes/nuevo/", b"occurred_on=\xff\xfe&narrative=\xc3\x28", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert Incident.objects.count() == 0


def test_editing_writes_which_fields_changed_never_the_values(personas, client):
    incident = make_incident(personas.org, personas.dora)
    login(client, personas.dora)
    data = valid_post(narrative="Texto nuevo y secreto")
    for k in [k for k in data if k.startswith("p-")]:
        data.pop(k)
    r = client.post(f"/incidentes/{incident.pk}/editar/", data)
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.narrative == "Texto nuevo y secreto"
    event = AuditEvent.objects.filter(action="incident.updated").latest("seq")
    assert "narrative" in event.fields
    assert "secreto" not in str(event.detail) + str(event.fields)


def test_revealing_the_narrative_is_audited(personas, client):
    incident = make_incident(personas.org, personas.dora)
    login(client, personas.carla)
    body = client.get(f"/incidentes/{incident.pk}/").content.decode()
    assert "Nos detuvieron" not in body
    assert not AuditEvent.objects.filter(action="incident.sensitive_viewed").exists()
    body = client.get(f"/incidentes/{incident.pk}/?mostrar=1").content.decode()
    assert "Nos detuvieron" in body
    event = AuditEvent.objects.get(action="incident.sensitive_viewed")
    assert event.actor_id == personas.carla.pk and "narrative" in event.fields


def test_person_identity_is_shown_only_on_request_and_audited(personas, client):
    person = make_person(personas.org, personas.dora)
    login(client, personas.dora)
    assert "Rosa Quispe" not in client.get(f"/personas/{person.pk}/").content.decode()
    assert "Rosa Quispe" in client.get(f"/personas/{person.pk}/?mostrar=1").content.decode()
    assert AuditEvent.objects.filter(action="person.sensitive_viewed", target_id=str(person.pk)).count() == 1


def test_a_person_page_lists_all_their_incidents(personas, client):
    person = make_person(personas.org, personas.dora)
    first = make_incident(personas.org, personas.dora, persons=[person])
    second = make_incident(personas.org, personas.dora, persons=[person], violation_codes=["extortion"])
    login(client, personas.dora)
    body = client.get(f"/personas/{person.pk}/").content.decode()
    assert first.reference in body and second.reference in body


def test_the_incident_list_filters_and_paginates(personas, client):
    for n in range(30):
        make_incident(personas.org, personas.carla, violation_codes=["extortion" if n % 2 else "raid"])
    login(client, personas.carla)
    r = client.get("/incidentes/?violation=extortion")
    assert r.status_code == 200
    assert r.context["page"].paginator.count == 15
    assert client.get("/incidentes/?page=2").context["page"].number == 2
    assert client.get("/incidentes/?department=15&status=new&date_from=2025-01-01&date_to=2025-12-31").status_code == 200


@pytest.mark.parametrize("query", ["date_from=yesterday", "date_from=2025-05-01&date_to=2025-01-01", "violation=nope", "department=99", "status=weird"])
def test_bad_filters_are_a_clear_400(personas, client, query):
    login(client, personas.carla)
    r = client.get(f"/incidentes/?{query}")
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()


def test_the_incident_list_does_not_query_per_row(personas, client, django_assert_max_num_queries):
    for _ in range(20):
        make_incident(personas.org, personas.carla)
    login(client, personas.carla)
    with django_assert_max_num_queries(20):
        client.get("/incidentes/")


def test_district_search_finds_names_without_accents(personas, client):
    login(client, personas.dora)
    body = client.get("/lugares/distritos/?district_q=lurigancho").content.decode()
    assert "San Juan de Lurigancho" in body
    body = client.get("/lugares/distritos/?district_q=cayma&department=04").content.decode()
    assert "Cayma" in body


def test_bad_follow_up_and_person_forms_are_a_clear_400_and_change_nothing(personas, client):
    incident = make_incident(personas.org, personas.dora)
    login(client, personas.carla)
    r = client.post(f"/incidentes/{incident.pk}/gestion/", {"status": "whatever", "assigned_to": "999999"})
    assert r.status_code == 400 and "errorlist" in r.content.decode()
    incident.refresh_from_db()
    assert incident.status == "new" and incident.assigned_to is None
    r = client.post(f"/incidentes/{incident.pk}/personas/", {"p-code_name": "", "p-gender_identity": "bogus"})
    assert r.status_code == 400 and incident.people.count() == 0


def test_old_case_urls_redirect_permanently_to_incidents_and_people(personas, client):
    """Incidents moved from /casos/ to /incidentes/ ("caso" is the legal case); links already
    printed, bookmarked or e-mailed keep working."""
    incident = make_incident(personas.org, personas.dora)
    person = make_person(personas.org, personas.dora)
    login(client, personas.dora)
    for old, new in [
        ("/casos/", "/incidentes/"),
        ("/casos/nuevo/", "/incidentes/nuevo/"),
        (f"/casos/{incident.pk}/?mostrar=1", f"/incidentes/{incident.pk}/?mostrar=1"),
        (f"/casos/{incident.pk}/editar/", f"/incidentes/{incident.pk}/editar/"),
        ("/casos/personas/?q=Or", "/personas/?q=Or"),
        (f"/casos/personas/{person.pk}/", f"/personas/{person.pk}/"),
    ]:
        r = client.get(old)
        assert (r.status_code, r["Location"]) == (301, new), old
        assert client.get(new).status_code == 200, new
    # A form posted from a page loaded before the move keeps its method.
    r = client.post(f"/casos/{incident.pk}/personas/", {"p-code_name": "Rosa"})
    assert (r.status_code, r["Location"]) == (308, f"/incidentes/{incident.pk}/personas/")


def test_old_case_urls_never_redirect_off_site(personas, client):
    login(client, personas.dora)
    r = client.get("/casos//evil.example/")
    assert r.status_code == 301 and r["Location"].startswith("/incidentes/")


def test_the_incident_list_says_what_happened_who_did_it_its_status_and_assignee(personas, client):
    incident = make_incident(personas.org, personas.carla, violation_codes=["raid", "extortion"], perpetrator_codes=["pnp_officer"])
    incident.assigned_to = personas.dora
    incident.save(update_fields=["assigned_to"])
    login(client, personas.carla)
    body = client.get("/incidentes/").content.decode()
    for text in ("Operativo / redada", "Extorsión", "Policía (PNP)", "Nuevo", "Asignado a", "dora", incident.reference):
        assert text in body, text


def test_the_incident_list_queries_do_not_grow_with_rows_terms_or_assignees(personas, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_incident(personas.org, personas.carla)
    login(client, personas.carla)
    client.get("/incidentes/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/incidentes/").status_code == 200
    for n in range(12):
        i = make_incident(personas.org, personas.carla, violation_codes=["raid", "threat"], perpetrator_codes=["client", "pnp_officer"])
        i.assigned_to = personas.dora if n % 2 else personas.diana
        i.save(update_fields=["assigned_to"])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/incidentes/").status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize(("typed", "department", "district"), [
    ("Lince", "15", "150116"),
    ("lince", "", "150116"),
    ("Jesus Maria", "15", "150113"),  # accents optional
    ("Lince — Lima, Lima", "15", "150116"),  # the label a suggestion puts in the box
])
def test_a_typed_district_is_matched_on_the_server(personas, client, typed, department, district):
    login(client, personas.dora)
    r = client.post("/incidentes/nuevo/", valid_post(district="", district_q=typed, department=department))
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Incident.objects.get().district_id == district


@pytest.mark.parametrize("typed", ["San Juan", "Xyzzy"])
def test_a_district_matching_several_or_none_is_refused_with_the_list_and_nothing_saved(personas, client, typed):
    login(client, personas.dora)
    r = client.post("/incidentes/nuevo/", valid_post(district="", district_q=typed, department="15"))
    body = r.content.decode()
    assert r.status_code == 400 and "elija de la lista" in body
    assert 'name="district_choice"' in body and "San Juan de Lurigancho" in body
    assert not Incident.objects.exists() and not Person.objects.exists()
    r = client.post("/incidentes/nuevo/", valid_post(district="", district_q=typed, department="15", district_choice="150132"))
    assert r.status_code == 302 and Incident.objects.get().district_id == "150132"


def test_a_name_typed_over_a_picked_district_is_searched_again(personas, client):
    login(client, personas.dora)
    r = client.post("/incidentes/nuevo/", valid_post(district="150116", district_q="Surquillo", department="15"))
    assert r.status_code == 302 and Incident.objects.get().district_id == "150141"


def test_a_bad_district_choice_is_refused(personas, client):
    login(client, personas.dora)
    r = client.post("/incidentes/nuevo/", valid_post(district="", district_q="San Juan", district_choice="999999"))
    assert r.status_code == 400 and not Incident.objects.exists()


def test_the_form_page_carries_a_per_session_draft_key_and_is_never_cached(personas, client):
    login(client, personas.dora)
    r = client.get("/incidentes/nuevo/")
    assert "no-store" in r["Cache-Control"]
    key = client.session["amparo_draft_key"]
    assert f'data-draft-key="{key}"' in r.content.decode()
    assert client.get("/incidentes/nuevo/").content.decode().count(key) == 1  # stable within the session
    client.post("/cuenta/salir/")
    login(client, personas.dora)
    assert client.get("/incidentes/nuevo/").content.decode().count(key) == 0  # forgotten at sign-out


def test_pages_seen_while_signed_in_are_never_cached_on_the_phone(personas, client):
    incident = make_incident(personas.org, personas.dora)
    login(client, personas.dora)
    for url in (f"/incidentes/{incident.pk}/?mostrar=1", "/incidentes/", "/"):
        assert "no-store" in client.get(url)["Cache-Control"], url
