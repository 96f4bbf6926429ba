"""Fixtures of the response journeys (J2, J3, J5): the real huey queue on a temporary SQLite
file and a real SMTP server on loopback. Imported by the journey modules that use them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


class Jobs:
    """huey with its real SQLite storage; ``run`` executes what the pages queued, as a worker would."""

    def __init__(self, huey: Any) -> None:
        self.huey = huey

    def run(self, limit: int = 1000) -> int:
        done = 0
        while self.huey.pending_count() and done < limit:
            task = self.huey.dequeue()
            if task is not None:
                self.huey.execute(task)
            done += 1
        return done


@pytest.fixture
def jobs(tmp_path) -> Iterator[Jobs]:  # type: ignore[no-untyped-def]
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    saved_storage, saved_immediate = HUEY.storage, HUEY.immediate
    HUEY.immediate = False
    HUEY.storage = SqliteStorage(name="amparo-journeys", filename=str(tmp_path / "huey.sqlite3"))
    try:
        yield Jobs(HUEY)
    finally:
        HUEY.storage.close()
        HUEY.storage = saved_storage
        HUEY.immediate = saved_immediate


@pytest.fixture
def mailbox(settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A real SMTP server; Django sends through its SMTP backend to it."""
    from amparo.alerts.tests.receivers import SmtpSink

    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "amparo@amparo.test"
        settings.SITE_URL = "https://amparo.test"
        yield sink


def new_page(browser: Any, base: str, *, phone: bool) -> tuple[Any, Any, list[str]]:
    """A context at 360x740 (phone) or 1280x800 (laptop), recording requests that leave the site."""
    size = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=size, locale="es-PE", is_mobile=phone, has_touch=phone, accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) and not r.url.startswith("data:") else None)
    return context, page, outside


def fits_360(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= 360)
