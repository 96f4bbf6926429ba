"""End to end on huey's real consumer: a worker thread and the scheduler running on a temporary
SQLite queue file, an SMTP server receiving the result.

The worker thread is handed the test's database connection (as Django's LiveServerTestCase does
for its server thread), so it sees the test's data; the test thread meanwhile only watches the
SMTP server, so the connection is never used by two threads at once."""

from __future__ import annotations

import signal
import time

from django.db import connections
from huey.consumer import Consumer

from amparo.alerts.models import Channel, DeliveryStatus, NotificationStatus
from amparo.alerts.tests.factories import on_call, propose_alert, publish, raise_alarm, subscribe


def wait_for(condition, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_real_consumer_delivers_alarms_and_alerts(personas, queue, smtp, django_capture_on_commit_callbacks) -> None:
    on_call(personas, personas.lucia)
    subscribe(personas, Channel.EMAIL, "vecina@example.org")  # confirmed outside the capture: no job
    with django_capture_on_commit_callbacks(execute=True):
        alarm = raise_alarm(personas)
        alert = propose_alert(personas)
        publish(personas, alert)
    assert queue.pending() == 2  # alarm dispatch, alert fan-out

    shared = connections["default"]
    shared.inc_thread_sharing()

    def use_test_connection() -> None:
        connections["default"] = shared

    queue.huey.on_startup(name="alerts-test-connection")(use_test_connection)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = Consumer(queue.huey, workers=1, worker_type="thread", periodic=False, initial_delay=0.01,
                        max_delay=0.05, scheduler_interval=1)
    consumer.start()
    try:
        assert wait_for(lambda: len(smtp.messages) == 2)
    finally:
        consumer.stop(graceful=True)
        queue.huey._startup.pop("alerts-test-connection", None)
        shared.dec_thread_sharing()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == ["lucia@example.org", "vecina@example.org"]
    assert alarm.notifications.get().status == NotificationStatus.SENT
    assert alert.deliveries.get().status == DeliveryStatus.SENT
