"""Community alerts: moderation, delivery on every channel through the real queue, expiry,
withdrawal, subscription without account, one-click unsubscribe and the blind-index lookup."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from amparo.alerts import services
from amparo.alerts.channels import webhook
from amparo.alerts.models import (
    AlertStatus,
    Channel,
    CommunityAlert,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from amparo.alerts.selectors import alert_lookup_for, public_alerts_for
from amparo.alerts.tests.factories import propose_alert, publish, subscribe
from amparo.alerts.tests.receivers import Browser, HttpReceiver
from amparo.audit.models import AuditEvent

VICTIM_DETAILS = ("Mariposa", "hostal", "celular")


def test_nothing_unpublished_is_delivered_or_shown(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        propose_alert(personas)
    queue.run()
    assert queue.executed == 0 and smtp.messages == []
    assert public_alerts_for(organisation=personas.org, region_code="15") == []
    assert alert_lookup_for(membership=personas.membership(personas.dora), phone="987111222") == []
    assert not Delivery.objects.exists()


def test_a_published_alert_reaches_email_push_and_sms_subscribers_of_its_region_only(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    browser = Browser()
    with HttpReceiver() as push_service, HttpReceiver() as gateway:
        services.alert_settings_update(
            membership=personas.membership(personas.alicia), escalation_minutes=10,
            webhook_url=f"{gateway.url}/sms", webhook_secret="gw-secret",
        )
        subscribe(personas, Channel.EMAIL, "vecina@example.org")
        subscribe(personas, Channel.EMAIL, "arequipena@example.org", regions=("04",))
        subscribe(personas, Channel.SMS, "+51 999 888 777")
        subscribe(
            personas, Channel.WEBPUSH,
            {"endpoint": f"{push_service.url}/p/1", "keys": {"p256dh": browser.p256dh_b64, "auth": browser.auth_b64}},
        )
        smtp.messages.clear()
        alert = propose_alert(personas)
        with django_capture_on_commit_callbacks(execute=True):
            publish(personas, alert)
        queue.run()
        # Email
        [(rcpts, message)] = smtp.messages
        assert rcpts == ["vecina@example.org"]
        assert "Cliente violento en Lince" in message["Subject"]
        body = message.get_content()
        assert "no vayas sola" in body and "Toyota Yaris rojo" in body
        assert message["List-Unsubscribe"].startswith("<https://amparo.test/alertas/baja/")
        # Push, decrypted as the browser would
        [push] = push_service.requests
        content = json.loads(browser.read(push))
        assert content["title"].endswith("Cliente violento en Lince (Lima)")
        # SMS gateway, signature checked
        [sms] = gateway.requests
        assert webhook.verify(secret="gw-secret", header=sms.headers["x-amparo-signature"], body=sms.body)
        assert json.loads(sms.body)["to"] == "999888777"
        for text in (body, json.dumps(content), sms.body.decode()):
            for detail in VICTIM_DETAILS:
                assert detail not in text
            assert "987111222" not in text and "ABC123" not in text
    statuses = list(Delivery.objects.filter(alert=alert).values_list("channel", "status"))
    assert sorted(statuses) == [
        (Channel.EMAIL, DeliveryStatus.SENT), (Channel.SMS, DeliveryStatus.SENT), (Channel.WEBPUSH, DeliveryStatus.SENT)
    ]


def test_fanout_is_idempotent(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    from amparo.alerts import tasks

    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    smtp.messages.clear()
    alert = propose_alert(personas)
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, alert)
    tasks.alert_fanout(alert.pk, "published")  # a duplicate job
    queue.run()
    assert len(smtp.messages) == 1
    assert Delivery.objects.filter(alert=alert).count() == 1


def test_only_moderators_publish_and_they_must_give_the_legal_reason(personas) -> None:
    alert = propose_alert(personas)
    for user in (personas.dora, personas.lucia, personas.ana):
        with pytest.raises(PermissionDenied):
            publish(personas, alert, user=user)
    with pytest.raises(PermissionDenied):
        services.alert_publish(
            alert=alert, membership=personas.membership(personas.bruno, personas.other_org),
            title="t", public_text="p", legal_basis="vital_interest", legal_reason="r",
        )
    for bad in ({"legal_basis": ""}, {"legal_reason": ""}, {"title": ""}, {"public_text": "x" * 601},
                {"expires_at": timezone.now() - timedelta(days=1)}, {"expires_at": timezone.now() + timedelta(days=400)}):
        with pytest.raises(ValidationError):
            publish(personas, alert, **bad)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.PENDING


def test_a_public_text_naming_the_person_affected_is_refused(personas) -> None:
    from conftest import make_incident, make_person

    person = make_person(personas.org, personas.carla, code_name="Girasol")
    incident = make_incident(personas.org, personas.carla)
    from amparo.records.services import incident_add_person

    incident_add_person(incident=incident, person=person, acting_user=personas.carla)
    alert = propose_alert(personas, source_incident=incident)
    with pytest.raises(ValidationError):
        publish(personas, alert, public_text="Un cliente atacó a Girasol en Lince.")


@pytest.mark.parametrize(
    "fields",
    [{"kind": "gossip"}, {"region": "99"}, {"report": ""}, {"phone": "12"}, {"plate": "!"}, {"severity": "apocalyptic"},
     {"report": "x" * 2001}],
)
def test_bad_alert_input_is_refused(personas, fields) -> None:
    with pytest.raises(ValidationError):
        propose_alert(personas, **fields)
    assert not CommunityAlert.objects.exists()


def test_expiry_deletes_the_content_and_stops_delivery(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    smtp.messages.clear()
    alert = propose_alert(personas)
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, alert)
    # Expiry passes before the worker gets to it: nothing may go out.
    assert services.alerts_expire(now=alert.expires_at + timedelta(seconds=1)) == 1
    queue.run()
    assert smtp.messages == []
    alert.refresh_from_db()
    assert alert.status == AlertStatus.EXPIRED and alert.purged_at is not None
    for field in CommunityAlert.CONTENT_FIELDS:
        assert getattr(alert, field) == ""
    assert alert.phone_index == "" and alert.plate_index == ""
    assert alert_lookup_for(membership=personas.membership(personas.dora), phone="987111222") == []
    assert public_alerts_for(organisation=personas.org, region_code="15") == []


def test_withdrawal_goes_out_on_the_same_channels_to_those_who_got_the_alert(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    smtp.messages.clear()
    alert = propose_alert(personas)
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, alert)
    queue.run()
    subscribe(personas, Channel.EMAIL, "nueva@example.org")  # joined after: never got the alert
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_withdraw(alert=alert, membership=personas.membership(personas.carla), reason="Era un error")
    queue.run()
    [(rcpts, message)] = smtp.messages
    assert rcpts == ["vecina@example.org"]
    assert "withdrawn" in message["Subject"].lower() or "retirada" in message["Subject"].lower()
    assert "Cliente violento" not in message.get_content()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.WITHDRAWN and alert.public_text == "" and alert.title == ""
    assert Delivery.objects.filter(alert=alert, event=DeliveryEvent.WITHDRAWN, status=DeliveryStatus.SENT).count() == 1


def test_a_withdrawal_before_sending_stops_the_queued_alert(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    smtp.messages.clear()
    alert = propose_alert(personas)
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, alert)
    services.alert_withdraw(alert=alert, membership=personas.membership(personas.carla), reason="Error")
    queue.run()
    assert smtp.messages == []


def test_only_moderators_withdraw(personas) -> None:
    alert = propose_alert(personas)
    publish(personas, alert)
    with pytest.raises(PermissionDenied):
        services.alert_withdraw(alert=alert, membership=personas.membership(personas.dora), reason="x")
    with pytest.raises(ValidationError):
        services.alert_withdraw(alert=alert, membership=personas.membership(personas.carla), reason="")


# --- subscribers ---------------------------------------------------------------------------


def test_email_subscriptions_wait_for_confirmation(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.subscriber_subscribe(
            organisation=personas.org, channel=Channel.EMAIL, address="Vecina@Example.org", region_codes=["15"]
        )
    assert outcome.needs_confirmation
    queue.run()
    [(rcpts, message)] = smtp.messages
    assert rcpts == ["vecina@example.org"]
    assert "/alertas/confirmar/" in message.get_content()
    alert = propose_alert(personas)
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, alert)
    queue.run()
    assert len(smtp.messages) == 1  # the unconfirmed address got no alert


def test_subscribing_twice_keeps_one_subscriber_and_updates_regions(personas) -> None:
    first = subscribe(personas, Channel.SMS, "987 654 321", regions=("15",))
    second = subscribe(personas, Channel.SMS, "+51987654321", regions=("04", "15"))
    assert first.pk == second.pk
    assert sorted(second.regions.values_list("region_id", flat=True)) == ["04", "15"]


def test_subscriber_addresses_are_sealed(personas) -> None:
    from django.db import connection

    subscribe(personas, Channel.EMAIL, "secreta@example.org")
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, address_index FROM alerts_subscriber")
        raw = cursor.fetchall()
    assert raw and all("secreta" not in (a + b) for a, b in raw)


def test_one_click_unsubscribe_deletes_the_subscriber(personas) -> None:
    subscriber = subscribe(personas, Channel.EMAIL, "vecina@example.org")
    token = services.subscriber_token(subscriber)
    assert services.subscriber_unsubscribe(token=token)
    assert not Subscriber.objects.exists()
    assert not services.subscriber_unsubscribe(token=token)
    assert not services.subscriber_unsubscribe(token="forged")
    assert AuditEvent.objects.filter(action="alert_subscriber.unsubscribed").exists()


@pytest.mark.parametrize(
    "channel,address,regions",
    [
        ("email", "not-an-email", ["15"]),
        ("sms", "12", ["15"]),
        ("webpush", '{"endpoint": "x"}', ["15"]),
        ("webpush", "not json", ["15"]),
        ("pigeon", "a@b.org", ["15"]),
        ("email", "a@b.org", []),
        ("email", "a@b.org", ["99"]),
    ],
)
def test_bad_subscriptions_are_refused(personas, channel, address, regions) -> None:
    with pytest.raises(ValidationError):
        services.subscriber_subscribe(organisation=personas.org, channel=channel, address=address, region_codes=regions)
    assert not Subscriber.objects.exists()


def test_a_gone_push_subscription_is_deleted(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    browser = Browser()
    with HttpReceiver(statuses=[410]) as push_service:
        subscribe(
            personas, Channel.WEBPUSH,
            {"endpoint": f"{push_service.url}/p/1", "keys": {"p256dh": browser.p256dh_b64, "auth": browser.auth_b64}},
        )
        alert = propose_alert(personas)
        with django_capture_on_commit_callbacks(execute=True):
            publish(personas, alert)
        queue.run()
    assert not Subscriber.objects.filter(status=SubscriberStatus.ACTIVE).exists()
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


# --- lookup --------------------------------------------------------------------------------


def test_the_lookup_finds_a_phone_or_plate_in_active_alerts_however_typed(personas) -> None:
    alert = propose_alert(personas)
    publish(personas, alert)
    dora = personas.membership(personas.dora)
    assert alert_lookup_for(membership=dora, phone="987-111-222") == [alert]
    assert alert_lookup_for(membership=dora, plate="abc 123") == [alert]
    assert alert_lookup_for(membership=dora, phone="987000000") == []
    event = AuditEvent.objects.filter(action="alert.lookup").last()
    assert event.fields == ["plate"] or event.fields == ["phone"]
    assert "987" not in json.dumps(event.detail)


def test_the_lookup_is_scoped_to_the_organisation_and_refused_to_analysts(personas) -> None:
    alert = propose_alert(personas)
    publish(personas, alert)
    assert alert_lookup_for(membership=personas.membership(personas.bruno, personas.other_org), phone="987111222") == []
    with pytest.raises(PermissionDenied):
        alert_lookup_for(membership=personas.membership(personas.ana), phone="987111222")


def test_the_phone_and_plate_are_stored_only_sealed_and_as_blind_indexes(personas) -> None:
    from django.db import connection

    propose_alert(personas)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM alerts_communityalert")
        row = " ".join(str(v) for v in cursor.fetchone())
    for secret in ("987111222", "ABC123", "Mariposa", "Toyota", "tatuaje"):
        assert secret not in row


def test_deliveries_interrupted_mid_batch_are_marked_failed_not_resent(personas) -> None:
    subscriber = subscribe(personas, Channel.SMS, "987000111")
    alert = publish(personas, propose_alert(personas))
    stuck = Delivery.objects.create(
        organisation=personas.org, alert=alert, subscriber=subscriber, event="published", channel=Channel.SMS,
        status=DeliveryStatus.SENDING, created_at=timezone.now() - timedelta(hours=2),
    )
    assert services.deliveries_recover() == 1
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.FAILED and stuck.detail == "interrupted"


def test_one_broken_row_does_not_stop_the_batch(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    broken = subscribe(personas, Channel.SMS, "987000222")
    Subscriber.objects.filter(pk=broken.pk).update(channel=Channel.WEBPUSH)  # an address that is not a push subscription
    subscribe(personas, Channel.EMAIL, "vecina@example.org")
    smtp.messages.clear()
    alert = propose_alert(personas)
    with django_capture_on_commit_callbacks(execute=True):
        publish(personas, alert)
    queue.run()
    assert [r for r, _m in smtp.messages] == [["vecina@example.org"]]
    assert sorted(Delivery.objects.values_list("status", flat=True)) == [DeliveryStatus.FAILED, DeliveryStatus.SENT]
    assert not Delivery.objects.filter(status=DeliveryStatus.SENDING).exists()
