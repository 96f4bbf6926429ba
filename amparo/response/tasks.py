"""Background jobs: reminders for follow-ups, deadlines, hearings and security follow-ups.

`reminders_dispatch` runs periodically, finds what is due and queues one `reminder_deliver`
per item; each of those claims its item atomically (see services.reminder_send), so a job
that runs twice, or two workers racing, leave exactly one reminder.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import periodic_task, task

from amparo.lib.jobs import fresh_connections
from amparo.response import conf, services


@task()
@fresh_connections
def reminder_deliver(kind: str, object_id: int) -> bool:
    return services.reminder_send(kind=kind, object_id=object_id) is not None


@periodic_task(crontab(minute=f"*/{max(1, conf.REMINDER_EVERY_MINUTES)}"))
@fresh_connections
def reminders_dispatch() -> int:
    due = services.reminders_collect()
    for kind, object_id in due:
        reminder_deliver(kind, object_id)
    return len(due)


@task(retries=3, retry_delay=60)
@fresh_connections
def referral_notify(referral_id: int, status: str) -> bool:
    """Tell the lawyer a referral reached her, or its follower that the lawyer answered."""
    return services.referral_notification_send(referral_id=referral_id, status=status)
