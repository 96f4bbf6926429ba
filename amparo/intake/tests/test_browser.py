"""A person sends a report from a phone-sized Chromium, with JavaScript and without it.

Runs a real server (runserver, its access log captured) on loopback against its own SQLite
file, then searches that database file and that log for anything identifying.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest

from amparo.intake import testing
from amparo.lib.browser import fits_the_screen

pytestmark = pytest.mark.browser

NARRATIVE = "Nos botaron del hostal Los Pinos y el dueño se quedó con mis cosas."
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def server():
    data_dir = Path(tempfile.mkdtemp(prefix="amparo-intake-browser-"))
    env = testing.environment(data_dir, extra={"AMPARO_INTAKE_NOJS_MIN_SECONDS": "2", "AMPARO_INTAKE_POW_MAXNUMBER": "20000"})
    testing.prepare(env)
    srv = testing.start(env, log_path=data_dir / "server.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _fill(page, narrative: str) -> None:
    page.get_by_label("Le botaron de su casa, cuarto o lugar de trabajo").check()
    page.get_by_label("Dueño/a o administrador/a del local").check()
    page.locator("input[name=occurred_on]").fill("2025-05-01")
    page.locator("#id_department").select_option("15")
    page.locator("input[name=district]").fill("Lince")
    page.locator("textarea[name=narrative]").fill(narrative)
    page.get_by_label("Me pasó a mí").check()
    page.get_by_label("Acepto que la organización guarde este reporte, cifrado.").check()


def _external_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_person_sends_a_report_from_a_phone(server, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 360, "height": 740}, locale="es-PE")
    page = context.new_page()
    requests = _external_requests(page)
    page.goto(f"{server.url}/r/lima/")
    assert page.locator("h1").inner_text() == "Cuéntenos qué pasó"
    assert fits_the_screen(page)  # nothing wider than the phone
    narrative = f"{NARRATIVE} ({'js' if javascript else 'nojs'})"
    _fill(page, narrative)
    if javascript:
        # Choosing the region fills the district suggestions from the public API.
        page.wait_for_function("document.querySelectorAll('#districts option').length > 40", timeout=10_000)
        assert page.locator("#districts option[value='Lince (Lima)']").count() == 1
        # The proof of work is solved in the background before sending.
        page.wait_for_function("document.querySelector('input[name=pow]').value.length > 0", timeout=30_000)
    else:
        time.sleep(2.2)  # a person without JavaScript takes longer than the minimum anyway
    page.get_by_role("button", name="Enviar").click()
    page.wait_for_selector("#receipt", timeout=30_000)
    code = page.locator("#receipt").inner_text()
    phrase = page.locator("#passphrase").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert not context.cookies()
    assert all(url.startswith(server.url) or url.startswith("data:") for url in requests), requests

    # Follow up with the receipt.
    page.get_by_role("link", name="Seguimiento de su reporte").click()
    page.locator("input[name=receipt]").fill(code)
    page.locator("input[name=passphrase]").fill(phrase)
    page.get_by_role("button", name="Abrir").click()
    assert "Recibido, esperando lectura" in page.locator("#status").inner_text()
    context.close()

    # Nothing identifying or readable in the database file or the server's log.
    database = (Path(server.env["AMPARO_DATA_DIR"]) / "amparo.sqlite3").read_bytes()
    wal = Path(server.env["AMPARO_DATA_DIR"]) / "amparo.sqlite3-wal"
    raw = database + (wal.read_bytes() if wal.exists() else b"")
    assert narrative.encode() not in raw and b"hostal Los Pinos" not in raw
    assert b"127.0.0.1" not in raw and b"HeadlessChrome" not in raw
    log = server.log()
    assert "127.0.0.1 -" not in log and "/r/lima" not in log and "HeadlessChrome" not in log
    assert "/static/" in log  # the log works; it just says nothing about anonymous routes


def test_the_quick_exit_replaces_the_page_so_back_does_not_return(server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.route("https://www.google.com/**", lambda route: route.fulfill(status=200, body="<title>neutral</title>ok"))
    page.goto(f"{server.url}/static/intake/report.css")  # some earlier page in the history
    page.goto(f"{server.url}/r/lima/")
    page.locator("#qx").click()
    page.wait_for_url("https://www.google.com/**")
    page.go_back()
    assert "/r/lima/" not in page.url
    context.close()
