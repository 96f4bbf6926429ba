"""Issue 11's crashes in the Response app, by page and by API: each now a clear 4xx (or a page)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from amparo.response.models import Deadline, Hearing, LegalCase
from amparo.response.tests.factories import incident_with_person, open_case
from amparo.response.tests.test_lawyer_scope import token_for

pytestmark = pytest.mark.django_db
JSON = "application/json"
EDGES = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]


def test_a_case_opened_without_a_lawyer_shows_its_page(personas, login_as):
    incident, _person = incident_with_person(personas)
    client = login_as(personas.carla)
    response = client.post(reverse("response:case_create"), {"title": "Sin abogada", "incident": incident.pk, "lawyer": ""})
    case = LegalCase.objects.get()
    assert case.lawyer is None, response
    page = client.get(reverse("response:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert case.reference in page.content.decode()


@pytest.mark.parametrize("moment", EDGES)
def test_a_hearing_at_the_edge_of_the_calendar_is_refused_by_api(personas, client, moment):
    case = open_case(personas, [incident_with_person(personas)[0]])
    response = client.post(f"/api/v1/cases/{case.pk}/hearings", {"scheduled_at": moment}, content_type=JSON,
                           **token_for(personas, personas.carla))
    assert response.status_code == 422
    assert "scheduled_at" in response.json()["error"]["fields"]
    assert not Hearing.objects.exists()


@pytest.mark.parametrize("moment", EDGES)
def test_a_deadline_at_the_edge_of_the_calendar_is_refused_by_api(personas, client, moment):
    case = open_case(personas, [incident_with_person(personas)[0]])
    auth = token_for(personas, personas.carla)
    for body in ({"title": "Plazo", "due_at": moment}, {"title": "Plazo", "amount": 3, "unit": "hours", "counted_from": moment}):
        response = client.post(f"/api/v1/cases/{case.pk}/deadlines", body, content_type=JSON, **auth)
        assert response.status_code == 422, body
    assert not Deadline.objects.exists()


@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59:59-05:00"])
def test_a_hearing_at_the_edge_of_the_calendar_is_refused_by_page(personas, login_as, moment):
    case = open_case(personas, [incident_with_person(personas)[0]])
    response = login_as(personas.carla).post(reverse("response:case_hearing_add", args=[case.pk]), {"scheduled_at": moment})
    assert response.status_code == 400
    assert "1990" in response.content.decode() or "fecha" in response.content.decode().lower()
    assert not Hearing.objects.exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_deadline_at_the_edge_of_the_calendar_is_refused_by_page(personas, login_as, day):
    case = open_case(personas, [incident_with_person(personas)[0]])
    response = login_as(personas.carla).post(reverse("response:case_deadline_add", args=[case.pk]), {"title": "Plazo", "due_on": day})
    assert response.status_code == 400
    assert not Deadline.objects.exists()


@pytest.mark.parametrize("amount", [-1, 2**40, 3651])
def test_a_deadline_amount_out_of_range_is_refused(personas, client, amount):
    case = open_case(personas, [incident_with_person(personas)[0]])
    auth = token_for(personas, personas.carla)
    for body in (
        {"title": "Plazo", "amount": amount, "unit": "calendar_days"},
        {"title": "Plazo", "amount": amount, "unit": "calendar_days", "due_at": "2026-06-01T12:00:00-05:00"},
    ):
        response = client.post(f"/api/v1/cases/{case.pk}/deadlines", body, content_type=JSON, **auth)
        assert response.status_code == 422, (body, response.content)
        assert "amount" in response.json()["error"]["fields"]
    assert not Deadline.objects.exists()


def test_a_deadline_amount_out_of_range_is_refused_by_the_service(personas):
    from django.core.exceptions import ValidationError

    from amparo.response.services import deadline_add

    case = open_case(personas, [incident_with_person(personas)[0]])
    from django.utils import timezone

    with pytest.raises(ValidationError):
        deadline_add(case=case, membership=personas.membership(personas.carla), acting_user=personas.carla,
                     title="Plazo", due_at=timezone.now(), amount=-1, unit="hours")


def test_closed_sets_are_enums_in_the_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]

    def enum_of(model, field):
        prop = components[model]["properties"][field]
        options = [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]
        for option in options:
            if "$ref" in option:
                option = components[option["$ref"].rsplit("/", 1)[1]]
            if "enum" in option:
                return option["enum"]
        raise AssertionError(f"{model}.{field} is not an enum: {prop}")

    assert "conviction" in enum_of("CloseIn", "outcome")
    assert "preliminary" in enum_of("StageIn", "stage")
    assert "relocation" in enum_of("MeasureIn", "kind")
    assert "business_days" in enum_of("DeadlineIn", "unit")
    assert "vital_interest" in enum_of("PublishIn", "legal_basis")
    assert "criminal" in enum_of("RouteIn", "route")
    assert "high" in enum_of("SecurityIn", "risk_level")
    assert "completed" in enum_of("ReferralStatusIn", "status")
    assert "raid" in enum_of("AlarmIn", "kind")
    assert "witness" in enum_of("ReportIn", "reporter")


def test_api_messages_follow_the_request_language(personas, client):
    case = open_case(personas, [incident_with_person(personas)[0]])
    auth = token_for(personas, personas.carla)
    body = {"title": "Plazo", "due_at": "2026-06-01T12:00:00-05:00", "route_id": 999}
    spanish = client.post(f"/api/v1/cases/{case.pk}/deadlines", body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="es", **auth).json()
    assert spanish["error"]["message"] == "Algunos campos no son válidos."
    with translation.override("es"):
        assert spanish["error"]["fields"]["route_id"] == [gettext("Unknown route.")] != ["Unknown route."]
    english = client.post(f"/api/v1/cases/{case.pk}/deadlines", body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="en", **auth).json()
    assert english["error"]["message"] == "Some fields are not valid."
    lone = client.post(f"/api/v1/cases/{case.pk}/deadlines", '{"title": "a\\ud800b", "due_at": "2026-06-01T12:00:00-05:00"}',
                       content_type=JSON, HTTP_ACCEPT_LANGUAGE="es", **auth)
    assert lone.status_code == 422
    assert "caracteres" in lone.json()["error"]["fields"]["title"][0]
