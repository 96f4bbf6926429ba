"""The Programmes API: the same people may do the same things as on the pages.

Carla (coordinator) and Alicia (admin) plan; Dora and Diana (documenters) record and change
only their own activities; Ana (analyst) reads progress and no activity; Lucía (lawyer) has
nothing here. Bruno (Arequipa) gets 404 for every Lima id.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from amparo.audit.models import AuditEvent
from amparo.programmes import services
from amparo.programmes.models import Activity, Indicator, Programme, Venue
from amparo.programmes.tests.factories import MIRAFLORES, make_activity, make_programme, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(personas):  # type: ignore[no-untyped-def]
    from amparo.accounts.services import api_token_create

    def _client(user: Any, org: Any = None) -> Client:
        _token, raw = api_token_create(membership=personas.membership(user, org), name="test", acting_user=user)
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _client


def _send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return client.generic(method, f"/api/v1{path}", json.dumps(body) if body is not None else "", content_type="application/json")


def _campaign(personas: Any) -> tuple[Any, Any, Any]:
    programme = make_programme(personas)
    venue = make_venue(personas)
    indicator = services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                          programme=programme, name="Pruebas", measure="tests_done", target=100)
    return programme, venue, indicator


# ---- programmes and progress ---------------------------------------------------------------------


def test_an_analyst_reads_a_programmes_progress_with_health_results_protected(personas, api_as):
    programme, venue, _tests = _campaign(personas)
    services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla, programme=programme,
                              name="Reactivos", measure="tests_reactive", target=10)
    make_activity(personas, programme=programme, venue=venue, tests_done=40, tests_reactive=2)
    response = api_as(personas.ana).get(f"/api/v1/programmes/{programme.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Campaña de pruebas 2026"
    tests, reactive = body["progress"]
    assert tests["value"] == 40 and tests["percent"] == 40 and tests["indicator"]["standard"] == "PEPFAR MER HTS_TST"
    assert tests["sites"] == [{"venue": "Sauna Azul", "value": 40, "display": "40"}]
    # Two reactive results at one venue: withheld, nowhere in the body as a number.
    assert reactive["value"] is None and reactive["percent"] is None and reactive["projected"] is None
    assert all(site["value"] is None for site in reactive["sites"])
    assert reactive["display"] != "2"
    listed = api_as(personas.ana).get("/api/v1/programmes").json()
    assert [p["id"] for p in listed] == [programme.pk]


@pytest.mark.parametrize("role", ["dora", "lucia"])
def test_documenters_and_lawyers_read_no_programme(personas, api_as, role):
    programme = make_programme(personas)
    client = api_as(getattr(personas, role))
    assert client.get("/api/v1/programmes").status_code == 403
    response = client.get(f"/api/v1/programmes/{programme.pk}")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_a_planner_creates_changes_and_deletes_a_programme(personas, api_as):
    client = api_as(personas.carla)
    response = _send(client, "POST", "/programmes", {"kind": "campaign", "name": "Tamizaje", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = _send(client, "PATCH", f"/programmes/{pk}", {"name": "Tamizaje 2026", "funder": "Fondo de Mujeres"})
    assert response.status_code == 200 and response.json()["name"] == "Tamizaje 2026"
    assert Programme.objects.get(pk=pk).funder == "Fondo de Mujeres"
    assert _send(client, "DELETE", f"/programmes/{pk}").status_code == 204
    assert not Programme.objects.filter(pk=pk).exists()
    assert set(AuditEvent.objects.filter(target_id=str(pk), action__startswith="programme.").values_list("action", flat=True)) == {
        "programme.created", "programme.updated", "programme.deleted"}


def test_a_programme_with_activities_is_not_deleted(personas, api_as):
    programme = make_programme(personas)
    make_activity(personas, programme=programme, tests_done=3)
    response = _send(api_as(personas.carla), "DELETE", f"/programmes/{programme.pk}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "in_use"
    assert Programme.objects.filter(pk=programme.pk).exists()


def test_bad_programme_input_is_a_translated_422_and_nothing_is_saved(personas, api_as):
    client = api_as(personas.carla)
    response = _send(client, "POST", "/programmes", {"name": "X", "starts_on": "2026-05-01", "ends_on": "2026-01-01"},)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["ends_on"] == ["La fecha de fin no puede ser anterior a la de inicio."]
    response = _send(client, "POST", "/programmes", {"name": "", "starts_on": "2026-05-01", "ends_on": "2026-06-01", "extra": 1})
    assert response.status_code == 422 and set(response.json()["error"]["fields"]) == {"name", "extra"}
    programme = make_programme(personas)
    response = _send(client, "PATCH", f"/programmes/{programme.pk}", {"name": None})
    assert response.status_code == 422
    assert Programme.objects.count() == 1 and Programme.objects.get().name == "Campaña de pruebas 2026"


def test_a_planner_adds_an_indicator_only_with_her_own_venue(personas, api_as):
    programme = make_programme(personas)
    venue = make_venue(personas)
    client = api_as(personas.carla)
    response = _send(client, "POST", f"/programmes/{programme.pk}/indicators",
                     {"name": "Pruebas en Sauna Azul", "measure": "tests_done", "target": 500, "venue_id": venue.pk})
    assert response.status_code == 201 and response.json()["venue_id"] == venue.pk
    assert response.json()["starts_on"] == "2026-01-01"
    arequipa_venue = Venue.objects.create(organisation=personas.other_org, code_name="Otro", kind="bar", district_id="040101")
    response = _send(client, "POST", f"/programmes/{programme.pk}/indicators",
                     {"name": "X", "measure": "tests_done", "target": 5, "venue_id": arequipa_venue.pk})
    assert response.status_code == 422 and "venue_id" in response.json()["error"]["fields"]
    response = _send(api_as(personas.ana), "POST", f"/programmes/{programme.pk}/indicators", {"name": "X", "measure": "tests_done", "target": 5})
    assert response.status_code == 403
    assert Indicator.objects.count() == 1


# ---- venues --------------------------------------------------------------------------------------


def test_only_planners_get_a_venues_sealed_address_and_contact(personas, api_as):
    make_venue(personas)
    [planner_view] = api_as(personas.carla).get("/api/v1/venues").json()
    assert planner_view["address"] == "Calle Las Orquídeas 456" and planner_view["contact"].startswith("Sra.")
    [documenter_view] = api_as(personas.dora).get("/api/v1/venues").json()
    assert documenter_view["code_name"] == "Sauna Azul" and documenter_view["address"] is None and documenter_view["contact"] is None
    assert api_as(personas.ana).get("/api/v1/venues").status_code == 403
    assert api_as(personas.lucia).get("/api/v1/venues").status_code == 403


def test_a_planner_adds_a_venue_in_her_region(personas, api_as):
    client = api_as(personas.carla)
    response = _send(client, "POST", "/venues", {"code_name": "Hotel Verde", "kind": "hotel", "district": MIRAFLORES, "address": "Av. Larco 1"})
    assert response.status_code == 201 and response.json()["address"] == "Av. Larco 1"
    response = _send(client, "POST", "/venues", {"code_name": "Hotel Verde", "kind": "hotel", "district": MIRAFLORES})
    assert response.status_code == 422 and "code_name" in response.json()["error"]["fields"]
    response = _send(client, "POST", "/venues", {"code_name": "Lejos", "kind": "bar", "district": "040101"})
    assert response.status_code == 422 and "district" in response.json()["error"]["fields"]
    assert _send(api_as(personas.dora), "POST", "/venues", {"code_name": "D", "kind": "bar", "district": MIRAFLORES}).status_code == 403
    assert list(Venue.objects.values_list("code_name", flat=True)) == ["Hotel Verde"]


# ---- activities ----------------------------------------------------------------------------------


def test_a_documenter_records_a_testing_day_and_the_indicator_moves(personas, api_as):
    programme, venue, indicator = _campaign(personas)
    response = _send(api_as(personas.dora), "POST", "/activities", {
        "kind": "testing_day", "held_on": "2026-03-10", "programme_id": programme.pk, "venue_id": venue.pk,
        "tests_done": 30, "tests_reactive": 1, "participants_trans_women": 30, "notes": "Buena acogida",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["district"] == MIRAFLORES and body["notes"] == "Buena acogida" and body["recorded_by_id"] == personas.dora.pk
    progress = api_as(personas.ana).get(f"/api/v1/programmes/{programme.pk}").json()["progress"]
    assert progress[0]["value"] == 30
    assert AuditEvent.objects.filter(action="activity.recorded", target_id=str(body["id"])).exists()


def test_counts_that_do_not_add_up_are_refused_and_nothing_is_saved(personas, api_as):
    client = api_as(personas.dora)
    base = {"kind": "testing_day", "held_on": "2026-03-10", "district": MIRAFLORES}
    response = _send(client, "POST", "/activities", {**base, "tests_done": 2, "tests_reactive": 3})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["tests_reactive"] == ["No puede haber más resultados reactivos que pruebas realizadas."]
    response = _send(client, "POST", "/activities", {**base, "tests_done": -1})
    assert response.status_code == 422 and "tests_done" in response.json()["error"]["fields"]
    response = _send(client, "POST", "/activities", {**base, "district": None})
    assert response.status_code == 422 and "district" in response.json()["error"]["fields"]
    response = _send(client, "POST", "/activities", {**base, "notes": "a\x00b"})
    assert response.status_code == 422
    assert Activity.objects.count() == 0


def test_documenters_see_and_change_only_their_own_activities(personas, api_as):
    programme, venue, indicator = _campaign(personas)
    doras = make_activity(personas, personas.dora, programme=programme, venue=venue, tests_done=10)
    dianas = make_activity(personas, personas.diana, programme=programme, venue=venue, tests_done=20)
    dora = api_as(personas.dora)
    assert [a["id"] for a in dora.get("/api/v1/activities").json()] == [doras.pk]
    assert dora.get(f"/api/v1/activities/{dianas.pk}").status_code == 404
    assert _send(dora, "PATCH", f"/activities/{dianas.pk}", {"tests_done": 1}).status_code == 404
    assert _send(dora, "DELETE", f"/activities/{dianas.pk}").status_code == 404
    response = _send(dora, "PATCH", f"/activities/{doras.pk}", {"tests_done": 15, "condoms": 100})
    assert response.status_code == 200 and response.json()["tests_done"] == 15
    assert Activity.objects.get(pk=dianas.pk).tests_done == 20
    progress = api_as(personas.carla).get(f"/api/v1/programmes/{programme.pk}").json()["progress"]
    assert progress[0]["value"] == 15 + 20


def test_a_documenter_who_only_facilitated_an_activity_may_read_but_not_change_it(personas, api_as):
    activity = make_activity(personas, facilitators=[personas.membership(personas.dora)], tests_done=5)
    dora = api_as(personas.dora)
    assert dora.get(f"/api/v1/activities/{activity.pk}").status_code == 200
    assert _send(dora, "PATCH", f"/activities/{activity.pk}", {"tests_done": 1}).status_code == 403
    assert _send(dora, "DELETE", f"/activities/{activity.pk}").status_code == 403
    assert Activity.objects.get(pk=activity.pk).tests_done == 5


def test_an_edit_is_checked_as_a_whole_and_nothing_is_half_saved(personas, api_as):
    activity = make_activity(personas, tests_done=10, tests_reactive=2, tests_confirmed=1)
    client = api_as(personas.carla)
    response = _send(client, "PATCH", f"/activities/{activity.pk}", {"tests_done": 1, "condoms": 50})
    assert response.status_code == 422 and "tests_reactive" in response.json()["error"]["fields"]
    response = _send(client, "PATCH", f"/activities/{activity.pk}", {"kind": None})
    assert response.status_code == 422
    response = _send(client, "PATCH", f"/activities/{activity.pk}", {"programme_id": 999999})
    assert response.status_code == 422
    activity.refresh_from_db()
    assert (activity.tests_done, activity.condoms, activity.kind) == (10, 0, "testing_day")
    assert not AuditEvent.objects.filter(action="activity.updated").exists()


@pytest.mark.parametrize("role", ["ana", "lucia"])
def test_analysts_and_lawyers_reach_no_activity(personas, api_as, role):
    activity = make_activity(personas, tests_done=5)
    client = api_as(getattr(personas, role))
    assert client.get("/api/v1/activities").status_code == 403
    assert client.get(f"/api/v1/activities/{activity.pk}").status_code == 403
    assert _send(client, "POST", "/activities", {"kind": "testing_day", "held_on": "2026-03-10", "district": MIRAFLORES}).status_code == 403
    assert _send(client, "DELETE", f"/activities/{activity.pk}").status_code == 403
    assert Activity.objects.count() == 1


def test_a_planner_deletes_an_activity_and_the_indicator_falls(personas, api_as):
    programme, venue, indicator = _campaign(personas)
    activity = make_activity(personas, personas.dora, programme=programme, venue=venue, tests_done=10)
    make_activity(personas, programme=programme, venue=venue, tests_done=7)
    client = api_as(personas.carla)
    assert _send(client, "DELETE", f"/activities/{activity.pk}").status_code == 204
    assert client.get(f"/api/v1/programmes/{programme.pk}").json()["progress"][0]["value"] == 7
    assert AuditEvent.objects.filter(action="activity.deleted", target_id=str(activity.pk)).exists()


def test_another_organisations_programmes_venues_and_activities_are_not_found(personas, api_as):
    programme, venue, indicator = _campaign(personas)
    activity = make_activity(personas, programme=programme, venue=venue, tests_done=10)
    bruno = api_as(personas.bruno, personas.other_org)
    assert bruno.get("/api/v1/programmes").json() == []
    assert bruno.get("/api/v1/activities").json() == []
    assert bruno.get("/api/v1/venues").json() == []
    for method, path, body in [
        ("GET", f"/programmes/{programme.pk}", None), ("PATCH", f"/programmes/{programme.pk}", {"name": "Mía"}),
        ("DELETE", f"/programmes/{programme.pk}", None),
        ("POST", f"/programmes/{programme.pk}/indicators", {"name": "X", "measure": "tests_done", "target": 1}),
        ("GET", f"/activities/{activity.pk}", None), ("PATCH", f"/activities/{activity.pk}", {"tests_done": 1}),
        ("DELETE", f"/activities/{activity.pk}", None),
    ]:
        response = _send(bruno, method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": {"code": "not_found", "message": "No encontrado.", "fields": {}}}
    response = _send(bruno, "POST", "/activities", {"kind": "testing_day", "held_on": "2026-03-10", "district": "040101",
                                                     "programme_id": programme.pk})
    assert response.status_code == 422
    assert Activity.objects.count() == 1 and Activity.objects.get().tests_done == 10


def test_the_api_needs_a_token(personas):
    response = Client().get("/api/v1/programmes")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_the_openapi_schema_documents_the_programme_routes():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/activities/{activity_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/programmes/{programme_id}"]) == {"get", "patch", "delete"}
    assert "422" in paths["/api/v1/activities"]["post"]["responses"]


def test_test_scores_take_one_decimal_at_most(personas, api_as):
    client = api_as(personas.carla)
    base = {"kind": "police_training", "held_on": "2026-03-10", "district": MIRAFLORES, "scored_participants": 12}
    response = _send(client, "POST", "/activities", {**base, "pre_score_average": 41.5, "post_score_average": 78})
    assert response.status_code == 201 and response.json()["pre_score_average"] == 41.5
    for bad in (41.55, 101, -1):
        response = _send(client, "POST", "/activities", {**base, "pre_score_average": bad})
        assert response.status_code == 422 and "pre_score_average" in response.json()["error"]["fields"], bad
    assert Activity.objects.count() == 1


def test_an_activity_in_the_future_is_refused_on_the_page_and_through_the_api(personas, api_as, login_as):
    # One rule in activity_record: the page, the API and the phone tally all meet it.
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = _send(api_as(personas.dora), "POST", "/activities", {"kind": "testing_day", "held_on": tomorrow, "district": MIRAFLORES})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["held_on"] == ["La fecha no puede estar en el futuro."]
    page = login_as(personas.dora).post("/programas/actividades/nueva/", {"kind": "testing_day", "held_on": tomorrow,
                                                                         "district": MIRAFLORES}, HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 400 and "La fecha no puede estar en el futuro." in page.content.decode()
    assert Activity.objects.count() == 0
