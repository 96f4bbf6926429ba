"""Fixtures of the alerts suite: the real huey queue on a temporary SQLite file, a real SMTP
server, and loopback allowed for our local receivers (and only here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from huey.consumer import Worker
from huey.contrib.djhuey import HUEY
from huey.storage import SqliteStorage

from amparo.alerts.channels.webpush import generate_vapid_key
from amparo.alerts.tests.receivers import SmtpSink

VAPID_KEY = generate_vapid_key()


class Queue:
    """huey with its real SQLite storage; ``run`` drives huey's own Worker loop until it is empty."""

    def __init__(self, huey) -> None:  # type: ignore[no-untyped-def]
        self.huey = huey
        self.worker = Worker(huey, threading.Event(), default_delay=0.01, max_delay=0.01, backoff=1)
        self.executed = 0

    def pending(self) -> int:
        """This suite's waiting tasks (other apps, such as statistics refreshes, queue their own)."""
        return sum(1 for task in self.huey.pending() if type(task).__module__.startswith("amparo.alerts"))

    def run(self, *, limit: int = 10_000, now=None) -> int:  # type: ignore[no-untyped-def]
        done = 0
        while self.huey.pending_count() and done < limit:
            self.worker.loop(now)
            done += 1
        self.executed += done
        return done

    def run_scheduled(self, *, now) -> int:  # type: ignore[no-untyped-def]
        """Move tasks whose retry time has come (by ``now``) back to the queue, then run them."""
        for task in self.huey.read_schedule(now):
            self.huey.enqueue(task)
        return self.run(now=now)


@pytest.fixture
def queue(tmp_path) -> Iterator[Queue]:  # type: ignore[no-untyped-def]
    saved_storage, saved_immediate = HUEY.storage, HUEY.immediate
    HUEY.immediate = False
    HUEY.storage = SqliteStorage(name="amparo-alerts-test", filename=str(tmp_path / "huey.sqlite3"))
    try:
        yield Queue(HUEY)
    finally:
        HUEY.storage.close()
        HUEY.storage = saved_storage
        HUEY.immediate = saved_immediate


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:  # type: ignore[no-untyped-def]
    with SmtpSink() as sink:
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "alertas@amparo.test"
        yield sink


@pytest.fixture(autouse=True)
def _alerts_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AMPARO_ALERTS_ALLOW_LOOPBACK = True
    settings.AMPARO_VAPID_PRIVATE_KEY = VAPID_KEY
    settings.AMPARO_WEBHOOK_BACKOFF = 0
    settings.SITE_URL = "https://amparo.test"
