"""Turning alarms and alerts into messages and pushing them through the channels.

Called by the huey tasks in tasks.py with ids. Each row is claimed with a conditional UPDATE before
anything is sent, so a task that runs twice (a retry, a second worker) never sends twice.
Messages about alarms carry the minimum (what, where, how many, a link): the details are behind
the login, not in mailboxes or on lock screens.
"""

from __future__ import annotations

import contextlib
import json
import smtplib
import uuid
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.alerts import conf
from amparo.alerts.channels import DeliveryResult, email, webhook, webpush
from amparo.alerts.models import (
    Alarm,
    AlarmNotification,
    AlertSettings,
    AlertStatus,
    Channel,
    CommunityAlert,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    NotificationStatus,
    StaffDevice,
    Subscriber,
    SubscriberRegion,
    SubscriberStatus,
)
from amparo.lib.urls import absolute_url


def _absolute(path: str) -> str:
    return absolute_url(path)


_vapid_key_cache: dict[str, webpush.Vapid02] = {}


def _vapid_key() -> webpush.Vapid02:
    text = conf.vapid_private_key()
    if text not in _vapid_key_cache:
        _vapid_key_cache.clear()
        _vapid_key_cache[text] = webpush.load_vapid_key(text)
    return _vapid_key_cache[text]


# --- alarms --------------------------------------------------------------------------------


def alarm_message(alarm: Alarm) -> tuple[str, str, dict]:
    where = alarm.district.name if alarm.district is not None else _("place not given")
    subject = _("ALARM: %(kind)s in %(where)s (%(count)d people)") % {
        "kind": alarm.get_kind_display(), "where": where, "count": alarm.people_count,
    }
    url = _absolute(reverse("alerts:alarm_detail", args=[alarm.pk]))
    lines = [subject, ""]
    if alarm.escalation_step > 0:
        lines.append(_("Nobody has answered yet. You are the next people on call."))
    text = "\n".join([*lines, _("Open the alarm and say whether you can go:"), url])
    payload = {"type": "alarm", "title": subject, "url": url, "alarm": str(alarm.uuid)}
    return subject, text, payload


def _temporary(result: DeliveryResult) -> bool:
    return not result.ok and not result.permanent


def notification_send(*, notification_id: int) -> DeliveryResult | None:
    """Send one alarm notification. Returns None when there was nothing to do (already claimed)."""
    claimed = AlarmNotification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    notification = AlarmNotification.objects.select_related(
        "alarm", "alarm__district", "membership", "membership__user", "alarm__organisation"
    ).get(pk=notification_id)
    alarm = notification.alarm
    with translation.override(settings.LANGUAGE_CODE):
        subject, text, payload = alarm_message(alarm)
    result = _send_alarm(notification, subject=subject, text=text, payload=payload)
    notification.status = (
        NotificationStatus.SENT if result.ok else (
            NotificationStatus.PENDING if _temporary(result) else NotificationStatus.FAILED
        )
    )
    notification.detail = result.detail
    notification.sent_at = timezone.now() if result.ok else None
    notification.save(update_fields=["status", "detail", "sent_at"])
    return result


