"""axe-core, at 360 px, over every page each demo role can reach and every public page: no serious or
critical violation, and no page wider than the phone (nothing to scroll sideways).

Each role signs in and walks the site from home the way she would, following same-site links
(bounded: each URL shape, ids replaced by N, is checked once per role, at most MAX_PAGES_PER_ROLE
pages), so a new page is checked as soon as a menu or list links to it. axe-core is the npm package
(`make test` installs it), injected by Playwright; the context bypasses our CSP only to inject it.

Run against any server with demo data, to print the figures without asserting:
    .venv/bin/python tests/journeys/test_accessibility.py http://127.0.0.1:8000 [EMERGENCY_TOKEN]
"""

from __future__ import annotations

import base64
import io
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from amparo.lib.browser import page_width

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ["admin.lima", "coordinadora.lima", "documentadora1.lima", "abogada.lima", "analista.lima", "red.admin"]
MAX_PAGES_PER_ROLE = {"admin.lima": 60}  # the admin reaches most kinds of page; other roles add theirs
MAX_PAGES_OTHER_ROLES = 25
# Links that act rather than show, download files, or would end the session.
SKIP = re.compile(
    r"/cuenta/salir/|/i18n/|\.(csv|xlsx|pdf|zip|png|svg|atom|json|js)(\?|$)|/paquete/|/descargar|/archivos/\d+/|"
    r"/static/|/api/|/odk/(formList|submission|forms|manifest)|[?&]page=\d{2,}"
)
BLOCKING = {"serious", "critical"}
PHONE_WIDTH = 360


