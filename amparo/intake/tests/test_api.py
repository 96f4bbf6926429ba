"""The JSON API for partner apps: same rules as the form, one error shape."""

from __future__ import annotations

import base64
import json

import pytest

from amparo.intake.lib import pow
from amparo.intake.models import Report
from amparo.intake.tests.helpers import NARRATIVE, jpeg_with_gps

pytestmark = pytest.mark.django_db

BASE = "/api/v1/public/r/lima"


def _solution(client, base=BASE) -> str:
    challenge = client.get(f"{base}/challenge").json()
    number = pow.solve(challenge=challenge["challenge"], salt=challenge["salt"], maxnumber=challenge["maxnumber"])
    return pow.solution_payload(challenge, number)


def _payload(client, **overrides):
    body = {
        "pow": _solution(client),
        "violations": ["arbitrary_detention"],
        "occurred_on": "2025-06-02",
        "department": "15",
        "district": "Lince",
        "perpetrators": ["pnp_officer"],
        "narrative": NARRATIVE,
        "reporter": "witness",
        "consent_store": True,
        "language": "es",
    }
    body.update(overrides)
    return body


def _post(client, url, body):
    return client.post(url, json.dumps(body) if not isinstance(body, bytes) else body, content_type="application/json")


def test_it_publishes_the_form_options(personas, client):
    r = client.get(f"{BASE}/form?lang=en")
    assert r.status_code == 200
    data = r.json()
    assert {"code": "raid", "label": "A raid (operativo) in the street, a venue or a home"} in data["violations"]
    assert any(d["code"] == "15" for d in data["departments"])
    assert not r.cookies and "no-store" in r["Cache-Control"]


def test_it_lists_districts_of_a_region(personas, client):
    r = client.get(f"{BASE}/districts?department=15")
    assert {"code": "150122", "name": "Miraflores", "label": "Miraflores (Lima)"} in r.json()
    bad = client.get(f"{BASE}/districts?department=lima")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


def test_a_partner_app_submits_and_follows_up(personas, client):
    r = _post(client, f"{BASE}/reports", _payload(client))
    assert r.status_code == 201, r.content
    receipt = r.json()
    report = Report.objects.get()
    assert report.channel == Report.Channel.API and report.district_id == "150116"
    follow = _post(client, f"{BASE}/follow-up", {"receipt": receipt["receipt"], "passphrase": receipt["passphrase"]})
    assert follow.status_code == 200 and follow.json()["status"] == "new"
    added = _post(client, f"{BASE}/follow-up/messages", {**{k: receipt[k] for k in ("receipt", "passphrase")}, "text": "Más detalles"})
    assert added.status_code == 201 and added.json()["messages"][0]["body"] == "Más detalles"
    gone = _post(client, f"{BASE}/follow-up/withdraw", {**{k: receipt[k] for k in ("receipt", "passphrase")}, "confirm": True})
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    report.refresh_from_db()
    assert report.narrative == "" and not report.messages.exists()


def test_a_partner_app_can_send_a_photo_and_its_metadata_is_stripped(personas, client):
    photo = base64.b64encode(jpeg_with_gps()).decode()
    r = _post(client, f"{BASE}/reports", _payload(client, files=[{"name": "x.jpg", "content_base64": photo}]))
    assert r.status_code == 201
    evidence = Report.objects.get().files.get().evidence
    assert evidence.metadata_stripped


def test_it_requires_a_proof_of_work(personas, client):
    r = _post(client, f"{BASE}/reports", _payload(client, pow=""))
    assert r.status_code == 400 and r.json()["error"]["code"] == "challenge_required"
    body = _payload(client)
    assert _post(client, f"{BASE}/reports", body).status_code == 201
    replay = _post(client, f"{BASE}/reports", body)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "replayed"
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"violations": []}, "violations"),
        ({"narrative": ""}, "narrative"),
        ({"reporter": "boss"}, "reporter"),
        ({"consent_store": False}, "consent_store"),
        ({"occurred_on": "not a date"}, "occurred_on"),
        ({"unexpected": 1}, "unexpected"),
        ({"files": [{"name": "a", "content_base64": "%%%"}]}, "files.0"),
        ({"files": [{"name": "a.exe", "content_base64": base64.b64encode(b"MZ\x90\x00").decode()}]}, "files"),
        ({"narrative": "nul \x00 char"}, "narrative"),
    ],
)
def test_bad_input_gets_one_error_shape_and_saves_nothing(personas, client, overrides, field):
    r = _post(client, f"{BASE}/reports", _payload(client, **overrides))
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation" and any(k.startswith(field) for k in error["fields"])
    assert Report.objects.count() == 0


def test_broken_json_or_encoding_is_a_clear_4xx(personas, client):
    for body in (b"{not json", b'{"narrative": "\xff\xfe"}'):
        r = _post(client, f"{BASE}/reports", body)
        assert 400 <= r.status_code < 500 and "error" in r.json()
    assert Report.objects.count() == 0


def test_an_oversized_body_is_refused(personas, client):
    big = base64.b64encode(b"%PDF-" + b"0" * (2 * 1024 * 1024)).decode()
    r = _post(client, f"{BASE}/reports", _payload(client, files=[{"name": "a.pdf", "content_base64": big}]))
    assert r.status_code in (413, 422)
    assert Report.objects.count() == 0


def test_wrong_passphrases_slow_down_the_api_too(personas, client):
    receipt = _post(client, f"{BASE}/reports", _payload(client)).json()
    statuses = [
        _post(client, f"{BASE}/follow-up", {"receipt": receipt["receipt"], "passphrase": "no no no"}).status_code
        for _ in range(4)
    ]
    assert statuses == [403, 403, 429, 429]


def test_an_unknown_organisation_is_not_found(personas, client):
    assert client.get("/api/v1/public/r/nadie/challenge").json()["error"]["code"] == "not_found"
