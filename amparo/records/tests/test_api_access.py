"""Who may call which record endpoint: tokens, roles and organisations.

The API applies the pages' rules by construction (same selectors, same services): a token
speaks for one membership; coordinators and admins see their whole organisation; a
documenter sees what she recorded or was assigned; a lawyer reads what is assigned to her
and writes nothing; an analyst gets no record at all. Anything of another organisation is
a 404 identical to "does not exist".
"""

from __future__ import annotations

import pytest

from amparo.accounts.services import api_token_create, api_token_revoke, membership_deactivate
from amparo.audit.models import AuditEvent
from amparo.records.models import Incident, IncidentPerson, Person
from amparo.records.services import incident_assign
from amparo.records.tests.test_api_support import (
    Api,
    api_for,
    assert_error,
    make_records,
    token_for,
)

pytestmark = pytest.mark.django_db

NEW_INCIDENT = {"occurred_on": "2025-02-01", "violations": ["threat"], "consent_store": True}
NEW_PERSON = {"code_name": "Luciérnaga"}


@pytest.fixture
def records(personas):
    return make_records(personas)


def every_call(incident_id: int, person_id: int) -> list[tuple[str, str, dict | None]]:
    """Every record endpoint as (method, path, body)."""
    i, p = incident_id, person_id
    return [
        ("get", "/incidents", None),
        ("post", "/incidents", NEW_INCIDENT),
        ("get", f"/incidents/{i}", None),
        ("get", f"/incidents/{i}?reveal=true", None),
        ("patch", f"/incidents/{i}", {"narrative": "cambiado"}),
        ("delete", f"/incidents/{i}", None),
        ("post", f"/incidents/{i}/people", {"person_id": p}),
        ("get", "/people", None),
        ("post", "/people", NEW_PERSON),
        ("post", "/people/lookup", {"phone": "999111222"}),
        ("get", f"/people/{p}", None),
        ("get", f"/people/{p}?reveal=true", None),
        ("patch", f"/people/{p}", {"code_name": "Otra"}),
    ]


def call(api: Api, method: str, path: str, body: dict | None):  # type: ignore[no-untyped-def]
    if method in ("get", "delete"):
        return getattr(api, method)(path)
    return getattr(api, method)(path, body)


def counts() -> tuple[int, ...]:
    return (Incident.objects.count(), Person.objects.count(), IncidentPerson.objects.count(), AuditEvent.objects.count())


# ---- tokens -------------------------------------------------------------------------------------


def test_it_requires_a_token_on_every_record_endpoint(personas, records, client):
    before = counts()
    for method, path, body in every_call(records["dora_incident"].pk, records["colibri"].pk):
        assert_error(call(Api(client, None), method, path, body), 401, "unauthenticated")
    assert counts() == before


def test_it_refuses_an_unknown_token(personas, records, client):
    api = Api(client, "amp_not-a-real-token")
    for method, path, body in every_call(records["dora_incident"].pk, records["colibri"].pk):
        assert_error(call(api, method, path, body), 401, "unauthenticated")


def test_it_refuses_a_malformed_authorization_header(personas, records, client):
    raw = token_for(personas, personas.carla)
    for header in (raw, f"Token {raw}", "Bearer", "Basic Y2FybGE6c2VjcmV0"):
        assert_error(client.get("/api/v1/incidents", HTTP_AUTHORIZATION=header), 401, "unauthenticated")


def test_it_refuses_a_revoked_token(personas, records, client):
    membership = personas.membership(personas.carla)
    token, raw = api_token_create(membership=membership, name="móvil", acting_user=personas.carla)
    api = Api(client, raw)
    assert api.get("/incidents").status_code == 200
    api_token_revoke(token=token, acting_user=personas.alicia)
    assert_error(api.get("/incidents"), 401, "unauthenticated")
    assert_error(api.post("/people", NEW_PERSON), 401, "unauthenticated")


def test_it_refuses_the_token_of_a_deactivated_membership(personas, records, client):
    api = api_for(client, personas, personas.dora)
    assert api.get("/incidents").status_code == 200
    membership_deactivate(membership=personas.membership(personas.dora), acting_user=personas.alicia)
    assert_error(api.get("/incidents"), 401, "unauthenticated")


