"""J2 — a referral reaches the lawyer.

Carla (coordinator, on a laptop) refers an incident to Lucía, the organisation's lawyer. It is sent
at once; Lucía is told by e-mail (through the job queue, to a real SMTP server) and finds it on
her home and in her tasks on her phone (360x740). She opens the referral, its incident and its
person, accepts it, and Carla sees the answer (and is told by e-mail). From the accepted referral
one click opens the legal case, prefilled and linked. The database is checked after each step.
"""

from __future__ import annotations

import os

import pytest

from amparo.lib.browser import fits_the_screen
from tests.journeys.response_fixtures import jobs, mailbox, new_page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def refer_to(page, base, incident, lawyer) -> None:  # type: ignore[no-untyped-def]
    """On the incident's response page: Refer → consent → the lawyer → send."""
    from django.urls import reverse

    page.goto(base + reverse("response:incident_response", args=[incident.pk]))
    page.click("#refer")
    page.check("#id_consent_given")
    page.select_option("#id_consent_method", "verbal")
    page.check("input[name=target][value=lawyer]")
    page.select_option("#id_lawyer", str(lawyer.pk))
    page.select_option("#id_need", "legal_aid")
    page.fill("#id_note", "Necesita denunciar la detención.")
    assert page.is_checked("#id_send_now")  # sending is the default; a draft is a choice
    with page.expect_navigation():
        page.click("#save-referral")


def test_a_referral_reaches_the_lawyer_who_accepts_it_and_opens_the_legal_case(personas, live_server, jobs, mailbox):  # noqa: F811
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    from amparo.lib.browser import launch, sign_in
    from amparo.records.services import incident_add_person
    from amparo.response.models import CaseIncident, CasePerson, LegalCase, Referral
    from conftest import PASSWORD, make_incident, make_person

    incident = make_incident(personas.org, personas.dora, consent_legal_action=True)
    person = make_person(personas.org, personas.dora, code_name="Girasol")
    incident_add_person(incident=incident, person=person, acting_user=personas.dora)
    base = live_server.url

    with sync_playwright() as p:
        browser = launch(p)
        laptop, carla, carla_outside = new_page(browser, base, phone=False)
        phone, lucia, lucia_outside = new_page(browser, base, phone=True)

        # Before anything is sent, Lucía has nothing: no task, and the incident is not hers.
        sign_in(lucia, base, personas.lucia, PASSWORD)
        lucia.goto(base + reverse("response:tasks"))
        assert "Derivaciones que esperan su respuesta" not in lucia.content()

        # 1. Carla refers the incident to Lucía; the page says plainly that it was sent.
        sign_in(carla, base, personas.carla, PASSWORD)
        refer_to(carla, base, incident, personas.lucia)
        referral = Referral.objects.get()
        assert carla.url == base + reverse("response:referral_detail", args=[referral.pk])
        assert referral.status == "sent" and referral.sent_at is not None and referral.lawyer == personas.lucia
        assert referral.person == person  # the incident's only person is preselected
        assert "Enviada" in carla.inner_text("#referral-status")
        assert "recibe un aviso por correo" in carla.content()
        assert "Esperando la respuesta de la abogada" in carla.inner_text("#referral-waiting")

        # 2. The job queue e-mails Lucía: where to look, and nothing about the person or the facts.
        jobs.run()
        assert len(mailbox.messages) == 1
        recipients, message = mailbox.messages[0]
        assert recipients == ["lucia@example.org"]
        assert "derivación" in message["Subject"].lower()
        body = message.get_content()
        assert f"https://amparo.test{reverse('response:referral_detail', args=[referral.pk])}" in body
        assert "Girasol" not in body and incident.reference not in body and "detención" not in body
        jobs.run()
        assert len(mailbox.messages) == 1  # once only
        assert Referral.objects.get().notified_status == "sent"

        # 3. Lucía, on her phone: her home lists the referral waiting for her answer.
        lucia.goto(base + "/")
        waiting = lucia.locator("#home-to-answer")
        assert incident.reference in waiting.inner_text() and "Girasol" in waiting.inner_text()
        assert fits_the_screen(lucia)
        lucia.goto(base + reverse("response:tasks"))
        assert incident.reference in lucia.content()
        lucia.goto(base + "/")
        with lucia.expect_navigation():
            waiting.get_by_role("link").first.click()

        # 4. From the referral she opens its incident and its person (both hers to read now).
        assert incident.reference in lucia.inner_text("#referral-incident")
        assert "Detención arbitraria" in lucia.inner_text("#referral-incident")
        with lucia.expect_navigation():
            lucia.click(f"#referral-incident a:text('{incident.reference}')")
        assert lucia.locator("h1").inner_text().startswith(incident.reference)
        lucia.go_back()
        with lucia.expect_navigation():
            lucia.click("#referral-people a:text('Girasol')")
        assert "Girasol" in lucia.locator("h1").inner_text()
        lucia.go_back()
        assert fits_the_screen(lucia)

        # 5. Declining needs a reason: without one, a clear 400 and nothing changes.
        lucia.check("input[name=answer][value=declined]")
        with lucia.expect_navigation():
            lucia.click("#send-answer")
        assert "Diga por qué rechaza la derivación" in lucia.content()
        assert Referral.objects.get().status == "sent"
        lucia.go_back()

        # 6. She accepts, with a comment.
        lucia.check("input[name=answer][value=accepted]")
        lucia.fill("#id_reason", "Tomo el caso; la llamo mañana.")
        with lucia.expect_navigation():
            lucia.click("#send-answer")
        referral.refresh_from_db()
        assert referral.status == "accepted" and referral.answered_at is not None
        assert referral.outcome == "Tomo el caso; la llamo mañana."
        assert "Acept" in lucia.inner_text("#referral-status")

        # 7. Carla is told, and sees the answer on the referral.
        jobs.run()
        assert [r for r, _m in mailbox.messages] == [["lucia@example.org"], ["carla@example.org"]]
        assert "aceptó" in mailbox.messages[1][1]["Subject"]
        carla.goto(base + reverse("response:referral_detail", args=[referral.pk]))
        assert "Acept" in carla.inner_text("#referral-status")
        assert "La abogada aceptó esta derivación" in carla.inner_text("#referral-answer")

        # 8. One click from the accepted referral opens the legal case, prefilled and linked.
        with lucia.expect_navigation():
            lucia.click("#open-case")
        case = LegalCase.objects.get()
        assert lucia.url == base + reverse("response:case_detail", args=[case.pk])
        referral.refresh_from_db()
        assert referral.legal_case == case
        assert case.lawyer == personas.lucia and case.created_by == personas.lucia
        assert list(CaseIncident.objects.filter(case=case).values_list("incident_id", flat=True)) == [incident.pk]
        assert list(CasePerson.objects.filter(case=case).values_list("person_id", flat=True)) == [person.pk]
        assert incident.reference in case.title and "Detención arbitraria" in case.title
        # The title shows without "Mostrar".
        assert incident.reference in lucia.inner_text("#case-title")
        assert fits_the_screen(lucia)
        # A second click does not open a second case.
        lucia.goto(base + reverse("response:referral_detail", args=[referral.pk]))
        assert lucia.locator("#open-case").count() == 0
        assert case.reference in lucia.inner_text("#referral-case")
        browser.close()

    assert LegalCase.objects.count() == 1
    assert carla_outside == [] and lucia_outside == []
