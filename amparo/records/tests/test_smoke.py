from __future__ import annotations

from conftest import login, make_incident, make_person


def test_a_documenter_records_and_reads_back_an_incident(personas, client):
    person = make_person(personas.org, personas.dora)
    incident = make_incident(personas.org, personas.dora, persons=[person])
    login(client, personas.dora)
    r = client.get(f"/incidentes/{incident.pk}/?mostrar=1")
    assert r.status_code == 200
    assert "Nos detuvieron sin motivo" in r.content.decode()


def test_it_hides_other_organisations_incidents(personas, client):
    incident = make_incident(personas.org, personas.carla)
    login(client, personas.bruno)
    assert client.get(f"/incidentes/{incident.pk}/").status_code == 404
