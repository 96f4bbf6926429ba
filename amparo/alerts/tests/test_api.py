"""The JSON API: token auth, roles, other organisations, one error shape, anonymous routes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from amparo.alerts import services
from amparo.alerts.models import Alarm, AlertStatus, Channel, CommunityAlert, Subscriber
from amparo.alerts.tests.factories import propose_alert, publish, raise_alarm, subscribe


def api(personas, user, org=None):  # type: ignore[no-untyped-def]
    from amparo.accounts.services import api_token_create

    _token, raw = api_token_create(membership=personas.membership(user, org), name="test", acting_user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_requires_a_token(personas) -> None:
    response = Client().get("/api/v1/alerts/alarms")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_a_documenter_raises_an_alarm_by_api(personas, queue, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(personas, personas.dora).post(
            "/api/v1/alerts/alarms",
            {"kind": "detention", "district": "150101", "people_count": 2, "police_station": "Comisaría Cotabambas"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "api" and body["incident"] is not None and "police_station" not in body
    assert queue.pending() == 1


@pytest.mark.parametrize(
    "payload",
    [{}, {"kind": "raid", "people_count": 0}, {"kind": "dance"}, {"kind": "raid", "district": "999999"},
     {"kind": "raid", "surprise": True}, {"kind": "raid", "description": "x" * 2001}],
)
def test_bad_alarm_input_gets_one_error_shape_and_saves_nothing(personas, payload) -> None:
    response = api(personas, personas.dora).post("/api/v1/alerts/alarms", payload, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation" and error["message"]
    assert not Alarm.objects.exists()


def test_analysts_cannot_raise_alarms_by_api(personas) -> None:
    response = api(personas, personas.ana).post("/api/v1/alerts/alarms", {"kind": "raid"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_other_organisations_alarms_are_404_by_api(personas) -> None:
    alarm = raise_alarm(personas)
    client = api(personas, personas.bruno, personas.other_org)
    assert client.get(f"/api/v1/alerts/alarms/{alarm.pk}").status_code == 404
    assert client.post(f"/api/v1/alerts/alarms/{alarm.pk}/acknowledge").status_code == 404
    assert client.get("/api/v1/alerts/alarms").json() == []


def test_a_lawyer_acknowledges_and_logs_detentions_by_api(personas) -> None:
    alarm = raise_alarm(personas)
    client = api(personas, personas.lucia)
    detail = client.get(f"/api/v1/alerts/alarms/{alarm.pk}").json()
    assert detail["police_station"] == "Comisaría de Monserrate"
    assert client.post(f"/api/v1/alerts/alarms/{alarm.pk}/acknowledge").status_code == 200
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    response = client.post(
        f"/api/v1/alerts/alarms/{alarm.pk}/detained",
        {"code_name": "Girasol", "since": since, "basis": "flagrant"}, content_type="application/json",
    )
    assert response.status_code == 201
    person = response.json()
    assert person["standing"] == "within"
    released = client.post(
        f"/api/v1/alerts/detained/{person['id']}/release", {"released_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert released.json()["standing"] == "released"
    bad = client.post(
        f"/api/v1/alerts/alarms/{alarm.pk}/detained", {"code_name": "X", "since": "ayer"}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_alerts_by_api_from_proposal_to_withdrawal(personas, queue, django_capture_on_commit_callbacks) -> None:
    dora, carla = api(personas, personas.dora), api(personas, personas.carla)
    created = dora.post(
        "/api/v1/alerts/community",
        {"kind": "extortion", "region": "15", "report": "Cobran cupos en la zona", "phone": "987 222 333"},
        content_type="application/json",
    )
    assert created.status_code == 201
    alert_id = created.json()["id"]
    publish_body = {"title": "Extorsión en Lince", "public_text": "Piden cupos", "legal_basis": "vital_interest",
                    "legal_reason": "Riesgo"}
    assert dora.post(f"/api/v1/alerts/community/{alert_id}/publish", publish_body, content_type="application/json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        published = carla.post(f"/api/v1/alerts/community/{alert_id}/publish", publish_body, content_type="application/json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert carla.post(f"/api/v1/alerts/community/{alert_id}/publish", publish_body, content_type="application/json").status_code == 422
    assert api(personas, personas.bruno, personas.other_org).get(f"/api/v1/alerts/community/{alert_id}").status_code == 404
    found = dora.post("/api/v1/alerts/lookup", {"phone": "987222333"}, content_type="application/json").json()
    assert found["found"] and found["matches"][0]["title"] == "Extorsión en Lince"
    withdrawn = carla.post(f"/api/v1/alerts/community/{alert_id}/withdraw", {"reason": "Resuelto"}, content_type="application/json")
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["public_text"] == ""
    assert CommunityAlert.objects.get().status == AlertStatus.WITHDRAWN


def test_the_lookup_api_refuses_bad_input(personas) -> None:
    client = api(personas, personas.dora)
    for payload in ({}, {"phone": "1", "plate": "ABC123"}, {"phone": "12"}, {"plate": "!"}):
        response = client.post("/api/v1/alerts/lookup", payload, content_type="application/json")
        assert response.status_code == 422, payload
    assert api(personas, personas.ana).post("/api/v1/alerts/lookup", {"phone": "987111222"}, content_type="application/json").status_code == 403


def test_anonymous_subscription_and_unsubscribe_by_api(personas) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.post(
        "/api/v1/public/alerts/lima/subscriptions", {"channel": "sms", "address": "987 555 444", "regions": ["15"]},
        content_type="application/json",
    )
    assert response.status_code == 202 and response.json() == {"needs_confirmation": False}
    subscriber = Subscriber.objects.get()
    assert subscriber.channel == Channel.SMS
    bad = client.post(
        "/api/v1/public/alerts/lima/subscriptions", {"channel": "sms", "address": "1", "regions": ["15"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation"
    assert client.post(
        "/api/v1/public/alerts/nadie/subscriptions", {"channel": "sms", "address": "987555444", "regions": ["15"]},
        content_type="application/json",
    ).status_code == 404
    token = services.subscriber_token(subscriber)
    assert client.post("/api/v1/public/alerts/unsubscribe", {"token": token}, content_type="application/json").status_code == 204
    assert not Subscriber.objects.exists()
    assert client.post("/api/v1/public/alerts/unsubscribe", {"token": token}, content_type="application/json").status_code == 404


def test_the_public_alert_list_shows_only_live_published_alerts_without_private_fields(personas) -> None:
    publish(personas, propose_alert(personas))
    propose_alert(personas, report="pendiente")
    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    body = Client().get("/api/v1/public/alerts/lima/15").json()
    assert [a["title"] for a in body] == ["Cliente violento en Lince"]
    assert set(body[0]) == {"uuid", "kind", "severity", "title", "public_text", "perpetrator_description", "vehicle",
                            "area", "published_at", "expires_at"}
    assert "vecina" not in str(body) and "Mariposa" not in str(body)


def test_an_alert_can_come_from_an_incident_the_member_may_read(personas) -> None:
    from conftest import make_incident

    mine = make_incident(personas.org, personas.dora)
    theirs = make_incident(personas.other_org, personas.bruno)
    client = api(personas, personas.dora)
    body = {"kind": "bad_date", "region": "15", "report": "Cliente violento"}
    ok = client.post("/api/v1/alerts/community", {**body, "incident": mine.pk}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["incident"] == mine.pk
    denied = client.post("/api/v1/alerts/community", {**body, "incident": theirs.pk}, content_type="application/json")
    assert denied.status_code == 404
    assert CommunityAlert.objects.count() == 1
