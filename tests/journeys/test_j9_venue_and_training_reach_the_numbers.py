"""J9 — A venue's poster and a police training reach the numbers.

Carla, the coordinator, prints the report-form poster for "Sauna Azul" from her phone. A woman
at the sauna scans it and sends an anonymous report (a phone with JavaScript off); the report
remembers the venue's poster and nothing about her, triage says where the poster hung, and the
venue list shows the count only as "<5". Then Carla marks the training of the Miraflores police
station as a public milestone from the activity's page; the statistics job runs, and the
organisation's public page says what happened to reports of police incidents in Miraflores
after it. The database is checked at each step.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "es-PE", "is_mobile": True, "has_touch": True}


def run_queued_jobs() -> int:
    """What the worker does: run every queued task."""
    from huey.contrib.djhuey import HUEY

    ran = 0
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
        ran += 1
    return ran


def test_a_venue_poster_and_a_police_training_reach_triage_and_the_public_page(personas, live_server, monkeypatch, tmp_path):
    from huey.contrib.djhuey import HUEY
    from playwright.sync_api import sync_playwright

    from amparo.insights import services as insights
    from amparo.insights.models import Milestone, SharingLevel
    from amparo.intake import conf
    from amparo.intake.models import Report
    from amparo.lib.browser import launch, sign_in
    from amparo.programmes.tests.factories import make_venue
    from amparo.programmes.tests.test_milestones import _evidence, _training
    from amparo.reports.tests.pdf_text import pdf_text
    from conftest import PASSWORD

    monkeypatch.setattr(conf, "NOJS_MIN_SECONDS", 1)
    venue = make_venue(personas, "Sauna Azul")
    _evidence(personas)
    training = _training(personas)
    insights.sharing_update(organisation=personas.org, acting_user=personas.alicia, level=SharingLevel.AGGREGATES, public_page=True)
    HUEY.flush()
    base = live_server.url
    with sync_playwright() as p:
        browser = launch(p)

        # 1. Carla prints the venue's poster; its address carries the venue's token, not its name.
        phone = browser.new_context(**PHONE)
        carla = phone.new_page()
        sign_in(carla, base, personas.carla, PASSWORD)
        carla.goto(f"{base}/programas/lugares/")
        with carla.expect_download() as download_info:
            carla.get_by_role("link", name="PDF A4").click()
        poster = tmp_path / "afiche.pdf"
        download_info.value.save_as(poster)
        address = re.search(r"(/r/lima/\?p=[A-Za-z0-9_-]+)", pdf_text(poster.read_bytes())).group(1)
        venue.refresh_from_db()
        assert address.endswith(f"?p={venue.poster_token}") and "Sauna" not in address

        # 2. A woman at the sauna scans it and reports, anonymously, JavaScript off.
        anonymous = browser.new_context(java_script_enabled=False, **PHONE)
        page = anonymous.new_page()
        page.goto(base + address)
        page.check("input[name=violations][value=extortion]")
        page.fill("input[name=occurred_on]", "2026-10-20")
        page.select_option("select[name=department]", "15")
        page.fill("input[name=district]", "Miraflores (Lima)")  # as the list offers it: there are two Miraflores
        page.check("input[name=perpetrators][value=pnp_officer]")
        page.fill("textarea[name=narrative]", "Un policía nos pidió dinero en la puerta del local.")
        page.check("input[name=reporter][value=victim]")
        page.check("input[name=consent_store]")
        page.check("input[name=consent_share_stats]")
        time.sleep(1.2)  # the minimum time a form without JavaScript must stay open (lowered for the test)
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#receipt")
        anonymous.close()
        report = Report.objects.get(organisation=personas.org)
        assert report.venue == venue

        # 3. Triage says which venue's poster it came from; the venue list counts it protected.
        carla.goto(f"{base}/triaje/{report.pk}/")
        assert carla.inner_text("#poster-venue") == "Sauna Azul"
        carla.goto(f"{base}/programas/lugares/")
        assert carla.inner_text(f"td[data-venue='{venue.pk}']") == "<5"

        # 4. The training of the Miraflores police station becomes a public milestone.
        carla.goto(f"{base}/programas/actividades/{training.pk}/")
        assert fits_the_screen(carla)
        section = carla.locator("#activity-milestone")
        section.locator("input[name=title]").fill("la capacitación a la comisaría de Miraflores")
        section.locator("input[name=is_public]").check()
        with carla.expect_navigation():
            section.get_by_role("button", name="Marcar como hito").click()
        milestone = Milestone.objects.get()
        assert (milestone.activity, milestone.place, milestone.perpetrator, milestone.is_public) == (training, "150122", "pnp_officer", True)

        # 5. The statistics job runs; the public page says what happened after the training.
        assert run_queued_jobs() >= 1
        visitor = browser.new_context(**PHONE).new_page()
        visitor.goto(f"{base}/estadisticas/publico/lima/?lang=es")
        text = visitor.inner_text("main")
        assert "Desde la capacitación a la comisaría de Miraflores (junio de 2025)" in text
        assert "en el distrito de Miraflores" in text and "2,3 a 1,7 al mes" in text
        # The activity's page says the same sentence.
        carla.goto(f"{base}/programas/actividades/{training.pk}/")
        assert "2,3 a 1,7 al mes" in carla.inner_text("#activity-milestone")
        browser.close()