def test_a_token_speaks_for_its_own_organisation_only(personas, records, client):
    # Bruno's token is bound to his Arequipa membership: the list shows Arequipa only.
    body = api_for(client, personas, personas.bruno).get("/incidents").json()
    assert [item["id"] for item in body["items"]] == [records["other_incident"].pk]
    assert body["total"] == 1


# ---- across organisations -----------------------------------------------------------------------


def test_it_answers_404_for_every_record_of_another_organisation(personas, records, client):
    """Arequipa's coordinator against Lima's incidents and people: always 404, nothing changes."""
    api = api_for(client, personas, personas.bruno)
    incident, person = records["dora_incident"], records["colibri"]
    missing = api.get("/incidents/999999").json()
    before = counts()
    checked = 0
    for method, path, body in every_call(incident.pk, person.pk):
        if path in ("/incidents", "/people", "/people/lookup"):  # not about one record
            continue
        response = call(api, method, path, body)
        error = assert_error(response, 404, "not_found")
        assert {"error": error} == missing, path  # indistinguishable from "does not exist"
        checked += 1
    assert checked == 8
    assert counts() == before
    incident.refresh_from_db()
    assert incident.narrative == "Nos detuvieron sin motivo en la avenida."
    assert not AuditEvent.objects.filter(action__endswith="sensitive_viewed", actor_id=personas.bruno.pk).exists()


def test_it_leaves_other_organisations_out_of_lists_and_lookups(personas, records, client):
    api = api_for(client, personas, personas.bruno)
    assert [i["id"] for i in api.get("/incidents").json()["items"]] == [records["other_incident"].pk]
    assert [p["code_name"] for p in api.get("/people").json()["items"]] == ["Picaflor"]
    # Colibrí's phone is known in Lima, not in Arequipa: the blind index is per organisation.
    assert api.post("/people/lookup", {"phone": "999111222"}).json() == []
    assert api.post("/people/lookup", {"id_number": "11111111"}).json() == []


def test_it_will_not_link_another_organisations_person(personas, records, client):
    api = api_for(client, personas, personas.bruno)
    before = counts()
    error = assert_error(api.post(f"/incidents/{records['other_incident'].pk}/people", {"person_id": records["colibri"].pk}), 422, "validation")
    assert "person_id" in error["fields"]
    error = assert_error(api.post("/incidents", {**NEW_INCIDENT, "person_ids": [records["colibri"].pk]}), 422, "validation")
    assert "person_ids" in error["fields"]
    assert counts() == before


def test_it_will_not_assign_an_incident_to_another_organisations_member(personas, records, client):
    api = api_for(client, personas, personas.carla)
    error = assert_error(api.patch(f"/incidents/{records['dora_incident'].pk}", {"assigned_to": personas.bruno.pk}), 422)
    assert "assigned_to" in error["fields"]


# ---- roles --------------------------------------------------------------------------------------


def test_an_analyst_gets_403_on_every_record_endpoint(personas, records, client):
    api = api_for(client, personas, personas.ana)
    before = counts()
    for method, path, body in every_call(records["dora_incident"].pk, records["colibri"].pk):
        assert_error(call(api, method, path, body), 403, "forbidden")
    assert counts() == before


def test_a_coordinator_sees_the_whole_organisation(personas, records, client):
    api = api_for(client, personas, personas.carla)
    ids = {i["id"] for i in api.get("/incidents").json()["items"]}
    assert ids == {records["dora_incident"].pk, records["diana_incident"].pk, records["lawyer_incident"].pk}
    assert {p["code_name"] for p in api.get("/people").json()["items"]} == {"Colibrí", "Gaviota"}
    assert api.get(f"/people/{records['colibri'].pk}").status_code == 200


def test_a_documenter_sees_only_what_she_recorded_or_was_assigned(personas, records, client):
    api = api_for(client, personas, personas.dora)
    assert [i["id"] for i in api.get("/incidents").json()["items"]] == [records["dora_incident"].pk]
    assert api.get(f"/incidents/{records['dora_incident'].pk}").status_code == 200
    assert_error(api.get(f"/incidents/{records['diana_incident'].pk}"), 404, "not_found")
    assert_error(api.patch(f"/incidents/{records['diana_incident'].pk}", {"narrative": "x"}), 404)
    assert_error(api.get(f"/people/{records['gaviota'].pk}"), 404)
    assert [p["code_name"] for p in api.get("/people").json()["items"]] == ["Colibrí"]

    incident_assign(incident=records["diana_incident"], assignee=personas.dora, acting_user=personas.carla)
    assert api.get(f"/incidents/{records['diana_incident'].pk}").status_code == 200
    assert api.get("/incidents").json()["total"] == 2