def _send_alarm(notification: AlarmNotification, *, subject: str, text: str, payload: dict) -> DeliveryResult:
    from amparo.alerts.services import alert_settings_for

    if notification.channel == Channel.EMAIL:
        address = notification.membership.user.email
        if not address:
            return DeliveryResult.failed("no email address", permanent=True)
        return email.send(to=address, subject=subject, body=text, settings=conf.smtp_settings())
    if notification.channel == Channel.WEBPUSH:
        results = []
        for device in StaffDevice.objects.filter(membership_id=notification.membership_id):
            result = webpush.send(
                subscription=webpush.PushSubscription.from_json(json.loads(device.subscription)),
                payload=payload,
                vapid=_vapid_key(),
                subject=conf.vapid_subject(),
                urgency="high",
                ttl=3600,
                allow_loopback=conf.allow_loopback(),
            )
            if result.permanent:
                device.delete()  # the browser dropped it
            results.append(result)
        if any(r.ok for r in results):
            return DeliveryResult.sent()
        if not results:
            return DeliveryResult.failed("no device", permanent=True)
        return results[0]
    if notification.channel == Channel.WEBHOOK:
        settings_ = alert_settings_for(notification.alarm.organisation)
        if not settings_.webhook_url:
            return DeliveryResult.failed("no gateway", permanent=True)
        return webhook.send(
            url=settings_.webhook_url,
            secret=settings_.webhook_secret,
            payload={
                "event": "alarm",
                "alarm": str(notification.alarm.uuid),
                "recipient": {"membership": notification.membership_id, "username": notification.membership.user.username},
                "text": subject,
                "url": payload["url"],
            },
            delivery_id=f"alarm-{notification.pk}",
            event="alarm",
            attempts=conf.webhook_attempts(),
            backoff=conf.webhook_backoff(),
            allow_loopback=conf.allow_loopback(),
        )
    return DeliveryResult.failed("unknown channel", permanent=True)


# --- community alerts ----------------------------------------------------------------------


def alert_message(alert: CommunityAlert, *, event: str, unsubscribe_url: str) -> tuple[str, str, dict]:
    region = alert.region.name
    if event == DeliveryEvent.WITHDRAWN:
        subject = _("Alert withdrawn (%(region)s)") % {"region": region}
        text = _("The alert of %(date)s for %(region)s has been withdrawn. Please disregard it.") % {
            "date": timezone.localtime(alert.published_at).strftime("%d/%m/%Y %H:%M") if alert.published_at else "",
            "region": region,
        }
    else:
        subject = f"{alert.get_severity_display()}: {alert.title} ({region})"
        parts = [alert.public_text]
        if alert.perpetrator_description:
            parts.append(_("Description: %(text)s") % {"text": alert.perpetrator_description})
        if alert.vehicle:
            parts.append(_("Vehicle: %(text)s") % {"text": alert.vehicle})
        if alert.area:
            parts.append(_("Area: %(text)s") % {"text": alert.area})
        parts.append(_("Valid until %(date)s.") % {"date": timezone.localtime(alert.expires_at).strftime("%d/%m/%Y")})
        text = "\n\n".join(parts)
    stop = _("Stop receiving alerts:")
    body = f"{text}\n\n{stop} {unsubscribe_url}"
    payload = {"type": f"alert.{event}", "title": subject, "body": text, "alert": str(alert.uuid)}
    return subject, body, payload


def alert_fanout(*, alert_id: int, event: str, batch_size: int = 200) -> Iterator[list[int]]:
    """Create one queued delivery per subscriber of the alert's region, a batch at a time, and
    yield the queued ids of each batch (so sending starts before the last row is written).

    Published: active subscribers of the region, only while the alert is live.
    Withdrawn: everyone an alert delivery was sent to, on the same channel.
    Running it twice creates nothing new and yields only what is still queued."""
    alert = CommunityAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        return
    if event == DeliveryEvent.PUBLISHED:
        if not alert.is_live:
            return
        pairs = list(
            SubscriberRegion.objects.filter(
                organisation_id=alert.organisation_id,
                region_id=alert.region_id,
                subscriber__status=SubscriberStatus.ACTIVE,
            )
            .values_list("subscriber_id", "subscriber__channel")
            .order_by("subscriber_id")
        )
    elif event == DeliveryEvent.WITHDRAWN:
        if alert.status != AlertStatus.WITHDRAWN:
            return
        pairs = list(
            Delivery.objects.filter(
                alert=alert, event=DeliveryEvent.PUBLISHED, status=DeliveryStatus.SENT, subscriber__isnull=False
            )
            .values_list("subscriber_id", "channel")
            .order_by("subscriber_id")
        )
    else:
        raise ValueError(event)
    now = timezone.now()
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        Delivery.objects.bulk_create(
            [
                Delivery(
                    organisation_id=alert.organisation_id, alert=alert, subscriber_id=sid, event=event,
                    channel=channel, created_at=now,
                )
                for sid, channel in chunk
            ],
            ignore_conflicts=True,
        )
        ids = list(
            Delivery.objects.filter(
                alert=alert, event=event, status=DeliveryStatus.QUEUED, subscriber_id__in=[sid for sid, _c in chunk]
            ).values_list("pk", flat=True)
        )
        if ids:
            yield ids


