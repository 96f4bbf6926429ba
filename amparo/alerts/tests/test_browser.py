"""On a 360 × 740 phone screen in real Chromium: a documenter signs in with TOTP and presses the
alarm button; a community member sends the public emergency form. No request leaves the server."""

from __future__ import annotations

import os

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")




def test_the_alarm_button_and_the_emergency_form_on_a_phone(personas, live_server) -> None:
    from playwright.sync_api import sync_playwright

    from amparo.alerts import services
    from amparo.alerts.models import Alarm
    from amparo.lib.browser import launch, sign_in
    from conftest import PASSWORD

    token = services.alert_settings_for(personas.org).emergency_token
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        sign_in(page, live_server.url, personas.dora, PASSWORD)

        page.goto(f"{live_server.url}/alertas-equipo/")
        page.check("input[name=kind][value=raid]")
        page.select_option("#id_district", "150116")
        page.fill("#id_place", "Discoteca La Luna")
        page.fill("#id_people_count", "5")
        button = page.locator("button.alarm-button")
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 360  # reachable without side-scrolling
        button.click()
        page.wait_for_url("**/alertas-equipo/alarmas/*/")
        assert "Discoteca La Luna" in page.content()
        assert fits_the_screen(page)

        anonymous = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE").new_page()
        anonymous.goto(f"{live_server.url}/emergencia/{token}/")
        anonymous.check("input[name=kind][value=detention]")
        anonymous.fill("#id_people_count", "2")
        anonymous.click("button[type=submit]")
        assert "Alarma enviada" in anonymous.content()
        browser.close()

    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e]
    assert sorted(Alarm.objects.values_list("source", flat=True)) == ["button", "public_form"]
