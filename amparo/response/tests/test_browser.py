"""In real Chromium on a phone screen: an incident from creation, through a referral to a lawyer,
to a legal case with a deadline and a downloaded evidence bundle that verifies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-results"


def test_an_incident_goes_to_a_lawyer_a_case_a_deadline_and_a_verified_bundle(personas, live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from amparo.evidence.models import CustodyEvent
    from amparo.lib.browser import launch, sign_in
    from amparo.response.lib.bundle import verify_bundle
    from amparo.response.models import Deadline, LegalCase, Referral, SigningKey
    from conftest import PASSWORD

    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-PE", is_mobile=True, has_touch=True, accept_downloads=True)
        page = context.new_page()
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) and not r.url.startswith("data:") else None)
        sign_in(page, base, personas.carla, PASSWORD)

        # 1. The incident, with consent to legal action.
        page.goto(f"{base}/incidentes/nuevo/")
        page.fill("#id_occurred_on", "2025-08-02")
        page.select_option("#id_department", "15")
        page.check("input[name=violations][value=arbitrary_detention]")
        page.check("input[name=perpetrators][value=pnp_officer]")
        page.fill("#id_narrative", "Me detuvieron sin motivo y me quitaron los condones.")
        page.check("#id_consent_store")
        page.check("#id_consent_legal_action")
        page.click("#id_p-code_name >> xpath=ancestor::details[1]/summary")  # the person part is folded
        page.fill("#id_p-code_name", "Girasol")
        with page.expect_navigation(url="**/incidentes/*/"):
            page.click("#incident-form button[type=submit]")

        # 2. Refer it to Lucía, the allied lawyer, with the person's consent recorded first.
        with page.expect_navigation(url="**/respuesta/incidentes/*/"):
            page.click("#incident-response")
        page.click("#refer")
        page.check("#id_consent_given")
        page.select_option("#id_consent_method", "verbal")
        page.check("input[name=target][value=lawyer]")
        page.select_option("#id_lawyer", str(personas.lucia.pk))
        page.select_option("#id_need", "legal_aid")
        page.uncheck("#id_send_now")  # a draft first: the page must say so, and send it from there
        assert fits_the_screen(page)
        page.screenshot(path=str(ARTIFACTS / "referral-form-360.png"), full_page=True)
        with page.expect_navigation(url="**/respuesta/derivaciones/*/"):
            page.click("#save-referral")
        assert "no se ha enviado" in page.inner_text("#referral-draft")
        # The page posts back to itself: wait for the new page, not for a URL it already has.
        with page.expect_navigation():
            page.click("#send-referral")
        assert "Enviada" in page.inner_text("#referral-status")

        # 3. Open the legal case from the incident, assigned to Lucía.
        referral = Referral.objects.get()
        page.goto(f"{base}/respuesta/incidentes/{referral.incident_id}/")
        page.click("#open-case")
        page.fill("#id_title", "Detención arbitraria en Lince")
        page.select_option("#id_lawyer", str(personas.lucia.pk))
        with page.expect_navigation(url="**/respuesta/casos/*/"):
            page.click("#save-case")

        # 4. The complaint at the comisaría, and a deadline in business days.
        page.click("#routes summary >> nth=-1")
        page.select_option("#id_start", "criminal:complaint_police")
        page.fill("#id_forum", "Comisaría de Lince")
        with page.expect_navigation():
            page.click("#start-route")
        page.click("#deadlines summary")
        page.fill("#id_title", "Pedir copia de la carpeta fiscal")
        page.fill("#id_amount", "5")
        page.select_option("#id_unit", "business_days")
        with page.expect_navigation():
            page.click("#add-deadline")
        assert "Pedir copia de la carpeta fiscal" in page.inner_text("#deadlines")
        assert fits_the_screen(page)
        page.screenshot(path=str(ARTIFACTS / "case-detail-360.png"), full_page=True)

        # 5. Download the evidence bundle: evidence leaves Amparo, so the password is asked again
        # and she comes back to the case to press the button once more.
        with page.expect_navigation():
            page.click("#download-bundle")
        assert "/cuenta/confirmar/" in page.url
        page.fill("#sudo-password", PASSWORD)
        with page.expect_navigation():
            page.click("form.card button[type=submit]")
        assert "/respuesta/casos/" in page.url
        with page.expect_download() as download_info:
            page.click("#download-bundle")
        bundle_path = tmp_path / "bundle.zip"
        download_info.value.save_as(bundle_path)

        # 6. Lucía sees the referral and the case as hers.
        context.clear_cookies()
        sign_in(page, base, personas.lucia, PASSWORD)
        page.goto(f"{base}/respuesta/casos/")
        assert LegalCase.objects.get().reference in page.content()
        page.goto(f"{base}/respuesta/tareas/")
        assert "Pedir copia de la carpeta fiscal" in page.inner_text("#my-deadlines")
        browser.close()

    case = LegalCase.objects.get()
    assert case.lawyer == personas.lucia and case.routes.get().stage == "complaint_police"
    assert Deadline.objects.get(case=case).assigned_to == personas.lucia
    assert Referral.objects.get().status == "sent"
    report = verify_bundle(bundle_path, trusted_fingerprints=[SigningKey.objects.get().fingerprint])
    assert report.ok and report.key_trusted, report.problems
    assert report.manifest["case"]["reference"] == case.reference
    assert not CustodyEvent.objects.filter(action="tamper_detected").exists()
    assert outside == [], f"requests left the site: {outside}"
