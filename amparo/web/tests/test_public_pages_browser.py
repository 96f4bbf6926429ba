"""Public pages measured in Chromium on a 360 × 740 phone: the sticky header is at most 56 px tall
and shows the short display name; every control and link is at least 24 × 24 px (WCAG 2.2 target
size); nothing is wider than the screen; the emergency form has the quick exit and the language switch.
"""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

FULL_NAME = "Asociación de Trabajadoras Sexuales y Mujeres Trans de Lima Metropolitana"

# Every element a finger can hit, visible on the page (hidden inputs and the off-screen,
# aria-hidden honeypot are not targets).
MEASURE = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  return [...document.querySelectorAll(sel)]
    .filter(el => !el.closest('[aria-hidden=true]') && el.getClientRects().length)
    .map(el => { const r = el.getBoundingClientRect();
      return {what: el.outerHTML.slice(0, 90), w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10}; });
}"""


def _check_page(page, url: str) -> list[str]:
    problems = []
    header = page.locator("header.pub")
    box = header.bounding_box()
    if box is None or box["height"] > 56:
        problems.append(f"{url}: header {box and box['height']} px tall")
    if header.evaluate("el => getComputedStyle(el).position") != "sticky":
        problems.append(f"{url}: header not sticky")
    name = page.locator("header.pub .pub-name").inner_text() if page.locator("header.pub .pub-name").count() else ""
    if "Trabajadoras" in name or FULL_NAME in page.content():
        problems.append(f"{url}: shows the full name")
    if page.locator("#qx").count() != 1:
        problems.append(f"{url}: no quick exit")
    targets = page.evaluate(MEASURE)
    if len(targets) < 2:  # at least the quick exit and the language switch
        problems.append(f"{url}: only {len(targets)} targets found")
    print(f"{url}: header {box and box['height']} px, {len(targets)} targets, smallest "
          f"{min((t['w'], t['h']) for t in targets) if targets else None}")
    for target in targets:
        if target["w"] < 24 or target["h"] < 24:
            problems.append(f"{url}: {target['w']}x{target['h']} {target['what']}")
    if not fits_the_screen(page):
        problems.append(f"{url}: wider than the phone")
    return problems


def test_public_pages_have_a_small_header_and_big_enough_targets_on_a_phone(personas, live_server, client):
    from playwright.sync_api import sync_playwright

    from amparo.accounts.models import Organisation
    from amparo.alerts import services as alerts
    from amparo.intake.tests.helpers import receipt_of, submit
    from amparo.lib.browser import launch

    Organisation.objects.filter(pk=personas.org.pk).update(name=FULL_NAME)
    code, phrase = receipt_of(submit(client))  # a report to follow up
    token = alerts.alert_settings_for(personas.org).emergency_token
    emergency = reverse("alerts_public:emergency", args=[token])
    pages = [
        reverse("intake:report", args=["lima"]),
        reverse("intake:followup", args=["lima"]),
        emergency,
        emergency + "?lang=en",
        reverse("alerts_public:subscribe", args=["lima"]),
        reverse("alerts_public:confirm", args=["a" * 22]),
        reverse("alerts_public:unsubscribe", args=["a" * 22]),
        reverse("intake:report", args=["nadie"]),  # the not-found page of the public form
    ]
    problems: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True)
        page = context.new_page()
        for url in pages:
            page.goto(live_server.url + url)
            problems += _check_page(page, url)
        # The follow-up page itself, reached with the receipt.
        page.goto(live_server.url + reverse("intake:followup", args=["lima"]))
        page.fill("input[name=receipt]", code)
        page.fill("input[name=passphrase]", phrase)
        page.click("main button[type=submit]")
        page.wait_for_selector("#status")
        problems += _check_page(page, "follow-up page")

        # The emergency form: the language switch keeps the address and turns the page English;
        # the quick exit leaves and cannot be come back to.
        page.goto(live_server.url + emergency)
        assert page.locator("html").get_attribute("lang") == "es"
        page.click("header.pub .pub-lang")
        page.wait_for_url(f"**{emergency}?lang=en")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("button", name="Send alarm").count() == 1
        page.route("https://www.google.com/**", lambda route: route.fulfill(status=200, body="<title>neutral</title>ok"))
        page.goto(live_server.url + "/static/web/public.css")  # some earlier page in the history
        page.goto(live_server.url + emergency)
        page.click("#qx")
        page.wait_for_url("https://www.google.com/**")
        page.go_back()
        assert emergency not in page.url
        browser.close()
    assert problems == [], "\n".join(problems)
