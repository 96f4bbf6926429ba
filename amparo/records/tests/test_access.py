"""Who sees what: every record page, by role and across organisations."""

from __future__ import annotations

import pytest

from conftest import login, make_incident, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(personas):
    dora_person = make_person(personas.org, personas.dora, code_name="Colibrí", phone="999111222", id_number="11111111")
    dora_incident = make_incident(personas.org, personas.dora, persons=[dora_person])
    diana_incident = make_incident(personas.org, personas.diana, narrative="Otro caso de Diana")
    other_person = make_person(personas.other_org, personas.bruno, code_name="Picaflor", phone="999333444", id_number="22222222")
    other_incident = make_incident(personas.other_org, personas.bruno, district="040101", persons=[other_person])
    return {"dora_person": dora_person, "dora_incident": dora_incident, "diana_incident": diana_incident,
            "other_person": other_person, "other_incident": other_incident}


def record_urls(r):
    i, p = r["dora_incident"].pk, r["dora_person"].pk
    return [f"/incidentes/{i}/", f"/incidentes/{i}/?mostrar=1", f"/incidentes/{i}/editar/", f"/personas/{p}/",
            f"/personas/{p}/?mostrar=1", f"/personas/{p}/editar/"]


def test_it_answers_404_for_every_record_of_another_organisation(personas, records, client):
    login(client, personas.bruno)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})  # so deletion is reached
    for url in record_urls(records):
        assert client.get(url).status_code == 404, url
    for url in [f"/incidentes/{records['dora_incident'].pk}/gestion/", f"/incidentes/{records['dora_incident'].pk}/eliminar/",
                f"/incidentes/{records['dora_incident'].pk}/personas/"]:
        assert client.post(url, {"status": "closed"}).status_code == 404, url
    assert records["dora_incident"].__class__.objects.filter(pk=records["dora_incident"].pk).exists()


def test_it_leaves_other_organisations_out_of_lists(personas, records, client):
    login(client, personas.carla)
    body = client.get("/incidentes/").content.decode()
    assert records["dora_incident"].reference in body
    assert records["other_incident"].reference not in body
    body = client.get("/personas/").content.decode()
    assert "Colibrí" in body and "Picaflor" not in body


def test_it_does_not_find_another_organisations_person_by_phone(personas, records, client):
    login(client, personas.carla)
    body = client.get("/personas/?telefono=999333444").content.decode()
    assert "Picaflor" not in body
    body = client.get("/personas/?telefono=%2B51%20999%20111%20222").content.decode()
    assert "Colibrí" in body


def test_a_documenter_sees_only_what_she_recorded_or_was_assigned(personas, records, client):
    login(client, personas.dora)
    assert client.get(f"/incidentes/{records['dora_incident'].pk}/").status_code == 200
    assert client.get(f"/incidentes/{records['diana_incident'].pk}/").status_code == 404
    body = client.get("/incidentes/").content.decode()
    assert records["diana_incident"].reference not in body

    from amparo.records.services import incident_assign
    incident_assign(incident=records["diana_incident"], assignee=personas.dora, acting_user=personas.carla)
    assert client.get(f"/incidentes/{records['diana_incident'].pk}/").status_code == 200


def test_a_coordinator_sees_every_record_of_her_organisation(personas, records, client):
    login(client, personas.carla)
    for url in record_urls(records):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/incidentes/{records['diana_incident'].pk}/").status_code == 200


def test_an_admin_also_works_on_records(personas, records, client):
    login(client, personas.alicia)
    assert client.get(f"/incidentes/{records['diana_incident'].pk}/").status_code == 200


def test_a_lawyer_sees_nothing_until_something_is_assigned_to_her(personas, records, client):
    login(client, personas.lucia)
    assert client.get(f"/incidentes/{records['dora_incident'].pk}/").status_code == 404
    assert client.get("/incidentes/nuevo/").status_code == 403
    from amparo.records.services import incident_assign
    incident_assign(incident=records["dora_incident"], assignee=personas.lucia, acting_user=personas.carla)
    assert client.get(f"/incidentes/{records['dora_incident'].pk}/").status_code == 200
    assert client.get(f"/incidentes/{records['dora_incident'].pk}/editar/").status_code == 403
    assert client.get(f"/personas/{records['dora_person'].pk}/").status_code == 200


def test_an_analyst_sees_no_record_level_data(personas, records, client):
    login(client, personas.ana)
    assert client.get("/incidentes/").status_code == 403
    assert client.get("/personas/").status_code == 403
    assert client.get(f"/incidentes/{records['dora_incident'].pk}/").status_code == 403
    assert client.get("/").status_code == 200


def test_only_coordinators_and_admins_manage_and_delete(personas, records, client):
    incident = records["dora_incident"]
    login(client, personas.dora)
    assert client.post(f"/incidentes/{incident.pk}/eliminar/").status_code == 403
    login(client, personas.carla)
    r = client.post(f"/incidentes/{incident.pk}/gestion/", {"status": "closed", "assigned_to": str(personas.diana.pk)})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.assigned_to_id == personas.diana.pk
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})  # sudo mode
    assert client.post(f"/incidentes/{incident.pk}/eliminar/").status_code == 302
    assert not incident.__class__.objects.filter(pk=incident.pk).exists()


def test_it_requires_sign_in_and_two_factor(personas, records, client):
    url = f"/incidentes/{records['dora_incident'].pk}/"
    r = client.get(url)
    assert r.status_code == 302 and "/cuenta/entrar/" in r["Location"]
    client.force_login(personas.carla)  # password only, no TOTP yet
    r = client.get(url)
    assert r.status_code == 302 and "/cuenta/verificar/" in r["Location"]


def test_it_rejects_get_on_write_actions(personas, records, client):
    login(client, personas.carla)
    assert client.get(f"/incidentes/{records['dora_incident'].pk}/eliminar/").status_code == 405
