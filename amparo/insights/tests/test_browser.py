"""The public statistics page and its map, rendered by Debian's Chromium on a 360-px phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-results"


def test_public_page_and_map_render_on_a_phone(personas, live_server):
    from playwright.sync_api import sync_playwright

    from amparo.insights import services
    from amparo.insights.models import SharingLevel
    from amparo.insights.tests.conftest import seed
    from amparo.lib.browser import launch

    seed(personas.org, personas.carla, 24)
    seed(personas.org, personas.carla, 6, district="040101")
    seed(personas.org, personas.carla, 2, district="080101")
    services.sharing_update(organisation=personas.org, acting_user=personas.alicia, level=SharingLevel.AGGREGATES, public_page=True)
    services.aggregates_refresh(organisation_id=personas.org.pk)

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) and not r.url.startswith("data:") else None)
        csp_errors: list[str] = []
        page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

        response = page.goto(f"{live_server.url}/estadisticas/publico/lima/")
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text().startswith("Colectiva Lima")
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "insights-public-360.png"), full_page=True)

        map_svg = page.locator("#chart-map svg")
        map_svg.scroll_into_view_if_needed()
        box = map_svg.bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 300
        assert page.locator("#chart-map svg path").count() == 25
        assert page.locator('#chart-map svg path[data-key="08"] title').text_content() == "Cusco: <5"
        map_svg.screenshot(path=str(ARTIFACTS / "insights-map-360.png"))
        # The data table beside the map says the same as the map.
        assert "Cusco" in page.locator("#chart-map table").inner_text()
        assert "prevalencia" in page.locator(".coverage").inner_text()
        browser.close()
    assert outside == []
    assert csp_errors == []
    assert (ARTIFACTS / "insights-map-360.png").stat().st_size > 5000
