"""Control characters never reach an alert, and one that predates the rule cannot break the feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from amparo.alerts.models import CommunityAlert
from amparo.alerts.tests.factories import propose_alert, publish
from amparo.alerts.tests.test_api import api as api_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("character", ["\x0b", "\x1b"])
def test_the_feed_stays_valid_xml_with_an_old_control_character(personas, character) -> None:
    alert = publish(personas, propose_alert(personas))
    # As if stored before the rule existed: straight into the table.
    alert.public_text, alert.title = f"Cuidado{character} en Lince", f"Alerta{character}"
    CommunityAlert.save(alert, update_fields=["public_text", "title"])
    response = Client().get("/alertas/lima/15.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # would raise on invalid XML
    assert "Cuidado en Lince" in ET.tostring(root, encoding="unicode")


@pytest.mark.parametrize("character", ["\x0b", "\x1b", "\x00", "\u202e"])
def test_publishing_refuses_control_characters_by_service_and_api(personas, character) -> None:
    alert = propose_alert(personas)
    with pytest.raises(ValidationError) as caught:
        publish(personas, alert, public_text=f"Cuidado{character}")
    assert "public_text" in caught.value.message_dict
    client = api_client(personas, personas.carla)
    response = client.post(f"/api/v1/alerts/community/{alert.pk}/publish", {
        "title": "Cliente violento", "public_text": f"Cuidado{character}", "legal_basis": "vital_interest",
        "legal_reason": "Riesgo",
    }, content_type="application/json")
    assert response.status_code == 422
    assert "public_text" in response.json()["error"]["fields"]
    alert.refresh_from_db()
    assert alert.public_text == ""
