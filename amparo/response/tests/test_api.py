"""The Response API: same permissions as the pages, strict input, one error shape."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from amparo.response.lib.bundle import verify_bundle
from amparo.response.models import Deadline, LegalCase, Referral, Service
from amparo.response.tests.factories import (
    incident_with_person,
    local_service,
    move,
    open_case,
    refer,
)
from amparo.response.tests.test_lawyer_scope import token_for

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def carla_api(personas, client):
    auth = token_for(personas, personas.carla)

    def call(method, url, data=None):
        if method == "get":
            return client.get(url, data or {}, **auth)
        return client.post(url, data or {}, content_type=JSON, **auth)

    return call


def test_it_requires_a_token(client):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_analysts_get_403_except_for_the_directory(personas, client):
    auth = token_for(personas, personas.ana)
    assert client.get("/api/v1/services", **auth).status_code == 200
    for url in ("/api/v1/cases", "/api/v1/referrals", "/api/v1/tasks", "/api/v1/overdue", "/api/v1/security-records", "/api/v1/response-times"):
        response = client.get(url, **auth)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden", url


def test_a_referral_and_a_case_through_the_api(personas, carla_api):
    incident, person = incident_with_person(personas)
    refused = carla_api("post", "/api/v1/referrals", {"incident_id": incident.pk, "lawyer_id": personas.lucia.pk})
    assert refused.status_code == 422 and "consent_given" in refused.json()["error"]["fields"]
    created = carla_api("post", "/api/v1/referrals", {"incident_id": incident.pk, "lawyer_id": personas.lucia.pk,
                                                       "consent_given": True, "consent_method": "verbal", "note": "Llamar de tarde"})
    assert created.status_code == 201 and created.json()["note"] == "Llamar de tarde"
    rid = created.json()["id"]
    assert carla_api("post", f"/api/v1/referrals/{rid}/status", {"status": "sent"}).json()["status"] == "sent"
    bad = carla_api("post", f"/api/v1/referrals/{rid}/status", {"status": "completed"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation"

    case = carla_api("post", "/api/v1/cases", {"title": "Caso API", "incident_ids": [incident.pk], "lawyer_id": personas.lucia.pk})
    assert case.status_code == 201
    cid = case.json()["id"]
    route = carla_api("post", f"/api/v1/cases/{cid}/routes", {"route": "criminal", "stage": "complaint_police", "case_number": "D-1"})
    assert route.status_code == 201 and route.json()["next_stages"] == ["preliminary", "archived", "closed"]
    deadline = carla_api("post", f"/api/v1/cases/{cid}/deadlines", {"title": "Apelar", "amount": 3, "unit": "business_days"})
    assert deadline.status_code == 201 and deadline.json()["overdue"] is False
    carla_api("post", f"/api/v1/cases/{cid}/deadlines", {"title": "Vencido", "due_at": (timezone.now() - timedelta(hours=2)).isoformat()})
    detail = carla_api("get", f"/api/v1/cases/{cid}").json()
    assert detail["overdue"] is True and detail["person_ids"] == [person.pk]
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "route_started", "deadline", "deadline"]
    assert [c["id"] for c in carla_api("get", "/api/v1/cases", {"overdue": "true"}).json()] == [cid]
    bundle = carla_api("post", f"/api/v1/cases/{cid}/bundle")
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/zip"
    assert verify_bundle(io.BytesIO(bundle.content)).ok


@pytest.mark.parametrize(("url", "payload"), [
    ("/api/v1/referrals", {"incident_id": "x"}),
    ("/api/v1/referrals", {"incident_id": 1, "unexpected": True}),
    ("/api/v1/cases", {"title": "x" * 300, "incident_ids": []}),
    ("/api/v1/cases", {}),
    ("/api/v1/services", {"kind": "spa", "name": "Spa"}),
    ("/api/v1/services", {"kind": "legal_aid", "name": "X", "department": "99"}),
    ("/api/v1/security-records", {"incident_id": "uno"}),
])
def test_bad_input_gets_422_with_fields_and_saves_nothing(personas, carla_api, url, payload):
    before = (Referral.objects.count(), LegalCase.objects.count(), Service.objects.count())
    response = carla_api("post", url, payload)
    assert response.status_code in (404, 422), response.content
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields"}
    assert before == (Referral.objects.count(), LegalCase.objects.count(), Service.objects.count())


def test_case_steps_are_checked(personas, carla_api):
    incident, _p = incident_with_person(personas)
    case = open_case(personas, [incident])
    bad = carla_api("post", f"/api/v1/cases/{case.pk}/routes", {"route": "criminal", "stage": "trial"})
    assert bad.status_code == 422 and "stage" in bad.json()["error"]["fields"]
    bad = carla_api("post", f"/api/v1/cases/{case.pk}/deadlines", {"title": "x", "amount": 2, "unit": "weeks"})
    assert bad.status_code == 422 and not Deadline.objects.exists()
    assert carla_api("post", f"/api/v1/cases/{case.pk}/close", {"outcome": "victory"}).status_code == 422


def test_another_organisation_gets_404_for_every_object(personas, client):
    incident, _p = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    case = open_case(personas, [incident])
    deadline_id = Deadline.objects.create(organisation=personas.org, case=case, title="x", due_at=timezone.now(), created_by=personas.carla).pk
    service = local_service(personas)
    auth = token_for(personas, personas.bruno, personas.other_org)
    for url in (f"/api/v1/referrals/{referral.pk}", f"/api/v1/cases/{case.pk}", f"/api/v1/services/{service.pk}"):
        assert client.get(url, **auth).status_code == 404, url
    for url, payload in ((f"/api/v1/referrals/{referral.pk}/status", {"status": "accepted"}),
                         (f"/api/v1/referrals/{referral.pk}/feedback", {"rating": 1}),
                         (f"/api/v1/cases/{case.pk}/close", {"outcome": "archive"}),
                         (f"/api/v1/cases/{case.pk}/bundle", {}),
                         (f"/api/v1/deadlines/{deadline_id}/done", {}),
                         ("/api/v1/referrals", {"incident_id": incident.pk, "lawyer_id": personas.lucia.pk, "consent_given": True, "consent_method": "verbal"})):
        assert client.post(url, payload, content_type=JSON, **auth).status_code == 404, url
    assert LegalCase.objects.get(pk=case.pk).status == "open"


def test_tasks_overdue_and_response_times(personas, carla_api):
    incident, _p = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent", "accepted", "completed")
    assert carla_api("get", "/api/v1/tasks").status_code == 200
    assert carla_api("get", "/api/v1/overdue").status_code == 200
    times = carla_api("get", "/api/v1/response-times").json()
    assert times["referral_to_completion"]["count"] == 1 and times["incident_to_first_action"]["count"] == 1
    assert carla_api("get", "/api/v1/response-times", {"days": 0}).status_code == 422
    assert Referral.objects.get(pk=referral.pk).completed_at


def test_defenders_security_through_the_api(personas, carla_api):
    incident, person = incident_with_person(personas)
    refused = carla_api("post", "/api/v1/security-records", {"incident_id": incident.pk, "defender_id": person.pk})
    assert refused.status_code == 422
    person.is_defender = True
    person.save(update_fields=["is_defender"])
    created = carla_api("post", "/api/v1/security-records", {"incident_id": incident.pk, "defender_id": person.pk, "risk_level": "high"})
    assert created.status_code == 201
    measure = carla_api("post", f"/api/v1/security-records/{created.json()['id']}/measures", {"kind": "relocation"})
    assert measure.status_code == 201
    assert carla_api("get", f"/api/v1/security-records/{created.json()['id']}").json()["measures"][0]["kind"] == "relocation"
