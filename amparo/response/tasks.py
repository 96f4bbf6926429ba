"""Background jobs: reminders for follow-ups, deadlines, hearings and security follow-ups.

`reminders_dispatch` runs periodically, finds what is due and queues one `reminder_deliver`
per item; each of those claims its item atomically (see services.reminder_send), so a job
that runs twice, or two workers racing, leave exactly one reminder.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import close_old_connections, connection
from huey import crontab
from huey.contrib.djhuey import periodic_task, task

from amparo.response import conf, services


def _fresh_connections(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like djhuey's db_task: a long-lived worker drops stale connections around each job.

    Unlike it, a connection inside an open transaction is left alone — that is a caller (a
    test, or a job run inline) that owns the transaction, and closing it would lose its work.
    """

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                close_old_connections()

    return inner


@task()
@_fresh_connections
def reminder_deliver(kind: str, object_id: int) -> bool:
    return services.reminder_send(kind=kind, object_id=object_id) is not None


@periodic_task(crontab(minute=f"*/{max(1, conf.REMINDER_EVERY_MINUTES)}"))
@_fresh_connections
def reminders_dispatch() -> int:
    due = services.reminders_collect()
    for kind, object_id in due:
        reminder_deliver(kind, object_id)
    return len(due)
