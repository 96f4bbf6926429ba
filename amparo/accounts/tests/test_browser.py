"""Journey: a documenter's phone is seized at a raid; the admin cuts her off from the members page.

Dora is signed in on her phone (a second browser). Alicia signs in, opens Members, presses
"Cortar acceso", re-enters her password, confirms; Dora's phone is signed out at once, and her
password no longer opens Amparo.
"""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_an_admin_cuts_off_a_seized_phone_from_the_members_page(personas, live_server):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import sync_playwright

    from amparo.accounts.models import ApiToken
    from amparo.accounts.services import api_token_create
    from amparo.audit.models import AuditEvent
    from amparo.lib.browser import launch, sign_in
    from conftest import PASSWORD

    api_token_create(membership=personas.membership(personas.dora), name="tableta", acting_user=personas.dora)
    with sync_playwright() as p:
        browser = launch(p)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE").new_page()
        sign_in(phone, live_server.url, personas.dora, PASSWORD)
        phone.goto(f"{live_server.url}/incidentes/")
        assert "/incidentes/" in phone.url

        office = browser.new_context(locale="es-PE").new_page()
        sign_in(office, live_server.url, personas.alicia, PASSWORD)
        office.goto(f"{live_server.url}/cuenta/organizacion/")
        row = office.locator("tr", has=office.get_by_role("cell", name="dora", exact=True))
        row.get_by_role("link", name="Cortar acceso").click()
        # Sudo mode: the password again before an action that cannot be undone.
        office.wait_for_url("**/cuenta/confirmar/**")
        office.fill("#sudo-password", PASSWORD)
        office.click("button[type=submit]")
        office.wait_for_url("**/cortar-acceso/")
        assert "toda sesión abierta" in office.content()
        office.get_by_role("button", name="Cortar el acceso ahora").click()
        office.wait_for_selector("text=Se cortó el acceso de dora")

        # The seized phone is signed out on its very next request.
        phone.goto(f"{live_server.url}/incidentes/")
        assert "/cuenta/entrar/" in phone.url
        phone.fill("#id_username", "dora")
        phone.fill("#id_password", PASSWORD)
        phone.click("button[type=submit]")
        assert "/cuenta/entrar/" in phone.url  # the password saved on the phone no longer works
        browser.close()

    assert not TOTPDevice.objects.filter(user=personas.dora).exists()
    assert not ApiToken.objects.filter(membership__user=personas.dora, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="membership.cut_off", actor_id=personas.alicia.pk).count() == 1