# Stands for each subscriber's own unsubscribe link in a message built once per batch.
UNSUBSCRIBE_MARK = "\x00unsubscribe\x00"

# How many messages may go out between two checks that the alert is still published.
RECHECK_EVERY = 20


def deliveries_send(*, delivery_ids: Iterable[int]) -> list[int]:
    """Send a batch of deliveries. Returns the ids that failed for a reason worth retrying
    (they are queued again). A published alert that was withdrawn or expired meanwhile is not sent.

    The whole batch is claimed with one conditional UPDATE under a fresh token, so a second worker
    given the same ids finds nothing to do. A worker killed mid-batch leaves its rows "sending"."""
    from amparo.alerts.services import alert_settings_for, subscriber_token

    token = uuid.uuid4().hex
    ids = list(delivery_ids)
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, claim=token, attempts=F("attempts") + 1
    )
    rows = list(
        Delivery.objects.filter(pk__in=ids, claim=token, status=DeliveryStatus.SENDING)
        .select_related("subscriber")
        .order_by("pk")
    )
    # Each alert is loaded (and its sealed fields opened) once per batch, not once per row.
    alerts = {
        a.pk: a
        for a in CommunityAlert.objects.filter(pk__in={d.alert_id for d in rows}).select_related("region", "organisation")
    }
    messages: dict[tuple[int, str, str], tuple[str, str, dict]] = {}
    gateways: dict[int, AlertSettings] = {}
    retry: list[int] = []
    smtp: smtplib.SMTP | None = None
    live: dict[int, bool] = {}
    flushed = 0
    try:
        for position, delivery in enumerate(rows):
            alert = alerts[delivery.alert_id]
            if position % RECHECK_EVERY == 0:
                _flush(rows[flushed:position])
                flushed = position
            if position % RECHECK_EVERY == 0 or alert.pk not in live:
                fresh = CommunityAlert.objects.filter(pk=alert.pk).values_list("status", "expires_at").first()
                expected = AlertStatus.PUBLISHED if delivery.event == DeliveryEvent.PUBLISHED else AlertStatus.WITHDRAWN
                live[alert.pk] = fresh is not None and fresh[0] == expected and (
                    delivery.event != DeliveryEvent.PUBLISHED or fresh[1] > timezone.now()
                )
            subscriber = delivery.subscriber
            if not live[alert.pk]:
                _record(delivery, DeliveryResult.failed("alert no longer published", permanent=True))
                continue
            if subscriber is None:
                _record(delivery, DeliveryResult.failed("unsubscribed", permanent=True))
                continue
            unsubscribe_url = _absolute(reverse("alerts_public:unsubscribe", args=[subscriber_token(subscriber)]))
            key = (alert.pk, delivery.event, subscriber.language)
            if key not in messages:
                with translation.override(subscriber.language):
                    messages[key] = alert_message(alert, event=delivery.event, unsubscribe_url=UNSUBSCRIBE_MARK)
            subject, body, payload = messages[key]
            body = body.replace(UNSUBSCRIBE_MARK, unsubscribe_url)
            payload = dict(payload)
            if delivery.channel == Channel.EMAIL:
                if smtp is None:
                    try:
                        smtp = email.open_connection(conf.smtp_settings())
                    except (smtplib.SMTPException, OSError):
                        smtp = None
                result = email.send(
                    to=subscriber.address, subject=subject, body=body, settings=conf.smtp_settings(),
                    unsubscribe_url=unsubscribe_url, connection=smtp,
                )
                if not result.ok and smtp is not None:
                    _reset(smtp)
                    smtp = None
            elif delivery.channel == Channel.WEBPUSH:
                payload["unsubscribe"] = unsubscribe_url
                try:
                    subscription = webpush.PushSubscription.from_json(json.loads(subscriber.address))
                except (ValueError, TypeError):
                    _record(delivery, DeliveryResult.failed("stored subscription is not valid", permanent=True))
                    continue
                result = webpush.send(
                    subscription=subscription,
                    payload=payload,
                    vapid=_vapid_key(),
                    subject=conf.vapid_subject(),
                    ttl=24 * 3600,
                    urgency="high" if alert.severity == "danger" else "normal",
                    allow_loopback=conf.allow_loopback(),
                )
                if result.permanent and result.status_code in (404, 410):
                    subscriber.delete()  # the browser unsubscribed itself
            elif delivery.channel == Channel.SMS:
                if alert.organisation_id not in gateways:
                    gateways[alert.organisation_id] = alert_settings_for(alert.organisation)
                settings_ = gateways[alert.organisation_id]
                if not settings_.webhook_url:
                    result = DeliveryResult.failed("no gateway", permanent=True)
                else:
                    result = webhook.send(
                        url=settings_.webhook_url,
                        secret=settings_.webhook_secret,
                        payload={"event": f"alert.{delivery.event}", "to": subscriber.address, "text": f"{subject}\n{body}"},
                        delivery_id=f"delivery-{delivery.pk}",
                        event=f"alert.{delivery.event}",
                        attempts=1,  # huey retries the batch; no sleeping inside a batch
                        allow_loopback=conf.allow_loopback(),
                    )
            else:
                result = DeliveryResult.failed("unknown channel", permanent=True)
            _record(delivery, result)
            if delivery.status == DeliveryStatus.QUEUED:
                retry.append(delivery.pk)
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        # Rows not reached (an exception above) go back to the queue for the retry.
        for delivery in rows:
            if delivery.status == DeliveryStatus.SENDING:
                delivery.status = DeliveryStatus.QUEUED
        _flush(rows[flushed:])
    return retry


