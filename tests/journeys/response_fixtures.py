"""Fixtures of the response journeys (J2, J3, J5): the real huey queue on a temporary SQLite
file and a real SMTP server on loopback. Imported by the journey modules that use them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def jobs(tmp_path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The real huey queue; ``jobs.run()`` executes what the pages queued, as a worker would."""
    from amparo.alerts.tests.receivers import real_queue

    with real_queue(tmp_path, name="amparo-journeys") as queue:
        yield queue


@pytest.fixture
def mailbox(settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A real SMTP server; Django sends through its SMTP backend to it."""
    from amparo.alerts.tests.receivers import smtp_receiver

    with smtp_receiver(settings, from_email="amparo@amparo.test") as sink:
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

