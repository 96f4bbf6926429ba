"""Background jobs (huey): ids in, state re-checked, every row claimed before it is sent.

SqliteHuey by default, RedisHuey in production (settings.HUEY). Run a worker with
``manage.py run_huey``; periodic jobs (escalation every minute, expiry every five) run there too.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import periodic_task, task
from huey.exceptions import RetryTask

from amparo.alerts import conf, delivery, services
from amparo.lib.jobs import fresh_connections


@task()
@fresh_connections
def alarm_dispatch(alarm_id: int) -> int:
    ids = services.alarm_notifications_plan(alarm_id=alarm_id)
    for notification_id in ids:
        alarm_notification_send(notification_id)
    return len(ids)


@task(retries=5, retry_delay=20)
@fresh_connections
def alarm_notification_send(notification_id: int) -> str:
    result = delivery.notification_send(notification_id=notification_id)
    if result is not None and not result.ok and not result.permanent:
        raise RetryTask("temporary failure")
    return "done" if result is None or result.ok else "failed"


@periodic_task(crontab(minute="*"))
@fresh_connections
def alarms_escalate() -> list[int]:
    escalated = services.alarms_escalate()
    for alarm_id in escalated:
        alarm_dispatch(alarm_id)
    return escalated


@task()
@fresh_connections
def alert_fanout(alert_id: int, event: str) -> int:
    count = 0
    for ids in delivery.alert_fanout(alert_id=alert_id, event=event, batch_size=conf.delivery_batch_size()):
        deliveries_send(ids)
        count += len(ids)
    return count


@task(retries=4, retry_delay=60)
@fresh_connections
def deliveries_send(delivery_ids: list[int]) -> int:
    retry = delivery.deliveries_send(delivery_ids=delivery_ids)
    if retry:
        raise RetryTask(f"{len(retry)} deliveries failed for now")
    return len(delivery_ids)


@periodic_task(crontab(minute="*/5"))
@fresh_connections
def alerts_expire() -> int:
    services.deliveries_recover()
    return services.alerts_expire()


@task(retries=3, retry_delay=60)
@fresh_connections
def subscriber_send_confirmation(subscriber_id: int) -> bool:
    result = delivery.confirmation_send(subscriber_id=subscriber_id)
    if result is not None and not result.ok and not result.permanent:
        raise RetryTask("temporary failure")
    return bool(result and result.ok)