def test_a_documenter_records_and_edits_but_neither_deletes_nor_manages(personas, records, client):
    api = api_for(client, personas, personas.dora)
    incident_id = records["dora_incident"].pk
    assert api.post("/incidents", NEW_INCIDENT).status_code == 201
    assert api.post("/people", NEW_PERSON).status_code == 201
    assert api.patch(f"/incidents/{incident_id}", {"narrative": "Más detalles"}).status_code == 200
    assert api.patch(f"/people/{records['colibri'].pk}", {"age_band": "25_34"}).status_code == 200
    assert_error(api.delete(f"/incidents/{incident_id}"), 403, "forbidden")
    assert_error(api.patch(f"/incidents/{incident_id}", {"status": "closed"}), 403, "forbidden")
    assert_error(api.patch(f"/incidents/{incident_id}", {"assigned_to": personas.diana.pk}), 403, "forbidden")
    records["dora_incident"].refresh_from_db()
    assert records["dora_incident"].status == "new" and records["dora_incident"].assigned_to is None


def test_a_lawyer_reads_what_is_assigned_to_her_and_writes_nothing(personas, records, client):
    api = api_for(client, personas, personas.lucia)
    mine = records["lawyer_incident"].pk
    assert [i["id"] for i in api.get("/incidents").json()["items"]] == [mine]
    assert api.get(f"/incidents/{mine}?reveal=true").json()["sensitive"]["narrative"]
    assert_error(api.get(f"/incidents/{records['dora_incident'].pk}"), 404)
    assert [p["code_name"] for p in api.get("/people").json()["items"]] == ["Gaviota"]
    assert api.get(f"/people/{records['gaviota'].pk}").status_code == 200
    assert_error(api.get(f"/people/{records['colibri'].pk}"), 404)
    before = counts()
    for method, path, body in every_call(mine, records["gaviota"].pk):
        if method == "get" or path == "/people/lookup":
            continue
        assert_error(call(api, method, path, body), 403, "forbidden")
    assert counts() == before


def test_coordinators_and_admins_delete_incidents(personas, records, client):
    for user, key in ((personas.carla, "dora_incident"), (personas.alicia, "diana_incident")):
        api = api_for(client, personas, user)
        incident = records[key]
        response = api.delete(f"/incidents/{incident.pk}")
        assert response.status_code == 204
        assert not Incident.objects.filter(pk=incident.pk).exists()
        assert AuditEvent.objects.filter(action="incident.deleted", target_id=str(incident.pk), actor_id=user.pk).exists()
        assert_error(api.delete(f"/incidents/{incident.pk}"), 404)


def test_a_coordinator_sets_status_and_assignment(personas, records, client):
    api = api_for(client, personas, personas.carla)
    incident = records["dora_incident"]
    body = api.patch(f"/incidents/{incident.pk}", {"status": "in_progress", "assigned_to": personas.lucia.pk}).json()
    assert body["status"] == "in_progress" and body["assigned_to"] == personas.lucia.pk
    actions = set(AuditEvent.objects.filter(target_id=str(incident.pk)).values_list("action", flat=True))
    assert {"incident.status_changed", "incident.assigned"} <= actions
    # The lawyer now sees it.
    assert api_for(client, personas, personas.lucia).get(f"/incidents/{incident.pk}").status_code == 200
    body = api.patch(f"/incidents/{incident.pk}", {"assigned_to": None}).json()
    assert body["assigned_to"] is None


def test_an_analyst_cannot_be_assigned_an_incident(personas, records, client):
    api = api_for(client, personas, personas.carla)
    error = assert_error(api.patch(f"/incidents/{records['dora_incident'].pk}", {"assigned_to": personas.ana.pk}), 422)
    assert "assigned_to" in error["fields"]
