"""The generated OpenAPI schema is the manual: it must load, be consistent and list every route.
Also the reference-data endpoints (places, vocabularies) that clients need to fill a record."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from amparo.records.tests.test_api_support import Api, api_for, assert_error

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/v1/incidents": {"get", "post"},
    "/api/v1/incidents/{incident_id}": {"get", "patch", "delete"},
    "/api/v1/incidents/{incident_id}/people": {"post"},
    "/api/v1/people": {"get", "post"},
    "/api/v1/people/lookup": {"post"},
    "/api/v1/people/{person_id}": {"get", "patch"},
    "/api/v1/places/districts": {"get"},
    "/api/v1/vocabularies/{vocabulary}": {"get"},
}


@pytest.fixture
def schema(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def resolve(schema: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = schema
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_it_serves_a_valid_openapi_document_listing_every_route(schema):
    assert re.match(r"^3\.\d+\.\d+$", schema["openapi"])
    assert schema["info"]["title"] == "Amparo API" and schema["info"]["version"] == "1"
    for path, methods in EXPECTED.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_reference_in_the_schema_resolves(schema):
    all_refs = refs(schema)
    assert all_refs
    for ref in set(all_refs):
        assert isinstance(resolve(schema, ref), dict), ref


def test_it_documents_token_auth_and_the_one_error_shape(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    body = resolve(schema, error["properties"]["error"]["$ref"])
    assert set(body["required"]) == {"code", "message", "fields"}
    for path, methods in EXPECTED.items():
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation.get("security"), (path, method)
            assert "401" in operation["responses"], (path, method)
            ref = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut"), (path, method)


def test_input_schemas_refuse_unknown_keys_and_say_their_limits(schema):
    components = schema["components"]["schemas"]
    for name in ("IncidentIn", "IncidentPatch", "PersonIn", "PersonPatch", "PersonLookupIn", "IncidentPersonIn"):
        assert components[name].get("additionalProperties") is False, name
    incident = components["IncidentIn"]
    assert set(incident["required"]) >= {"occurred_on", "violations", "consent_store"}
    assert incident["properties"]["narrative"]["maxLength"] == 20000
    statuses = resolve(schema, components["IncidentPatch"]["properties"]["status"]["anyOf"][0]["$ref"])
    assert set(statuses["enum"]) == {"new", "in_progress", "closed"}


def test_the_detail_documents_reveal(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/incidents/{incident_id}"]["get"]["parameters"]}
    assert params["reveal"]["in"] == "query"
    params = {p["name"]: p for p in schema["paths"]["/api/v1/people/{person_id}"]["get"]["parameters"]}
    assert "reveal" in params


def test_the_docs_page_loads_nothing_from_third_parties(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), html


# ---- reference data ---------------------------------------------------------------------------


def test_districts_are_searched_by_name_with_a_token(personas, client):
    api = api_for(client, personas, personas.ana)  # analysts may read reference data
    found = api.get("/places/districts", {"q": "lurigancho"}).json()
    assert {"code": "150132", "name": "San Juan de Lurigancho", "province": "Lima", "department": "Lima"} in found
    in_arequipa = api.get("/places/districts", {"q": "arequipa", "department": "04"}).json()
    assert "040101" in [d["code"] for d in in_arequipa]
    assert all(d["code"].startswith("04") for d in in_arequipa)
    assert_error(Api(client, None).get("/places/districts", {"q": "lima"}), 401, "unauthenticated")


def test_districts_refuse_bad_parameters(personas, client):
    api = api_for(client, personas, personas.carla)
    for params, field in (({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 81}, "q"), ({"q": "lima", "department": "lima"}, "department")):
        error = assert_error(api.get("/places/districts", params), 422, "validation")
        assert field in error["fields"], error


def test_vocabularies_list_their_codes_in_both_languages(personas, client):
    api = api_for(client, personas, personas.dora)
    terms = api.get("/vocabularies/violation").json()
    raid = next(t for t in terms if t["code"] == "raid")
    assert raid["label_es"] and raid["label_en"] and raid["version"] >= 1
    assert {t["code"] for t in api.get("/vocabularies/perpetrator").json()} >= {"pnp_officer", "serenazgo", "client"}
    error = assert_error(api.get("/vocabularies/weapons", HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert error["message"] == "Unknown vocabulary."


def test_unknown_api_routes_answer_in_the_one_error_shape(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
