"""J1 — An anonymous report becomes an incident that keeps every message, file and detail.

A woman sends a report from a 360 × 740 phone with JavaScript off. She comes back with her
receipt code and passphrase and adds the serenazgo agent's badge number and a photo. Carla
(coordinator, on a laptop) reads the triage queue and accepts the report: the new incident holds
the first account and every follow-up message (sealed), the photo as evidence with its custody
log, every detail (date, district, violations, perpetrators, consent, safe contact), and a link
back to the report, so what the reporter adds later still reaches the incident and its staff.
A second report about the same events is suggested with its reasons; merging and marking as spam
each ask first, and each is undone from the report's page.
"""

from __future__ import annotations

import os
import time

import pytest
from django.urls import reverse

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
FIRST_ACCOUNT = "Dos serenos nos golpearon en el parque y se llevaron nuestros celulares."
BADGE = "El agente de serenazgo tenía la placa SZ-4471 en el chaleco."
LATER = "Hoy volví a ver al mismo agente en la esquina del parque."
SECOND = "Vi cómo dos serenos golpeaban a dos chicas en el parque de Lince."


def _sealed_in_database(table: str, column: str, pk: int) -> bytes:
    """The column as stored, to prove it is not plain text."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (names are ours)
        value = cursor.fetchone()[0]
    return bytes(value) if not isinstance(value, str) else value.encode()


def send_report_without_javascript(page, base_url: str) -> tuple[str, str]:
    page.goto(base_url + reverse("intake:report", args=["lima"]))
    page.check("input[name=violations][value=physical_assault]")
    page.check("input[name=violations][value=confiscation]")
    page.fill("input[name=occurred_on]", "2025-05-01")
    page.select_option("select[name=department]", "15")
    page.fill("input[name=district]", "Lince")
    page.check("input[name=perpetrators][value=serenazgo]")
    page.fill("textarea[name=narrative]", FIRST_ACCOUNT)
    page.check("input[name=reporter][value=victim]")
    page.check("input[name=consent_store]")
    page.check("input[name=consent_share_stats]")
    page.check("input[name=consent_help]")
    page.fill("input[name=contact]", "Signal, de noche")
    time.sleep(1.2)  # the minimum time a form without JavaScript must stay open (lowered for the test)
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#receipt")
    return page.inner_text("#receipt"), page.inner_text("#passphrase")


def open_followup(page, base_url: str, code: str, phrase: str) -> None:
    page.goto(base_url + reverse("intake:followup", args=["lima"]))
    page.fill("input[name=receipt]", code)
    page.fill("input[name=passphrase]", phrase)
    page.click("button[type=submit]")
    page.wait_for_selector("#status")


def add_information(page, text: str, photo: bytes | None = None) -> None:
    page.fill("textarea[name=text]", text)
    if photo is not None:
        # The file input has a label of its own (a screen reader says what it is for).
        page.get_by_label("Fotos, documentos o audios (opcional)").set_input_files(
            files=[{"name": "placa.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("p.ok[role=status]")


def accept_report(page, base_url: str, report, code_name: str) -> None:
    page.goto(base_url + reverse("intake:triage_queue"))
    page.click(f"a[href='{reverse('intake:triage_detail', args=[report.pk])}']")
    page.wait_for_selector("#narrative")
    accept = f"form[action='{reverse('intake:triage_accept', args=[report.pk])}']"
    page.fill(f"{accept} input[name=code_name]", code_name)
    page.click(f"{accept} button[type=submit]")
    page.wait_for_selector("#intake-reports")


def test_an_anonymous_report_becomes_an_incident_with_every_message_and_file(personas, live_server, monkeypatch, client):
    from playwright.sync_api import sync_playwright

    from amparo.evidence.models import CustodyAction
    from amparo.intake import conf
    from amparo.intake.models import Report, ReportMessage
    from amparo.intake.tests.helpers import jpeg_with_gps, submit
    from amparo.lib.browser import launch, sign_in
    from amparo.records.models import Incident, IncidentOrigin
    from conftest import PASSWORD

    monkeypatch.setattr(conf, "NOJS_MIN_SECONDS", 1)
    base = live_server.url
    with sync_playwright() as p:
        browser = launch(p)
        outside: list[str] = []

        # 1. The report, sent from a phone with JavaScript off.
        phone = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="es-PE", is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
        code, phrase = send_report_without_javascript(page, base)
        report = Report.objects.get()
        assert report.channel == Report.Channel.WEB_NOJS and report.status == Report.Status.NEW
        assert report.narrative == FIRST_ACCOUNT and report.district.name == "Lince"
        assert sorted(report.violation_codes) == ["confiscation", "physical_assault"]
        assert FIRST_ACCOUNT.encode() not in _sealed_in_database("intake_report", "narrative", report.pk)
        assert not phone.cookies()
        phone.close()

        # 2. She comes back with the receipt and passphrase, and adds the badge number and a photo.
        phone = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="es-PE", is_mobile=True, has_touch=True)
        page = phone.new_page()
        open_followup(page, base, code, phrase)
        add_information(page, BADGE, photo=jpeg_with_gps())
        message = ReportMessage.objects.get(report=report)
        assert message.body == BADGE and message.author_kind == ReportMessage.Author.REPORTER
        assert BADGE.encode() not in _sealed_in_database("intake_reportmessage", "body", message.pk)
        photo = report.files.get().evidence
        assert photo.metadata_stripped and photo.incident_id is None
        assert list(photo.custody.values_list("action", flat=True)) == [CustodyAction.STORED]

        # 3. Carla reads the queue on her laptop and accepts the report as a new incident.
        laptop = browser.new_context(viewport=LAPTOP, locale="es-PE")
        staff = laptop.new_page()
        sign_in(staff, base, personas.carla, PASSWORD)
        staff.goto(base + reverse("intake:triage_detail", args=[report.pk]))
        assert BADGE in staff.inner_text("main")  # the follow-up is there before she decides
        accept_report(staff, base, report, "Colibrí")
        report.refresh_from_db()
        incident = report.incident
        assert report.status == Report.Status.ACCEPTED and incident is not None
        assert staff.url.endswith(reverse("records:incident_detail", args=[incident.pk]))

        # Every message, sealed; every detail; the person; the origin.
        assert FIRST_ACCOUNT in incident.narrative and BADGE in incident.narrative
        assert incident.narrative.index(FIRST_ACCOUNT) < incident.narrative.index(BADGE)
        assert BADGE.encode() not in _sealed_in_database("records_incident", "narrative", incident.pk)
        assert incident.origin == IncidentOrigin.ANONYMOUS_REPORT
        assert incident.occurred_on.isoformat() == "2025-05-01" and incident.district.name == "Lince"
        assert sorted(incident.violations.values_list("code", flat=True)) == ["confiscation", "physical_assault"]
        assert list(incident.perpetrator_types.values_list("code", flat=True)) == ["serenazgo"]
        assert incident.consent_store and incident.consent_share_stats and incident.consent_contact
        assert incident.contact_preference == "Signal, de noche"
        assert list(incident.people.values_list("code_name", flat=True)) == ["Colibrí"]
        # Every file, as evidence of the incident, its custody log continued (not a copy).
        photo.refresh_from_db()
        assert photo.incident_id == incident.pk and incident.evidence.count() == 1
        custody = list(photo.custody.values_list("action", "actor_id"))
        assert custody[0] == (CustodyAction.STORED, None)
        assert custody[-1] == (CustodyAction.VERIFIED, personas.carla.pk)

        # The incident links back to its report and shows the conversation (opening it is audited).
        staff.click("#intake-reports a.reveal")
        panel = staff.inner_text("#intake-reports")
        assert report.reference in panel and BADGE in panel
        assert staff.locator(f"#intake-reports a[href='{reverse('intake:triage_detail', args=[report.pk])}']").count() == 1

        # 4. Later, she adds more: it reaches the incident, and the staff see it there.
        open_followup(page, base, code, phrase)
        add_information(page, LATER)
        incident = Incident.objects.get(pk=incident.pk)
        assert LATER in incident.narrative and incident.narrative.index(BADGE) < incident.narrative.index(LATER)
        staff.reload()
        assert LATER in staff.inner_text("#intake-reports")
        assert fits_the_screen(staff)
        phone.close()

        # 5. A second voice about the same events: suggested with its reasons, merged only after
        #    confirming, and the merge undone from the report's page.
        monkeypatch.setattr(conf, "POW_MAXNUMBER", 300)
        assert submit(client, occurred_on="2025-05-01", district="Lince (Lima)", violations=["physical_assault"],
                      narrative=SECOND).status_code == 201
        second = Report.objects.get(status=Report.Status.NEW)
        staff.goto(base + reverse("intake:triage_detail", args=[second.pk]))
        suggestion = staff.locator("#candidates li", has_text=incident.reference)
        assert "mismo distrito, mismo día, misma vulneración" in suggestion.inner_text()
        suggestion.locator("button").click()
        staff.wait_for_selector("#confirm-what")
        assert Report.objects.get(pk=second.pk).status == Report.Status.NEW  # nothing happened yet
        staff.click("main form button[type=submit]")
        staff.wait_for_selector("#intake-reports")
        assert SECOND in Incident.objects.get(pk=incident.pk).narrative
        staff.goto(base + reverse("intake:triage_detail", args=[second.pk]))
        staff.click("#undo button[type=submit]")
        staff.wait_for_selector("#candidates")
        assert Report.objects.get(pk=second.pk).status == Report.Status.NEW
        assert SECOND not in Incident.objects.get(pk=incident.pk).narrative
        assert LATER in Incident.objects.get(pk=incident.pk).narrative  # the first report's part stays

        # 6. Marked as spam after confirming: kept sealed, hidden, and can be undone.
        staff.click("#spam")
        staff.wait_for_selector("#confirm-what")
        staff.click("main form button[type=submit]")
        staff.wait_for_url("**" + reverse("intake:triage_queue"))
        second.refresh_from_db()
        assert second.status == Report.Status.SPAM and second.narrative == SECOND
        staff.goto(base + reverse("intake:triage_detail", args=[second.pk]))
        assert SECOND not in staff.inner_text("main")
        staff.click("#undo button[type=submit]")
        staff.wait_for_selector("#candidates")
        assert Report.objects.get(pk=second.pk).status == Report.Status.NEW
        laptop.close()
        browser.close()
    assert outside == [], f"requests left the site: {outside}"
