"""Raid / detention alarms: on-call selection, notification, acknowledgement, escalation,
the detention log and the incident each alarm becomes. Jobs run on the real huey queue and
emails reach a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from amparo.alerts import services
from amparo.alerts.models import (
    Alarm,
    AlarmKind,
    AlarmNotification,
    AlarmSource,
    AlarmStatus,
    Channel,
    DetentionBasis,
    NotificationStatus,
)
from amparo.alerts.tests.factories import on_call, raise_alarm
from amparo.alerts.tests.receivers import HttpReceiver
from amparo.audit.models import AuditEvent
from amparo.records.models import Incident


def recipients(smtp) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(r for rcpts, _m in smtp.messages for r in rcpts)


def test_an_alarm_notifies_whoever_is_on_call_and_becomes_an_incident(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    on_call(personas, personas.lucia, level=0)
    on_call(personas, personas.carla, level=1)
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
    assert queue.pending() == 1  # nothing is sent inside the request
    queue.run()
    assert recipients(smtp) == ["lucia@example.org"]
    [(_r, message)] = smtp.messages
    assert "ALARM" in message["Subject"] or "ALARMA" in message["Subject"]
    # The details stay behind the login: no place, station or description in the mail.
    body = message.get_content()
    assert "La Luna" not in body and "Monserrate" not in body and "policías" not in body
    assert f"/alertas-equipo/alarmas/{alarm.pk}/" in body
    notification = AlarmNotification.objects.get(alarm=alarm)
    assert notification.status == NotificationStatus.SENT and notification.sent_at is not None
    incident = Incident.objects.get(pk=alarm.incident_id)
    assert incident.origin == "alarm" and incident.people_affected == 6
    assert incident.organisation_id == personas.org.pk


def test_the_roster_is_read_in_lima_time(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    # Lucía covers weekday days, Carla weekday nights.
    on_call(personas, personas.lucia, days="01234", start=time(8), end=time(20))
    on_call(personas, personas.carla, days="01234", start=time(20), end=time(8))
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
    # 02:30 UTC on a Tuesday is 21:30 on Monday in Lima: the night shift.
    Alarm.objects.filter(pk=alarm.pk).update(raised_at=datetime(2026, 11, 24, 2, 30, tzinfo=UTC))
    queue.run()
    assert recipients(smtp) == ["carla@example.org"]


def test_with_nobody_on_the_roster_coordinators_and_admins_are_called(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        raise_alarm(personas)
    queue.run()
    assert recipients(smtp) == ["alicia@example.org", "carla@example.org"]


def test_nobody_acknowledging_escalates_to_the_next_level_after_the_timeout(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    on_call(personas, personas.lucia, level=0)
    on_call(personas, personas.carla, level=1)
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
    queue.run()
    minutes = services.alert_settings_for(personas.org).escalation_minutes
    assert services.alarms_escalate(now=alarm.raised_at + timedelta(minutes=minutes - 1)) == []
    from amparo.alerts import tasks

    escalated = services.alarms_escalate(now=alarm.raised_at + timedelta(minutes=minutes, seconds=1))
    assert escalated == [alarm.pk]
    for pk in escalated:
        tasks.alarm_dispatch(pk)
    queue.run()
    assert recipients(smtp) == ["carla@example.org", "lucia@example.org"]  # Lucía is not called twice
    escalated_mail = next(m for r, m in smtp.messages if r == ["carla@example.org"])
    assert "Nadie ha respondido" in escalated_mail.get_content() or "Nobody has answered" in escalated_mail.get_content()
    alarm.refresh_from_db()
    assert alarm.escalation_step == 1
    # Running the escalation again at the same moment does nothing: the step was claimed.
    assert services.alarms_escalate(now=alarm.raised_at + timedelta(minutes=minutes, seconds=2)) == []
    assert AuditEvent.objects.filter(action="alarm.escalated", target_id=str(alarm.pk)).count() == 1


def test_an_acknowledged_alarm_does_not_escalate(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    on_call(personas, personas.lucia, level=0)
    on_call(personas, personas.carla, level=1)
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
    queue.run()
    ack = services.alarm_acknowledge(alarm=alarm, membership=personas.membership(personas.lucia))
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.acknowledged_at == ack.at
    assert ack.membership.user == personas.lucia
    assert services.alarms_escalate(now=alarm.raised_at + timedelta(hours=2)) == []
    assert recipients(smtp) == ["lucia@example.org"]
    # Acknowledging twice keeps one record.
    services.alarm_acknowledge(alarm=alarm, membership=personas.membership(personas.lucia))
    assert alarm.acknowledgements.count() == 1


def test_documenters_and_analysts_cannot_acknowledge(personas) -> None:
    alarm = raise_alarm(personas)
    for user in (personas.dora, personas.ana):
        with pytest.raises(PermissionDenied):
            services.alarm_acknowledge(alarm=alarm, membership=personas.membership(user))
    with pytest.raises(PermissionDenied):
        services.alarm_acknowledge(alarm=alarm, membership=personas.membership(personas.bruno, personas.other_org))


def test_analysts_cannot_raise_an_alarm(personas) -> None:
    with pytest.raises(PermissionDenied):
        raise_alarm(personas, personas.ana)


@pytest.mark.parametrize(
    "fields",
    [{"kind": "party"}, {"people_count": 0}, {"people_count": "many"}, {"district": "999999"}, {"description": "x" * 3000}],
)
def test_bad_alarm_input_is_refused_and_nothing_is_saved(personas, fields) -> None:
    with pytest.raises(ValidationError):
        raise_alarm(personas, **fields)
    assert not Alarm.objects.exists() and not Incident.objects.exists()


def test_a_public_alarm_becomes_an_incident_when_a_responder_takes_it(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alarm = services.alarm_raise(
            organisation=personas.org, kind=AlarmKind.DETENTION, source=AlarmSource.PUBLIC_FORM,
            description="Se llevaron a mi amiga", people_count=1,
        )
    queue.run()
    assert alarm.raised_by is None and alarm.incident_id is None
    assert len(smtp.messages) == 2
    services.alarm_acknowledge(alarm=alarm, membership=personas.membership(personas.carla))
    alarm.refresh_from_db()
    incident = Incident.objects.get(pk=alarm.incident_id)
    assert incident.created_by == personas.carla


def test_only_the_public_form_may_raise_an_alarm_without_a_member(personas) -> None:
    with pytest.raises(PermissionDenied):
        services.alarm_raise(organisation=personas.org, kind=AlarmKind.RAID, source=AlarmSource.API)


def test_alarm_notifications_go_to_the_gateway_webhook_signed(
    personas, queue, smtp, django_capture_on_commit_callbacks
) -> None:
    from amparo.alerts.channels import webhook

    on_call(personas, personas.lucia)
    with HttpReceiver() as gateway:
        services.alert_settings_update(
            membership=personas.membership(personas.alicia), escalation_minutes=5,
            webhook_url=f"{gateway.url}/sms", webhook_secret="gateway-secret",
        )
        with django_capture_on_commit_callbacks(execute=True):
            alarm = raise_alarm(personas)
        queue.run()
    [request] = gateway.requests
    assert webhook.verify(secret="gateway-secret", header=request.headers["x-amparo-signature"], body=request.body)
    assert b"lucia" in request.body and b"La Luna" not in request.body
    channels = set(AlarmNotification.objects.filter(alarm=alarm).values_list("channel", "status"))
    assert channels == {(Channel.EMAIL, NotificationStatus.SENT), (Channel.WEBHOOK, NotificationStatus.SENT)}


def test_a_failing_mail_server_leaves_the_notification_queued_for_retry(
    personas, queue, settings, django_capture_on_commit_callbacks
) -> None:
    from amparo.alerts.tests.receivers import SmtpSink

    with SmtpSink() as sink:
        dead_port = sink.port
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", dead_port, 2
    on_call(personas, personas.lucia)
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
    queue.run()
    notification = AlarmNotification.objects.get(alarm=alarm)
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 1
    assert len(queue.huey.scheduled()) == 1  # huey will retry it
    with SmtpSink() as sink:
        settings.EMAIL_PORT = sink.port
        queue.run_scheduled(now=datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5))
        assert [r for r, _m in sink.messages] == [["lucia@example.org"]]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 2


# --- detention log -------------------------------------------------------------------------


def test_the_detention_log_tracks_the_legal_limit_and_the_release(personas) -> None:
    alarm = raise_alarm(personas)
    lawyer = personas.membership(personas.lucia)
    since = timezone.now() - timedelta(hours=5)
    held = services.detained_add(
        alarm=alarm, membership=lawyer, code_name="Girasol", since=since,
        held_at="Comisaría de Monserrate", basis=DetentionBasis.IDENTITY_CHECK_NATIONAL,
    )
    assert held.reckoning().standing == "exceeded"
    assert held.reckoning().deadline == since + timedelta(hours=4)
    services.detained_release(detained=held, membership=lawyer, released_at=since + timedelta(hours=4, minutes=30))
    held.refresh_from_db()
    assert held.reckoning().standing == "released_late"
    event = AuditEvent.objects.get(action="detention.released")
    assert event.detail == {"standing": "released_late"}


def test_the_documenter_who_raised_the_alarm_may_log_detentions_but_others_may_not(personas) -> None:
    alarm = raise_alarm(personas, personas.dora)
    since = timezone.now() - timedelta(hours=1)
    services.detained_add(alarm=alarm, membership=personas.membership(personas.dora), code_name="A", since=since)
    for user in (personas.diana, personas.ana):
        with pytest.raises(PermissionDenied):
            services.detained_add(alarm=alarm, membership=personas.membership(user), code_name="B", since=since)


@pytest.mark.parametrize(
    "fields",
    [
        {"code_name": ""},
        {"basis": "because"},
        {"since": None},
        {"since": datetime(2026, 1, 1)},
        {"distance_hours": 1000},
        {"since": "future"},
    ],
)
def test_bad_detention_input_is_refused(personas, fields) -> None:
    alarm = raise_alarm(personas)
    values = {"code_name": "Girasol", "since": timezone.now() - timedelta(hours=1)}
    values.update(fields)
    if values["since"] == "future":
        values["since"] = timezone.now() + timedelta(hours=2)
    with pytest.raises(ValidationError):
        services.detained_add(alarm=alarm, membership=personas.membership(personas.lucia), **values)
    assert not alarm.detained.exists()


def test_a_release_before_the_detention_is_refused(personas) -> None:
    alarm = raise_alarm(personas)
    lawyer = personas.membership(personas.lucia)
    since = timezone.now() - timedelta(hours=1)
    held = services.detained_add(alarm=alarm, membership=lawyer, code_name="G", since=since)
    with pytest.raises(ValidationError):
        services.detained_release(detained=held, membership=lawyer, released_at=since - timedelta(minutes=1))


def test_shifts_are_for_lawyers_and_coordinators_of_the_organisation(personas) -> None:
    with pytest.raises(ValidationError):
        on_call(personas, personas.dora)
    with pytest.raises(ValidationError):
        services.shift_create(
            membership=personas.membership(personas.alicia),
            on_call=personas.membership(personas.bruno, personas.other_org),
            weekdays="0", start=time(8), end=time(9),
        )
    with pytest.raises(PermissionDenied):
        services.shift_create(
            membership=personas.membership(personas.lucia), on_call=personas.membership(personas.lucia),
            weekdays="0", start=time(8), end=time(9),
        )
    with pytest.raises(ValidationError):
        on_call(personas, personas.lucia, days="")


def test_alarms_reach_the_on_call_lawyers_phone_by_web_push(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    import json

    from amparo.alerts.tests.receivers import Browser

    on_call(personas, personas.lucia)
    browser = Browser()
    with HttpReceiver() as push_service:
        services.staff_device_register(
            membership=personas.membership(personas.lucia),
            subscription={"endpoint": f"{push_service.url}/p/lucia", "keys": {"p256dh": browser.p256dh_b64, "auth": browser.auth_b64}},
        )
        with django_capture_on_commit_callbacks(execute=True):
            alarm = raise_alarm(personas)
        queue.run()
    [request] = push_service.requests
    assert request.headers["urgency"] == "high"
    content = json.loads(browser.read(request))
    assert content["alarm"] == str(alarm.uuid) and content["url"].endswith(f"/alarmas/{alarm.pk}/")
    assert "Monserrate" not in json.dumps(content)
    assert AlarmNotification.objects.get(alarm=alarm, channel=Channel.WEBPUSH).status == NotificationStatus.SENT


def test_escalation_stops_once_everyone_on_the_roster_was_called(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    on_call(personas, personas.lucia, level=0)
    on_call(personas, personas.carla, level=1)
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
    minutes = services.alert_settings_for(personas.org).escalation_minutes
    assert services.alarms_escalate(now=alarm.raised_at + timedelta(minutes=minutes)) == [alarm.pk]
    assert services.alarms_escalate(now=alarm.raised_at + timedelta(minutes=3 * minutes)) == []
    alarm.refresh_from_db()
    assert alarm.escalation_step == 1 and alarm.next_escalation_at is None and alarm.status == AlarmStatus.OPEN


def test_closing_an_alarm_deletes_how_to_reach_the_caller(personas) -> None:
    alarm = services.alarm_raise(
        organisation=personas.org, kind=AlarmKind.DETENTION, source=AlarmSource.PUBLIC_FORM, contact="987 123 456",
    )
    services.alarm_close(alarm=alarm, membership=personas.membership(personas.carla))
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED and alarm.contact == ""
