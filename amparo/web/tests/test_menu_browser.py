"""On a 360-px phone the menu folds behind one line and opens without JavaScript; on a laptop it is open."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_the_admin_menu_leaves_the_first_screen_to_the_page_even_without_javascript(personas, live_server):
    from playwright.sync_api import sync_playwright

    from amparo.lib.browser import launch, sign_in
    from conftest import PASSWORD

    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE", java_script_enabled=False)
        page = context.new_page()
        sign_in(page, live_server.url, personas.alicia, PASSWORD)
        page.goto(f"{live_server.url}/incidentes/")
        # Before: the admin's menu took 260 of 740 px. Now one line, and the page starts under it.
        assert page.eval_on_selector("header.top", "e => e.getBoundingClientRect().height") <= 64
        assert page.eval_on_selector("main h1", "e => e.getBoundingClientRect().top") < 120
        audit_link = page.get_by_role("link", name="Registro de auditoría")
        assert not audit_link.is_visible()
        page.click("summary")
        assert audit_link.is_visible()
        audit_link.click()
        page.wait_for_url("**/auditoria/**")

        # On a laptop the same menu is open, with no "Menú" to tap.
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/incidentes/")
        assert page.get_by_role("link", name="Registro de auditoría").is_visible()
        assert not page.locator("header summary").is_visible()
        context.close()
        browser.close()
