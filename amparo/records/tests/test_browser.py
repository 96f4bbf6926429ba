"""A documenter signs in with TOTP and records an incident on a 360 × 740 phone screen, in real Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-results"




def test_a_documenter_records_an_incident_on_a_phone(personas, live_server):
    from playwright.sync_api import sync_playwright

    from amparo.lib.browser import launch, sign_in
    from amparo.records.models import Incident
    from conftest import PASSWORD

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True)
        failed_requests: list[str] = []
        # A search request that htmx cancels because a newer one replaced it is not a failure.
        page.on("requestfailed", lambda r: failed_requests.append(f"{r.url} {r.failure}") if "ERR_ABORTED" not in (r.failure or "") else None)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) and not r.url.startswith("data:") else None)

        sign_in(page, live_server.url, personas.dora, PASSWORD)

        page.goto(f"{live_server.url}/incidentes/nuevo/")
        page.fill("#id_occurred_on", "2025-08-02")
        page.select_option("#id_department", "15")
        page.fill("#district-q", "lince")
        page.click(".pick-district >> text=Lince")
        assert page.input_value("#id_district") == "150116"
        page.select_option("#id_place_type", "police_station")
        page.check("input[name=violations][value=arbitrary_detention]")
        page.check("input[name=violations][value=extortion]")
        page.check("input[name=perpetrators][value=pnp_officer]")
        page.fill("#id_narrative", "Me llevaron a la comisaría y me pidieron dinero para soltarme.")
        page.click("summary >> text=Más detalles")
        page.fill("#id_people_affected", "1")
        page.check("#id_consent_store")
        page.check("#id_consent_share_stats")
        page.click("summary >> text=La persona (opcional)")
        page.fill("#id_p-code_name", "Girasol")
        page.select_option("#id_p-gender_identity", "trans_woman")
        page.select_option("#id_p-nationality", "VE")

        # Nothing is wider than the phone's screen.
        assert fits_the_screen(page)
        page.screenshot(path=str(ARTIFACTS / "incident-form-360.png"), full_page=True)
        page.click("#incident-form button[type=submit]")
        page.wait_for_url("**/incidentes/*/")
        assert "guardado" in page.content()
        page.screenshot(path=str(ARTIFACTS / "incident-detail-360.png"), full_page=True)
        browser.close()

    incident = Incident.objects.get()
    assert incident.district_id == "150116" and incident.created_by == personas.dora
    assert incident.people.get().code_name == "Girasol"
    assert sorted(incident.violations.values_list("code", flat=True)) == ["arbitrary_detention", "extortion"]
    assert outside == [], f"requests left the site: {outside}"
    assert failed_requests == []