def _flush(rows: list[Delivery]) -> None:
    """Write the outcome of a few deliveries: one UPDATE per distinct (status, detail), not per row."""
    groups: dict[tuple[str, str], list[int]] = {}
    for delivery in rows:
        groups.setdefault((delivery.status, delivery.detail), []).append(delivery.pk)
    now = timezone.now()
    for (status, detail), ids in groups.items():
        Delivery.objects.filter(pk__in=ids).update(
            status=status, detail=detail, sent_at=now if status == DeliveryStatus.SENT else None
        )


def _record(delivery: Delivery, result: DeliveryResult) -> None:
    if result.ok:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
    elif _temporary(result) and delivery.attempts < 5:
        delivery.status = DeliveryStatus.QUEUED
    else:
        delivery.status = DeliveryStatus.FAILED
    delivery.detail = result.detail


def _reset(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
    return None



def confirmation_send(*, subscriber_id: int) -> DeliveryResult | None:
    from amparo.alerts.models import SubscriberStatus
    from amparo.alerts.services import subscriber_token

    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=SubscriberStatus.PENDING).first()
    if subscriber is None or subscriber.channel != Channel.EMAIL:
        return None
    confirm_url = _absolute(reverse("alerts_public:confirm", args=[subscriber_token(subscriber, purpose="confirm")]))
    with translation.override(subscriber.language):
        subject = _("Confirm your alert subscription")
        body = "\n\n".join([
            _("Someone (we hope you) asked to receive safety alerts at this address."),
            _("To confirm, open this link:") + f" {confirm_url}",
            _("If it was not you, ignore this message and nothing more will be sent."),
        ])
    return email.send(to=subscriber.address, subject=subject, body=body, settings=conf.smtp_settings())
