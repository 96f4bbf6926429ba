"""The public statistics page and its map, rendered by Debian's Chromium on a 360-px phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-results"


def test_public_page_and_map_render_on_a_phone(personas, live_server):
    from datetime import date

    from playwright.sync_api import sync_playwright

    from amparo.insights import services
    from amparo.insights.models import SharingLevel
    from amparo.insights.tests.conftest import seed
    from amparo.lib.browser import launch

    seed(personas.org, personas.carla, 24)
    seed(personas.org, personas.carla, 100, start=date(2021, 2, 1))  # three years of quieter months
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
        assert fits_the_screen(page)
        page.screenshot(path=str(ARTIFACTS / "insights-public-360.png"), full_page=True)

        # Every chart label reads at 11 px or more, and no two labels overlap.
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart')].map(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                const boxes = [...svg.querySelectorAll('text')].map(t => {
                    const r = t.getBoundingClientRect();
                    return {px: parseFloat(t.getAttribute('font-size')) * scale, x: r.left, y: r.top, w: r.width, h: r.height, s: t.textContent};
                });
                return {id: svg.id || svg.getAttribute('aria-labelledby'), boxes};
            })"""
        )
        assert len(sizes) >= 5
        for chart in sizes:
            for box in chart["boxes"]:
                assert box["px"] >= 11, (chart["id"], box["s"], box["px"])
            boxes = chart["boxes"]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    apart = a["x"] + a["w"] <= b["x"] + 0.5 or b["x"] + b["w"] <= a["x"] + 0.5 or a["y"] + a["h"] <= b["y"] + 0.5 or b["y"] + b["h"] <= a["y"] + 0.5
                    assert apart, (chart["id"], a["s"], b["s"])
        # The page opens on the finest time unit that publishes at least 80% of its numbers.
        summary = page.request.get(f"{live_server.url}/api/v1/public/insights/lima").json()
        expected = next(
            (g for g, key in (("month", "months"), ("quarter", "quarters"), ("year", "years"))
             if sum(c["cell"]["status"] == "published" for c in summary[key]) >= 0.8 * len(summary[key])),
            "year",
        )
        current = page.locator('.granularity [aria-current="true"]').inner_text()
        assert current == {"month": "Mes", "quarter": "Trimestre", "year": "Año"}[expected]

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
