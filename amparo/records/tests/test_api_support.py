"""Helpers shared by the API tests (no tests here): a client that carries a bearer token, and
the records every access test starts from.

- Dora (documenter, Lima) recorded "Colibrí" and an incident with her.
- Diana (documenter, Lima) recorded another incident; Dora cannot see it.
- An incident Carla recorded is assigned to Lucía (lawyer), with "Gaviota" in it.
- Bruno (coordinator, Arequipa) recorded "Picaflor" and an Arequipa incident.
"""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from amparo.accounts.services import api_token_create
from amparo.records.services import incident_assign
from conftest import make_incident, make_person

API = "/api/v1"


class Api:
    def __init__(self, client: Client, raw_token: str | None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"} if raw_token else {}

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.get(API + path, params or {}, **self.headers, **extra)

    def _send(self, method: str, path: str, body: Any, content_type: str, **extra: Any) -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return getattr(self.client, method)(API + path, data, content_type=content_type, **self.headers, **extra)

    def post(self, path: str, body: Any = None, content_type: str = "application/json", **extra: Any) -> Any:
        return self._send("post", path, {} if body is None else body, content_type, **extra)

    def patch(self, path: str, body: Any = None, content_type: str = "application/json", **extra: Any) -> Any:
        return self._send("patch", path, {} if body is None else body, content_type, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self.client.delete(API + path, **self.headers, **extra)


def token_for(personas: Any, user: Any, org: Any = None) -> str:
    membership = personas.membership(user, org)
    return api_token_create(membership=membership, name="test", acting_user=user)[1]


def api_for(client: Client, personas: Any, user: Any) -> Api:
    org = personas.other_org if user == personas.bruno else personas.org
    return Api(client, token_for(personas, user, org))


def make_records(personas: Any) -> dict[str, Any]:
    colibri = make_person(personas.org, personas.dora, code_name="Colibrí", phone="999111222", id_number="11111111")
    dora_incident = make_incident(personas.org, personas.dora, persons=[colibri])
    diana_incident = make_incident(personas.org, personas.diana, narrative="Otro caso de Diana", district="150132", violation_codes=["raid"])
    gaviota = make_person(personas.org, personas.carla, code_name="Gaviota", phone="988000111", id_number="33333333")
    lawyer_incident = make_incident(personas.org, personas.carla, persons=[gaviota])
    incident_assign(incident=lawyer_incident, assignee=personas.lucia, acting_user=personas.carla)
    picaflor = make_person(personas.other_org, personas.bruno, code_name="Picaflor", phone="999333444", id_number="22222222")
    other_incident = make_incident(personas.other_org, personas.bruno, district="040101", persons=[picaflor])
    return {
        "colibri": colibri, "dora_incident": dora_incident, "diana_incident": diana_incident,
        "gaviota": gaviota, "lawyer_incident": lawyer_incident,
        "picaflor": picaflor, "other_incident": other_incident,
    }


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message", "fields"}}, and nothing else."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]
