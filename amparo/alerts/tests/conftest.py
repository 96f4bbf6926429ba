"""Fixtures of the alerts suite: the real huey queue on a temporary SQLite file, a real SMTP
server, and loopback allowed for our local receivers (and only here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from amparo.alerts.channels.webpush import generate_vapid_key
from amparo.alerts.tests.receivers import Queue, SmtpSink, real_queue, smtp_receiver

VAPID_KEY = generate_vapid_key()


@pytest.fixture
def queue(tmp_path) -> Iterator[Queue]:  # type: ignore[no-untyped-def]
    with real_queue(tmp_path, name="amparo-alerts-test") as q:
        yield q


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:  # type: ignore[no-untyped-def]
    with smtp_receiver(settings, from_email="alertas@amparo.test") as sink:
        yield sink


@pytest.fixture(autouse=True)
def _alerts_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AMPARO_ALERTS_ALLOW_LOOPBACK = True
    settings.AMPARO_VAPID_PRIVATE_KEY = VAPID_KEY
    settings.AMPARO_WEBHOOK_BACKOFF = 0
    settings.SITE_URL = "https://amparo.test"
