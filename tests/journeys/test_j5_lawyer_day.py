"""J5 — a lawyer's day, on her phone (360x740).

Lucía signs in. Her home lists her legal cases with their titles, people and next deadlines, and
her coming hearings; her reminders name their legal case and the person's code; she opens a
hearing's legal case (its title shows without "Mostrar") and downloads the signed evidence bundle
after confirming her password. Someone else's legal case never shows. The database is checked
after each step.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from amparo.lib.browser import fits_the_screen
from tests.journeys.response_fixtures import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_a_lawyer_goes_from_her_home_to_a_hearing_and_a_verified_evidence_bundle(personas, live_server, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from amparo.audit.models import AuditEvent
    from amparo.evidence.models import CustodyEvent
    from amparo.lib.browser import launch, sign_in
    from amparo.response import services
    from amparo.response.lib.bundle import verify_bundle
    from amparo.response.models import Reminder, ReminderKind, SigningKey
    from amparo.response.tests.factories import PDF, incident_with_person, open_case
    from conftest import PASSWORD, make_user

    now = timezone.now()
    carla = personas.membership(personas.carla)
    incident, _person = incident_with_person(personas, code_name="Girasol")
    case = open_case(personas, [incident], title="Detención arbitraria en Lince · " + incident.reference)
    deadline = services.deadline_add(case=case, membership=carla, acting_user=personas.carla,
                                     title="Presentar queja ante Inspectoría", due_at=now + timedelta(days=1))
    hearing = services.hearing_add(case=case, membership=carla, acting_user=personas.carla,
                                   scheduled_at=now + timedelta(days=1, hours=2), place="Juzgado de Lince",
                                   purpose="Audiencia de prisión preventiva")
    services.case_document_add(case=case, membership=carla, acting_user=personas.carla, kind="medical",
                               uploaded=SimpleUploadedFile("informe.pdf", PDF, content_type="application/pdf"))
    # Another lawyer's legal case: never on Lucía's pages.
    from amparo.accounts.models import Role

    other_lawyer = make_user("olga", personas.org, Role.LAWYER)
    other_incident, _p = incident_with_person(personas, code_name="Jazmín")
    other = open_case(personas, [other_incident], lawyer=other_lawyer, title="Extorsión en La Victoria")

    # The reminder job runs: one reminder for the deadline and one for the hearing, both Lucía's.
    for kind, object_id in services.reminders_collect(now=now):
        services.reminder_send(kind=kind, object_id=object_id, now=now)
    assert set(Reminder.objects.filter(user=personas.lucia).values_list("kind", "object_id")) == {
        (ReminderKind.DEADLINE, deadline.pk), (ReminderKind.HEARING, hearing.pk),
    }

    base = live_server.url
    with sync_playwright() as p:
        browser = launch(p)
        _context, page, outside = new_page(browser, base, phone=True)
        sign_in(page, base, personas.lucia, PASSWORD)

        # 1. Home: her legal case with its title, person and next deadline; her hearing.
        cases = page.inner_text("#home-cases")
        assert case.reference in cases and "Detención arbitraria en Lince" in cases and "Girasol" in cases
        assert "Presentar queja ante Inspectoría" in cases
        assert other.reference not in page.content() and "Jazmín" not in page.content()
        assert "Audiencia de prisión preventiva" in page.inner_text("#home-hearings")
        assert fits_the_screen(page)

        # 2. Her legal cases list shows titles, not only codes.
        page.goto(base + reverse("response:case_list"))
        assert "Detención arbitraria en Lince" in page.content() and other.reference not in page.content()

        # 3. Her reminders name the legal case and the person's code.
        page.goto(base + reverse("response:tasks"))
        reminders = page.locator("li.reminder")
        assert reminders.count() == 2
        for text in reminders.all_inner_texts():
            assert case.reference in text and "Detención arbitraria en Lince" in text and "Girasol" in text
        assert "Presentar queja ante Inspectoría" in page.inner_text("#my-deadlines")
        assert "Girasol" in page.inner_text("#my-deadlines")
        assert fits_the_screen(page)

        # 4. From home to the hearing's legal case; the title shows without "Mostrar".
        page.goto(base + "/")
        with page.expect_navigation():
            page.locator("#home-hearings a").first.click()
        assert page.url.startswith(base + reverse("response:case_detail", args=[case.pk]))
        assert "Detención arbitraria en Lince" in page.inner_text("#case-title")
        assert "Audiencia de prisión preventiva" in page.inner_text(f"#hearing-{hearing.pk}")
        assert not AuditEvent.objects.filter(action="case.viewed", actor_id=personas.lucia.pk).exists()

        # 5. The evidence bundle: evidence leaves Amparo, so her password is asked again first.
        with page.expect_navigation():
            page.click("#download-bundle")
        assert "/cuenta/confirmar/" in page.url
        page.fill("#sudo-password", PASSWORD)
        with page.expect_navigation():
            page.click("form.card button[type=submit]")
        with page.expect_download() as download_info:
            page.click("#download-bundle")
        bundle_path = tmp_path / "bundle.zip"
        download_info.value.save_as(bundle_path)
        browser.close()

    report = verify_bundle(bundle_path, trusted_fingerprints=[SigningKey.objects.get().fingerprint])
    assert report.ok and report.key_trusted, report.problems
    assert report.manifest["case"]["reference"] == case.reference
    assert AuditEvent.objects.filter(action="case.bundle_exported", actor_id=personas.lucia.pk).count() == 1
    assert CustodyEvent.objects.filter(action="exported").count() == 1
    assert outside == []
