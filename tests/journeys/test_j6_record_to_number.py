"""J6 — From record to number.

Dora, a documenter on her phone, records two incidents: the first person agrees to be counted in
de-identified statistics, the second does not. The statistics job runs (the queued refresh, as the
worker runs it). Carla, the coordinator, opens the dashboard on her laptop: the first incident is
counted; the second is not described anywhere, only counted among those left out.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SAVED = re.compile(r"/incidentes/\d+/$")


def record_incident(page: Any, base: str, *, when: str, consent_to_statistics: bool) -> None:
    page.goto(f"{base}/incidentes/nuevo/")
    page.fill("#id_occurred_on", when)
    page.select_option("#id_department", "15")
    page.fill("#district-q", "Lince")
    page.check("input[name=violations][value=raid]")
    page.check("input[name=perpetrators][value=pnp_officer]")
    page.fill("#id_narrative", "Operativo en la avenida; se llevaron a varias compañeras.")
    page.check("#id_consent_store")
    if consent_to_statistics:
        page.check("#id_consent_share_stats")
    page.click("#incident-form button[type=submit]")
    page.wait_for_url(SAVED)


def key_figures(page: Any) -> dict[str, str]:
    cards = page.locator("section.figures .card")
    return {
        cards.nth(i).locator(".stat-label").inner_text().strip(): cards.nth(i).locator(".stat").inner_text().strip()
        for i in range(cards.count())
    }


def run_statistics_job() -> int:
    """What the worker does: run every queued task (the refresh queued when the incidents were saved)."""
    from huey.contrib.djhuey import HUEY

    ran = 0
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
        ran += 1
    return ran


def test_a_new_incident_reaches_the_dashboard_and_one_without_consent_is_only_counted_as_left_out(personas, live_server):
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY
    from playwright.sync_api import sync_playwright

    from amparo.insights.models import RefreshState
    from amparo.lib.browser import launch, sign_in
    from amparo.records.models import Incident
    from conftest import PASSWORD

    HUEY.flush()
    base = live_server.url
    when = (timezone.localdate() - timedelta(days=3)).isoformat()
    with sync_playwright() as p:
        browser = launch(p)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True)
        page = phone.new_page()
        sign_in(page, base, personas.dora, PASSWORD)
        record_incident(page, base, when=when, consent_to_statistics=True)
        counted = Incident.objects.get()
        assert counted.consent_share_stats and counted.district_id == "150116"
        record_incident(page, base, when=when, consent_to_statistics=False)
        left_out = Incident.objects.exclude(pk=counted.pk).get()
        assert not left_out.consent_share_stats
        # Saving marked the organisation's statistics out of date and queued their refresh.
        assert RefreshState.objects.get(organisation=personas.org).dirty_since is not None
        phone.close()

        assert run_statistics_job() >= 1
        state = RefreshState.objects.get(organisation=personas.org)
        assert state.dirty_since is None and state.refreshed_at is not None

        laptop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-PE")
        page = laptop.new_page()
        sign_in(page, base, personas.carla, PASSWORD)
        page.goto(f"{base}/estadisticas/")
        figures = key_figures(page)
        assert figures["Incidentes reportados"] == "1", figures
        assert figures["Excluidos: sin consentimiento para uso estadístico"] == "1", figures
        # The same after a whole-month period filter, answered from the refreshed aggregates.
        page.goto(f"{base}/estadisticas/?date_from={when[:8]}01")
        assert key_figures(page)["Incidentes reportados"] == "1"
        laptop.close()
        browser.close()
