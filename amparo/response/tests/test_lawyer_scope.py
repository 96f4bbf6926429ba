"""Lucía, an allied lawyer, sees exactly what is referred or assigned to her — pages and API — and
nothing of another organisation."""

from __future__ import annotations

import pytest

from amparo.records import selectors as records_selectors
from amparo.response.tests.factories import incident_with_person, move, open_case, refer
from conftest import login, make_person

pytestmark = pytest.mark.django_db


def token_for(personas, user, org=None):
    from amparo.accounts.services import api_token_create

    _token, raw = api_token_create(membership=personas.membership(user, org), name="test", acting_user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def world(personas):
    referred, referred_person = incident_with_person(personas, code_name="Colibrí")
    not_referred, _p = incident_with_person(personas, code_name="Picaflor", narrative="No derivado")
    in_case, case_person = incident_with_person(personas, code_name="Gaviota")
    someone_elses_case = open_case(personas, [not_referred], lawyer=None)
    her_case = open_case(personas, [in_case])
    other_org_incident, _o = incident_with_person(personas, org=personas.other_org, code_name="Vicuña")
    other_org_case = open_case(personas, [other_org_incident], user=personas.bruno)
    referral = refer(personas, referred)
    return {
        "referred": referred, "referred_person": referred_person, "not_referred": not_referred,
        "in_case": in_case, "case_person": case_person, "her_case": her_case,
        "someone_elses_case": someone_elses_case, "other_org_case": other_org_case,
        "other_org_incident": other_org_incident, "referral": referral,
    }


def lucia_scope(personas):
    m = personas.membership(personas.lucia)
    return set(records_selectors.incident_scope(membership=m)), set(records_selectors.person_scope(membership=m))


def test_a_proposed_referral_shows_her_nothing_yet(personas, world):
    incidents, persons = lucia_scope(personas)
    assert incidents == {world["in_case"]} and persons == {world["case_person"]}


def test_once_sent_she_sees_the_referred_incident_and_its_person(personas, world):
    move(personas, world["referral"], "sent")
    incidents, persons = lucia_scope(personas)
    assert incidents == {world["referred"], world["in_case"]}
    assert persons == {world["referred_person"], world["case_person"]}


def test_when_she_declines_she_loses_access(personas, world):
    move(personas, world["referral"], "sent", "declined")
    incidents, _persons = lucia_scope(personas)
    assert world["referred"] not in incidents


def test_a_referral_for_one_person_of_a_raid_shows_only_that_person(personas):
    raid, first = incident_with_person(personas, code_name="Primera")
    second = make_person(personas.org, personas.dora, code_name="Segunda")
    from amparo.records.services import incident_add_person

    incident_add_person(incident=raid, person=second, acting_user=personas.dora)
    move(personas, refer(personas, raid, person=first), "sent")
    _incidents, persons = lucia_scope(personas)
    assert persons == {first}


def test_pages_follow_the_same_rule(personas, world, client):
    move(personas, world["referral"], "sent")
    login(client, personas.lucia)
    assert client.get(f"/incidentes/{world['referred'].pk}/").status_code == 200
    assert client.get(f"/incidentes/{world['not_referred'].pk}/").status_code == 404
    assert client.get(f"/incidentes/{world['other_org_incident'].pk}/").status_code == 404
    assert client.get(f"/personas/{world['referred_person'].pk}/").status_code == 200
    body = client.get("/incidentes/").content.decode()
    assert world["referred"].reference in body and world["not_referred"].reference not in body
    assert client.get(f"/respuesta/casos/{world['her_case'].pk}/").status_code == 200
    assert client.get(f"/respuesta/casos/{world['someone_elses_case'].pk}/").status_code == 404
    assert client.get(f"/respuesta/casos/{world['other_org_case'].pk}/").status_code == 404
    cases = client.get("/respuesta/casos/").content.decode()
    assert world["her_case"].reference in cases and world["someone_elses_case"].reference not in cases
    assert client.get(f"/respuesta/derivaciones/{world['referral'].pk}/").status_code == 200
    assert client.get(f"/respuesta/incidentes/{world['not_referred'].pk}/").status_code == 404


def test_the_api_follows_the_same_rule(personas, world, client):
    move(personas, world["referral"], "sent")
    auth = token_for(personas, personas.lucia)
    cases = client.get("/api/v1/cases", **auth).json()
    assert [c["id"] for c in cases] == [world["her_case"].pk]
    assert client.get(f"/api/v1/cases/{world['someone_elses_case'].pk}", **auth).status_code == 404
    assert client.get(f"/api/v1/cases/{world['other_org_case'].pk}", **auth).json()["error"]["code"] == "not_found"
    referrals = client.get("/api/v1/referrals", **auth).json()
    assert [r["id"] for r in referrals] == [world["referral"].pk]
    answered = client.post(f"/api/v1/referrals/{world['referral'].pk}/status", {"status": "accepted"},
                           content_type="application/json", **auth)
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"


def test_another_organisations_coordinator_sees_none_of_it(personas, world, client):
    move(personas, world["referral"], "sent")
    login(client, personas.bruno)
    for url in (f"/respuesta/casos/{world['her_case'].pk}/", f"/respuesta/derivaciones/{world['referral'].pk}/",
                f"/respuesta/incidentes/{world['referred'].pk}/"):
        assert client.get(url).status_code == 404, url
    auth = token_for(personas, personas.bruno, personas.other_org)
    assert client.get(f"/api/v1/referrals/{world['referral'].pk}", **auth).status_code == 404
    assert [c["id"] for c in client.get("/api/v1/cases", **auth).json()] == [world["other_org_case"].pk]
