"""J7 — A testing day moves the campaign.

Carla, the coordinator, has set up the Ministry's testing campaign: 100 HIV tests at the venues
where outreach happens. Dora, a peer documenter, has just finished a testing day at "Sauna Azul"
and records it from her phone (360 px): how many tests, how many reactive, the condoms handed
out; nobody named. Carla opens the campaign on her phone and sees the progress move, at the
venue and in total, with the projection at the current pace. Then, still on her phone, she
produces the report for the Ministry from the campaign's page: her password is asked again,
the PDF says what the page said, and the audit trail records who exported which programme.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "es-PE", "is_mobile": True, "has_touch": True}


def record_testing_day(page: Any, base: str, *, programme: Any, venue: Any, when: str, tests: int, reactive: int, condoms: int) -> None:
    page.goto(f"{base}/programas/actividades/")
    page.get_by_role("link", name="Registrar una jornada de pruebas").click()
    assert page.locator("#id_kind").input_value() == "testing_day"
    page.select_option("#id_programme", str(programme.pk))
    page.fill("#id_held_on", when)
    page.select_option("#id_venue", str(venue.pk))
    page.fill("#id_tests_done", str(tests))
    page.fill("#id_tests_reactive", str(reactive))
    page.fill("#id_condoms", str(condoms))
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"{base}/programas/actividades/")


def test_a_testing_day_recorded_from_a_phone_moves_the_campaigns_progress_and_reaches_the_funder_report(personas, live_server, tmp_path):
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from amparo.audit.models import AuditEvent
    from amparo.lib.browser import launch, sign_in
    from amparo.programmes import selectors, services
    from amparo.programmes.models import Activity
    from amparo.programmes.tests.factories import make_programme, make_venue
    from amparo.reports.tests.pdf_text import pdf_text
    from conftest import PASSWORD

    today = timezone.localdate()
    campaign = make_programme(personas, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=30))
    venue = make_venue(personas, "Sauna Azul")
    indicator = services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                          programme=campaign, name="Pruebas de VIH", measure="tests_done", target=100)
    base = live_server.url
    with sync_playwright() as p:
        browser = launch(p)
        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        sign_in(page, base, personas.dora, PASSWORD)
        page.goto(f"{base}/programas/actividades/nueva/?tipo=testing_day")
        assert fits_the_screen(page)
        record_testing_day(page, base, programme=campaign, venue=venue, when=(today - timedelta(days=1)).isoformat(),
                           tests=25, reactive=1, condoms=300)
        activity = Activity.objects.get()
        assert (activity.venue, activity.district_id, activity.recorded_by) == (venue, venue.district_id, personas.dora)
        assert (activity.tests_done, activity.tests_reactive, activity.condoms) == (25, 1, 300)
        assert selectors.indicator_value(indicator) == 25
        phone.close()

        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        sign_in(page, base, personas.carla, PASSWORD)
        page.goto(f"{base}/programas/")
        page.get_by_role("link", name=campaign.name).click()
        card = page.locator(f"section.indicator[data-indicator='{indicator.pk}']")
        assert card.locator(".value").inner_text() == "25"
        assert "25 %" in card.inner_text()
        assert "Al ritmo actual" in card.locator(".projection").inner_text()
        card.locator("summary").click()
        assert "Sauna Azul" in card.locator("table").inner_text()
        assert fits_the_screen(page)

        # The funder report, from the campaign's page: it leaves the organisation, so her password
        # is asked again first; then the form, with the campaign chosen.
        with page.expect_navigation():
            page.get_by_role("link", name="Informe para financiadores y aliados (PDF o XLSX)").click()
        assert "/cuenta/confirmar/" in page.url
        assert fits_the_screen(page)
        page.fill("#sudo-password", PASSWORD)
        with page.expect_navigation():
            page.click("form.card button[type=submit]")
        assert page.locator("#id_programme").input_value() == str(campaign.pk)
        assert fits_the_screen(page)
        page.fill("#id_date_from", (today - timedelta(days=30)).isoformat())
        page.fill("#id_date_to", today.isoformat())
        page.fill("#id_achievements", "Jornadas de prueba en los lugares de trabajo")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Generar el informe").click()
        pdf = (tmp_path / "informe.pdf")
        download_info.value.save_as(pdf)
        assert download_info.value.suggested_filename == f"amparo-informe-programa-{campaign.pk}.pdf"
        phone.close()
        browser.close()

    text = " ".join(pdf_text(pdf.read_bytes()).split())
    assert text.startswith(f"Informe para financiadores y aliados {personas.org.name} · {campaign.name}")
    # The indicator as the campaign's page showed it: 25 of 100 tests, 25 %, and the venue's 25.
    assert "Pruebas de VIH Pruebas de VIH realizadas PEPFAR MER HTS_TST" in text and " 100 25 25 " in text
    assert "Pruebas de VIH Sauna Azul 25" in text
    assert "Jornadas de prueba en los lugares de trabajo" in text
    export = AuditEvent.objects.get(action="insights.export_report")
    assert export.actor_id == personas.carla.pk and export.detail["filters"]["programme"] == str(campaign.pk)
    assert export.detail["format"] == "pdf"
