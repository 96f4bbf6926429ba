"""Bad input and unexpected failures answer in the API's one error shape, in the caller's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from amparo.records.models import Person
from amparo.response.models import LegalCase
from conftest import make_incident

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def carla(personas) -> Client:  # type: ignore[no-untyped-def]
    from amparo.accounts.services import api_token_create

    _token, raw = api_token_create(membership=personas.membership(personas.carla), name="t", acting_user=personas.carla)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="es")


@pytest.mark.parametrize("text", ["a\u0000b", "a\u000bb", "a\u001bb", "a\u202eb", "a\ufffdb"])
def test_the_api_refuses_what_the_forms_refuse(carla, login_as, personas, text) -> None:
    response = carla.post("/api/v1/people", {"code_name": text}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["code_name"] == [
        "Algunos caracteres no se pudieron leer o no están permitidos. Revise el texto y envíelo de nuevo."
    ]
    incident = make_incident(personas.org, personas.carla)
    page = login_as(personas.carla).post(reverse("response:case_create"), {"title": text, "incident": incident.pk})
    assert page.status_code == 400
    assert "Algunos caracteres no se pudieron leer" in page.content.decode()
    assert not Person.objects.exists() and not LegalCase.objects.exists()


def test_a_lone_surrogate_is_refused_in_the_request_language(carla) -> None:
    body = '{"code_name": "a\\ud800b"}'
    spanish = carla.post("/api/v1/people", body, content_type=JSON)
    assert spanish.status_code == 422 and "no se pudieron leer" in spanish.json()["error"]["fields"]["code_name"][0]
    english = carla.post("/api/v1/people", body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="en")
    assert "could not be read" in english.json()["error"]["fields"]["code_name"][0]
    assert not Person.objects.exists()


def test_invalid_utf8_is_refused_the_same_way_by_api_staff_form_and_public_form(carla, login_as, personas) -> None:
    api = carla.post("/api/v1/people", b'{"code_name": "caf\xe9"}', content_type=JSON)
    assert api.status_code in (400, 422)
    assert api.json()["error"]["code"] in ("bad_request", "validation")
    incident = make_incident(personas.org, personas.carla)
    staff = login_as(personas.carla).post(
        reverse("response:case_create"), f"title=caf%E9&incident={incident.pk}".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert staff.status_code == 400
    assert "Algunos caracteres no se pudieron leer" in staff.content.decode()
    assert not Person.objects.exists() and not LegalCase.objects.exists()
    # The public form refuses it the same way: amparo/intake/tests/test_public_form.py::test_broken_encoding_is_refused


def test_a_control_character_in_a_query_is_refused_before_any_view(carla, login_as, personas) -> None:
    api = carla.get("/api/v1/services?q=a%00b")
    assert api.status_code == 400 and api.json()["error"]["code"] == "bad_request"
    page = login_as(personas.carla).get(reverse("records:incident_list") + "?q=a%00b")
    assert page.status_code == 400
    assert "no se pudieron leer" in page.content.decode()


def test_an_unexpected_error_answers_in_the_api_shape_and_language(carla, monkeypatch) -> None:
    from amparo.response import selectors

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "case_list_for", broken)
    response = carla.get("/api/v1/cases")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "server_error" and error["message"].startswith("Algo falló de nuestro lado")
    assert "boom" not in response.content.decode()


def test_a_body_too_large_answers_once_in_the_api_shape(carla, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = carla.post("/api/v1/people", {"code_name": "x" * 500}, content_type=JSON)
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("Lo que envió es demasiado grande")
    source = (Path(__file__).resolve().parents[2] / "amparo" / "api.py").read_text()
    assert source.count("@api.exception_handler(RequestDataTooBig)") == 1


def test_every_operation_documents_its_error_statuses(client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "403", "404", "422", "500"} <= codes, (method, path)
            assert ("401" in codes) == bool(operation.get("security")), (method, path)
            error = operation["responses"]["404"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}
