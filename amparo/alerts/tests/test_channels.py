"""Delivery channels against real local servers: SMTP, HTTP receivers and a Web Push service."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec

from amparo.alerts.channels import email, feed, webhook, webpush
from amparo.alerts.channels.webpush import b64url_decode, b64url_encode
from amparo.alerts.lib import netguard
from amparo.alerts.tests.receivers import Browser, HttpReceiver, SmtpSink, vapid_claims

# RFC 8291, Appendix A.
RFC = {
    "plaintext": b"When I grow up, I want to be a watermelon",
    "as_private": "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
    "ua_private": "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
    "ua_public": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    "auth": "BTBZMqHH6r4Tts7J_aSIgg",
    "salt": "DGv6ra1nlYgDCS1FRnbzlw",
    "body": "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6Tl"
    "zAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
}


# --- email ---------------------------------------------------------------------------------


def test_email_reaches_a_real_smtp_server_with_one_click_unsubscribe() -> None:
    with SmtpSink() as sink:
        settings = email.SmtpSettings(
            host="127.0.0.1", port=sink.port, from_address="alertas@amparo.test"
        )
        result = email.send(
            to="vecina@example.org",
            subject="Alerta: mala cita",
            body="Texto público de la alerta",
            settings=settings,
            unsubscribe_url="https://amparo.test/alertas/baja/abc/",
        )
    assert result.ok
    [(rcpts, message)] = sink.messages
    assert rcpts == ["vecina@example.org"]
    assert message["Subject"] == "Alerta: mala cita"
    assert message["List-Unsubscribe"] == "<https://amparo.test/alertas/baja/abc/>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Texto público" in message.get_content()


def test_email_refuses_header_injection_in_the_address() -> None:
    result = email.send(
        to="a@b.org\nBcc: all@evil.org", subject="x", body="y", settings=email.SmtpSettings(port=1)
    )
    assert not result.ok and result.permanent


def test_email_reports_an_unreachable_server_as_temporary() -> None:
    with SmtpSink() as sink:
        port = sink.port
    result = email.send(
        to="a@b.org", subject="x", body="y", settings=email.SmtpSettings(port=port, timeout=2)
    )
    assert not result.ok and not result.permanent
    assert "a@b.org" not in result.detail


# --- web push ------------------------------------------------------------------------------


def _private(b64: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(b64), "big"), ec.SECP256R1())


def test_it_reproduces_the_rfc_8291_test_vector() -> None:
    # http_ece takes salt and sender key as parameters only so the RFC's vector can be replayed;
    # what Amparo sends uses fresh ones each time (webpush.encrypt).
    body = http_ece.encrypt(
        RFC["plaintext"], salt=b64url_decode(RFC["salt"]), private_key=_private(RFC["as_private"]),
        dh=b64url_decode(RFC["ua_public"]), auth_secret=b64url_decode(RFC["auth"]), version="aes128gcm", rs=4096,
    )
    assert b64url_encode(body) == RFC["body"]


def test_it_decrypts_the_rfc_8291_test_vector_as_a_browser_would() -> None:
    plaintext = http_ece.decrypt(
        b64url_decode(RFC["body"]), private_key=_private(RFC["ua_private"]), auth_secret=b64url_decode(RFC["auth"]),
        version="aes128gcm",
    )
    assert plaintext == RFC["plaintext"]


def test_a_tampered_push_body_does_not_decrypt() -> None:
    body = bytearray(b64url_decode(RFC["body"]))
    body[-5] ^= 1
    with pytest.raises((http_ece.ECEException, InvalidTag)):
        http_ece.decrypt(
            bytes(body), private_key=_private(RFC["ua_private"]), auth_secret=b64url_decode(RFC["auth"]), version="aes128gcm"
        )


def test_what_amparo_sends_is_one_record_with_a_fresh_salt_and_key_each_time() -> None:
    browser = Browser()
    subscription = webpush.PushSubscription(endpoint="https://p.example/x", p256dh=browser.p256dh_b64, auth=browser.auth_b64)
    first, second = (webpush.encrypt(b"Cuidado en Lince", subscription=subscription) for _ in range(2))
    assert first[:16] != second[:16] and first[21:86] != second[21:86]
    assert int.from_bytes(first[16:20], "big") == 4096
    with pytest.raises(ValueError):
        webpush.encrypt(b"x" * (webpush.MAX_PLAINTEXT + 1), subscription=subscription)
    assert len(webpush.encrypt(b"x" * webpush.MAX_PLAINTEXT, subscription=subscription)) == 4096  # the most a push service takes


def test_web_push_reaches_a_local_push_service_encrypted_and_vapid_signed() -> None:
    browser = Browser()
    key = webpush.load_vapid_key(webpush.generate_vapid_key())
    with HttpReceiver() as push_service:
        subscription = webpush.PushSubscription.from_json(
            {
                "endpoint": f"{push_service.url}/push/abc",
                "keys": {"p256dh": browser.p256dh_b64, "auth": browser.auth_b64},
            }
        )
        result = webpush.send(
            subscription=subscription,
            payload={"title": "Alerta", "body": "Cuidado en Lince"},
            vapid=key,
            subject="mailto:equipo@amparo.test",
            urgency="high",
            allow_loopback=True,
        )
    assert result.ok and result.status_code == 201
    [request] = push_service.requests
    assert request.path == "/push/abc"
    assert request.headers["urgency"] == "high"
    assert b"Cuidado en Lince" not in request.body
    assert json.loads(browser.read(request)) == {"title": "Alerta", "body": "Cuidado en Lince"}
    claims = vapid_claims(request.headers["authorization"])
    assert claims["aud"] == push_service.url
    assert claims["sub"] == "mailto:equipo@amparo.test"


def test_web_push_marks_a_gone_subscription_as_permanent() -> None:
    browser = Browser()
    with HttpReceiver(statuses=[410]) as push_service:
        result = webpush.send(
            subscription=webpush.PushSubscription(
                endpoint=f"{push_service.url}/push/x",
                p256dh=browser.p256dh_b64,
                auth=browser.auth_b64,
            ),
            payload={"t": 1},
            vapid=webpush.load_vapid_key(webpush.generate_vapid_key()),
            subject="mailto:a@b.org",
            allow_loopback=True,
        )
    assert not result.ok and result.permanent and result.status_code == 410


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"endpoint": "https://push.example/x"},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "abc", "auth": "abc"}},
        {
            "endpoint": "ftp://push.example/x",
            "keys": {"p256dh": RFC["ua_public"], "auth": RFC["auth"]},
        },
        {
            "endpoint": "https://push.example/x",
            "keys": {"p256dh": RFC["ua_public"], "auth": "AAAA"},
        },
    ],
)
def test_web_push_rejects_malformed_subscriptions(data: dict) -> None:
    with pytest.raises(ValueError):
        webpush.PushSubscription.from_json(data)


def test_vapid_refuses_a_forged_token() -> None:
    key = webpush.load_vapid_key(webpush.generate_vapid_key())
    other = webpush.load_vapid_key(webpush.generate_vapid_key())
    header = webpush.authorization_header(vapid=key, endpoint="https://p.example/x", subject="mailto:a@b.org")
    forged = header.split(",k=")[0] + ",k=" + webpush.application_server_key(other)
    assert vapid_claims(header)["aud"] == "https://p.example"
    with pytest.raises(InvalidSignature):
        vapid_claims(forged)


def test_a_vapid_token_lives_twelve_hours_and_is_reused_for_one() -> None:
    key = webpush.load_vapid_key(webpush.generate_vapid_key())
    header = webpush.authorization_header(vapid=key, endpoint="https://q.example/x", subject="mailto:a@b.org")
    assert webpush.authorization_header(vapid=key, endpoint="https://q.example/y", subject="mailto:a@b.org") == header
    claims = vapid_claims(header)
    assert 11.9 * 3600 < claims["exp"] - time.time() <= 12 * 3600


# --- webhooks ------------------------------------------------------------------------------


def test_a_webhook_arrives_signed_and_the_receiver_can_verify_it() -> None:
    with HttpReceiver() as gateway:
        result = webhook.send(
            url=f"{gateway.url}/hook",
            secret="s3cret",
            payload={"alert": 7, "text": "Mala cita en Lince"},
            delivery_id="d-1",
            allow_loopback=True,
        )
    assert result.ok
    [request] = gateway.requests
    assert webhook.verify(
        secret="s3cret", header=request.headers["x-amparo-signature"], body=request.body
    )
    assert not webhook.verify(
        secret="wrong", header=request.headers["x-amparo-signature"], body=request.body
    )
    assert not webhook.verify(
        secret="s3cret", header=request.headers["x-amparo-signature"], body=request.body + b" "
    )
    assert request.headers["x-amparo-delivery"] == "d-1"
    assert json.loads(request.body)["text"] == "Mala cita en Lince"


def test_a_replayed_webhook_signature_is_refused_after_the_tolerance() -> None:
    header = webhook.signature(secret="k", timestamp=1_000_000, body=b"{}")
    assert webhook.verify(secret="k", header=header, body=b"{}", now=1_000_100)
    assert not webhook.verify(secret="k", header=header, body=b"{}", now=1_000_000 + 301)
    assert not webhook.verify(secret="k", header="garbage", body=b"{}")


def test_a_webhook_is_retried_with_exponential_backoff_until_it_succeeds() -> None:
    waits: list[float] = []
    with HttpReceiver(statuses=[503, 500, 200]) as gateway:
        result = webhook.send(
            url=gateway.url,
            secret="k",
            payload={},
            delivery_id="d-2",
            attempts=4,
            backoff=0.5,
            sleep=waits.append,
            allow_loopback=True,
        )
    assert result.ok and result.attempts == 3
    assert waits == [0.5, 1.0]
    assert len(gateway.requests) == 3
    assert {r.headers["x-amparo-delivery"] for r in gateway.requests} == {"d-2"}


def test_a_webhook_gives_up_after_the_last_attempt() -> None:
    waits: list[float] = []
    with HttpReceiver(statuses=[500, 500, 500]) as gateway:
        result = webhook.send(
            url=gateway.url,
            secret="k",
            payload={},
            delivery_id="d",
            attempts=3,
            backoff=1,
            sleep=waits.append,
            allow_loopback=True,
        )
    assert not result.ok and not result.permanent and result.attempts == 3
    assert waits == [1, 2]


def test_a_webhook_does_not_retry_a_client_error() -> None:
    with HttpReceiver(statuses=[400]) as gateway:
        result = webhook.send(
            url=gateway.url,
            secret="k",
            payload={},
            delivery_id="d",
            sleep=lambda s: None,
            allow_loopback=True,
        )
    assert not result.ok and result.permanent and len(gateway.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/hook",
        "http://[::ffff:127.0.0.1]:9/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "http://user:pw@example.org/",
        "gopher://example.org/",
    ],
)
def test_the_ssrf_guard_refuses_internal_destinations(url: str) -> None:
    with HttpReceiver() as receiver:
        result = webhook.send(
            url=url, secret="k", payload={}, delivery_id="d", sleep=lambda s: None
        )
    assert not result.ok and result.permanent and result.detail.startswith("blocked")
    assert receiver.requests == []


def test_the_ssrf_guard_allows_loopback_only_when_told_to() -> None:
    assert not netguard.address_allowed("127.0.0.1")
    assert netguard.address_allowed("127.0.0.1", allow_loopback=True)
    assert not netguard.address_allowed("10.1.2.3", allow_loopback=True)
    assert netguard.address_allowed("93.184.215.14")


def test_the_ssrf_guard_connects_to_the_address_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A rebinding resolver answers a public address first and loopback afterwards; the guard must
    # resolve once and connect to what it checked, never resolve again.
    import socket

    calls: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        calls.append(host)
        return real("127.0.0.1" if len(calls) > 1 else "93.184.215.14", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert netguard.resolve_checked("rebind.example", 80) == "93.184.215.14"
    assert calls == ["rebind.example"]


# --- atom feed -----------------------------------------------------------------------------


def test_the_atom_feed_is_well_formed_and_escapes_text() -> None:
    moment = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    xml = feed.build_feed(
        feed_id="urn:amparo:feed:15",
        title="Alertas — Lima",
        self_url="https://amparo.test/alertas/feed/15.atom",
        alternate_url="https://amparo.test/alertas/",
        updated=moment,
        author="Amparo",
        entries=[
            feed.FeedEntry(
                id="urn:amparo:alert:1",
                title="Mala cita <auto rojo> & amenaza",
                summary="Hombre en auto rojo",
                updated=moment,
                published=moment,
                category="high",
            )
        ],
    )
    root = ET.fromstring(xml)
    ns = {"a": feed.ATOM_NS}
    assert root.find("a:id", ns).text == "urn:amparo:feed:15"
    [entry] = root.findall("a:entry", ns)
    assert entry.find("a:title", ns).text == "Mala cita <auto rojo> & amenaza"
    assert entry.find("a:updated", ns).text == "2026-11-20T15:00:00+00:00"
    assert feed.send(entry=feed.FeedEntry("i", "t", "s", moment, moment)).ok


def test_the_atom_feed_refuses_naive_timestamps() -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError):
        feed.build_feed(
            feed_id="x",
            title="t",
            self_url="s",
            alternate_url="a",
            updated=naive,
            entries=[],
            author="a",
        )


def test_timestamps_of_a_signature_are_fresh() -> None:
    header = webhook.signature(secret="k", timestamp=int(time.time()), body=b"x")
    assert webhook.verify(secret="k", header=header, body=b"x")