@dataclass
class Findings:
    pages: list[str] = field(default_factory=list)
    # (impact, rule id) -> number of pages; and the pages where each serious/critical rule fails.
    by_rule: Counter[tuple[str, str]] = field(default_factory=Counter)
    where: dict[str, set[str]] = field(default_factory=dict)
    # Pages wider than the 360 px screen: their width in CSS pixels.
    too_wide: dict[str, int] = field(default_factory=dict)

    def add(self, url: str, violations: list[dict[str, Any]], width: int = 0) -> None:
        self.pages.append(url)
        if width > PHONE_WIDTH:
            self.too_wide[shape(url)] = width
        for v in violations:
            impact = v.get("impact") or "minor"
            self.by_rule[(impact, v["id"])] += 1
            if impact in BLOCKING:
                self.where.setdefault(v["id"], set()).add(shape(url))

    def by_impact(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (impact, _rule), n in self.by_rule.items():
            totals[impact] += n
        return totals

    def blocking(self) -> dict[str, list[str]]:
        return {rule: sorted(pages) for rule, pages in sorted(self.where.items())}

    def report(self) -> str:
        lines = [f"{len(self.pages)} pages checked; rule failures by impact (pages x rules): {dict(self.by_impact())}"]
        order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
        for (impact, rule), n in sorted(self.by_rule.items(), key=lambda kv: (order.get(kv[0][0], 4), -kv[1], kv[0][1])):
            lines.append(f"  {impact:9} {rule:32} on {n} page(s)")
        return "\n".join(lines)


def shape(url: str) -> str:
    """'/incidentes/123/?mostrar=1' -> '/incidentes/N/?mostrar=1': one check per kind of page."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/N", parts.path)
    path = re.sub(r"/[A-Za-z0-9_-]{20,}(?=/|$)", "/TOKEN", path)
    query = "&".join(sorted(p.split("=")[0] + ("=1" if p.startswith("mostrar=") else "") for p in parts.query.split("&") if p and not p.startswith("page=")))
    return path + ("?" + query if query else "")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    # axe is loaded into every document of the context by add_init_script (see check_everything).
    return page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                           targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )


def crawl(page: Any, base: str, findings: Findings, *, start: list[str], limit: int, seen_shapes: set[str], follow: bool = True) -> None:
    """Breadth-first over same-site GET links from `start`, one page per URL shape (shapes in
    `seen_shapes` were checked already, by a role that sees at least as much)."""
    queue = list(start)
    checked = 0
    while queue and checked < limit:
        path = queue.pop(0)
        if SKIP.search(path) or shape(path) in seen_shapes:
            continue
        seen_shapes.add(shape(path))
        response = page.goto(base + path, wait_until="domcontentloaded")
        if response is None or response.status >= 400 or not (response.headers.get("content-type", "").startswith("text/html")):
            continue
        final = urlsplit(page.url)
        if f"{final.scheme}://{final.netloc}" != base or (final.path.startswith("/cuenta/entrar") and not path.startswith("/cuenta/entrar")):
            continue
        checked += 1
        findings.add(final.path + ("?" + final.query if final.query else ""), axe_violations(page), page_width(page))
        if not follow:
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href, _ = urldefrag(href)
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != base:
                continue
            local = parts.path + ("?" + parts.query if parts.query else "")
            if not SKIP.search(local) and shape(local) not in seen_shapes:
                queue.append(local)


def public_pages(emergency_token: str) -> list[str]:
    return [
        "/cuenta/entrar/", "/r/lima/", "/r/lima/seguimiento/", "/alertas/lima/", f"/emergencia/{emergency_token}/",
        "/estadisticas/publico/lima/", "/estadisticas/publico/red/",
    ]


def check_everything(browser: Any, base: str, *, sign_in: Callable[[Any, str], None], emergency_token: str,
                     roles: list[str] = ROLES) -> Findings:
    findings = Findings()
    # Roles go from the one who sees most to the one who sees least: a page another role already
    # showed in the same shape is not checked again (its home page always is: it differs by role).
    seen_shapes: set[str] = set()
    for username in [""] + roles:
        context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 740}, locale="es-PE", bypass_csp=True)
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        if username:
            sign_in(page, username)
            seen_shapes.discard("/")
            crawl(page, base, findings, start=["/"], limit=MAX_PAGES_PER_ROLE.get(username, MAX_PAGES_OTHER_ROLES), seen_shapes=seen_shapes)
        else:
            crawl(page, base, findings, start=public_pages(emergency_token), limit=len(public_pages(emergency_token)), seen_shapes=seen_shapes, follow=False)
        context.close()
    return findings


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(300)
def test_no_page_has_a_serious_or_critical_accessibility_violation(live_server):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    from amparo.accounts.models import Organisation, User
    from amparo.alerts.services import alert_settings_for
    from amparo.lib import browser as amparo_browser
    from amparo.records.management.commands.demo import DEMO_PASSWORD

    assert AXE.exists(), "axe-core is missing: `make tools` (npm ci) installs it"
    call_command("demo", incidents=80, people=50, seed=7, stdout=io.StringIO())
    token = alert_settings_for(Organisation.objects.get(slug="lima")).emergency_token

    def sign_in(page: Any, username: str) -> None:
        amparo_browser.sign_in(page, live_server.url, User.objects.get(username=username), DEMO_PASSWORD)

    with sync_playwright() as p:
        browser = amparo_browser.launch(p)
        findings = check_everything(browser, live_server.url, sign_in=sign_in, emergency_token=token)
        browser.close()
    print(findings.report())
    print("\n".join(findings.pages))
    assert len(findings.pages) >= 40, findings.pages  # the walk really reached the site
    assert findings.blocking() == {}, findings.report()
    assert findings.too_wide == {}, f"pages wider than the phone: {findings.too_wide}"


def main(base: str, token: str = "") -> None:
    """Print the figures for a running server with demo data (before/after comparisons)."""
    from django_otp.oath import totp
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from amparo.lib.browser import launch

    secret = base64.b32decode("AMPARODEMOAMPARODEMOAMPARODEMO23")
    if not token:  # the emergency form's address, from this checkout's database
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
        import django

        django.setup()
        from amparo.accounts.models import Organisation
        from amparo.alerts.services import alert_settings_for

        token = alert_settings_for(Organisation.objects.get(slug="lima")).emergency_token

    def sign_in(page: Any, username: str) -> None:
        page.goto(f"{base}/cuenta/entrar/")
        page.fill("#id_username", username)
        page.fill("#id_password", "amparo-demo-2026")
        page.click("button[type=submit]")
        page.wait_for_url("**/cuenta/verificar/")
        page.fill("#id_token", f"{totp(secret):06d}")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")

    with sync_playwright() as p:
        browser = launch(p)
        findings = check_everything(browser, base, sign_in=sign_in, emergency_token=token)
        browser.close()
    print(findings.report())
    print(f"pages wider than {PHONE_WIDTH} px: {findings.too_wide or 'none'}")
    print("serious/critical rules and the pages they fail on:")
    for rule, pages in findings.blocking().items():
        print(f"  {rule}: {', '.join(pages)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
