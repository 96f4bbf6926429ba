"""J8 — From a testing day to a lawyer and to treatment, with her consent at each step.

Dora, a peer documenter, held a testing day at "Sauna Azul". One person, who chooses the code
name "Orquídea", had a reactive result and also wants to denounce an eviction. From the
activity's page on her phone (360 px) Dora refers her to Lucía, the allied lawyer, through the
normal referral flow, and, with her consent, starts accompanying her to treatment; a week later
she records the start of treatment. Lucía receives the referral and sees where it came from, but
no health count of that day. Carla, the coordinator, sees the campaign's "linked to care"
indicator move, protected: one person is never shown as "1". The database is checked at each
step, including what a raw dump of the linkage row shows (nothing about her).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from amparo.lib.browser import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "es-PE", "is_mobile": True, "has_touch": True}


def test_a_person_met_at_a_testing_day_reaches_a_lawyer_and_treatment(personas, live_server):
    from django.db import connection
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from amparo.lib.browser import launch, sign_in
    from amparo.programmes import selectors, services
    from amparo.programmes.models import Activity, CareLinkage
    from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
    from amparo.records.models import Person
    from amparo.response.models import Referral
    from conftest import PASSWORD

    today = timezone.localdate()
    held_on = today - timedelta(days=10)
    campaign = make_programme(personas, starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=60))
    venue = make_venue(personas, "Sauna Azul")
    linked = services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla, programme=campaign,
                                       name="Vinculadas a tratamiento", measure="linked_to_care", target=10)
    day = make_activity(personas, personas.dora, programme=campaign, venue=venue, district=venue.district, held_on=held_on,
                        tests_done=30, tests_reactive=1)
    other_day = make_activity(personas, personas.dora, programme=campaign, venue=venue, district=venue.district,
                              held_on=held_on - timedelta(days=7), tests_done=12)
    base = live_server.url
    with sync_playwright() as p:
        browser = launch(p)

        # 1. Dora refers Orquídea to Lucía from the testing day's page, consent first.
        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        sign_in(page, base, personas.dora, PASSWORD)
        page.goto(f"{base}/programas/actividades/{day.pk}/")
        assert fits_the_screen(page)
        page.get_by_role("link", name="Derivar a una persona (pruebas, asesoría legal…)").click()
        assert fits_the_screen(page)
        page.check("#id_consent_given")
        page.select_option("#id_consent_method", "verbal")
        page.fill("#id_new_code_name", "Orquídea")
        page.check("input[name=target][value=lawyer]")
        page.select_option("#id_lawyer", str(personas.lucia.pk))
        page.fill("#id_note", "Quiere denunciar un desalojo.")
        with page.expect_navigation():
            page.click("#save-referral")
        referral = Referral.objects.get()
        orquidea = Person.objects.get(code_name="Orquídea")
        assert (referral.activity, referral.person, referral.lawyer, referral.created_by) == (day, orquidea, personas.lucia, personas.dora)
        assert referral.consent_given and referral.consent_method == "verbal"
        assert page.url == f"{base}/respuesta/derivaciones/{referral.pk}/"

        # 2. With her consent, Dora starts accompanying her to treatment from the same page.
        page.goto(f"{base}/programas/actividades/{day.pk}/")
        assert "1 derivación hecha desde esta actividad." in page.inner_text("#activity-referrals")
        page.get_by_role("link", name="Acompañar a una persona a tratamiento").click()
        page.select_option("#id_person", label="Orquídea")
        page.fill("#id_reactive_on", held_on.isoformat())
        page.fill("#id_confirmed_on", (held_on + timedelta(days=2)).isoformat())
        page.get_by_role("button", name="Guardar").click()
        assert "Sin su consentimiento" in page.inner_text("main")  # no consent, nothing saved
        assert not CareLinkage.objects.exists()
        page.check("#id_consent_given")
        page.select_option("#id_consent_method", "verbal")
        with page.expect_navigation():
            page.get_by_role("button", name="Guardar").click()
        assert page.url == f"{base}/programas/tratamiento/"
        linkage = CareLinkage.objects.get()
        assert (linkage.activity, linkage.person_pk, linkage.reactive_on, linkage.consent_recorded_by) == (
            day, orquidea.pk, held_on, personas.dora)
        # The row names nobody: no plain reference to her, no date in clear.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {CareLinkage._meta.db_table}")
            raw = " ".join(str(v) for row in cursor.fetchall() for v in row)
        assert "Orquídea" not in raw and held_on.isoformat() not in raw and f'"{orquidea.pk}"' not in raw
        day.refresh_from_db()
        assert (day.tests_reactive, day.tests_confirmed, day.linked_to_care) == (1, 1, 0)

        # 3. A week later she started treatment: Dora records it in her list.
        card = page.locator(f"section.linkage[data-linkage='{linkage.pk}']")
        assert "Orquídea" in card.inner_text()
        card.locator("input[name$=treatment_started_on]").fill((held_on + timedelta(days=7)).isoformat())
        with page.expect_navigation():
            card.get_by_role("button", name="Guardar").click()
        linkage.refresh_from_db()
        assert linkage.days_to_treatment == 7
        assert Activity.objects.get(pk=day.pk).linked_to_care == 1
        assert selectors.indicator_value(linked) == 1
        phone.close()

        # 4. Lucía receives the referral and sees where it came from: a summary, no health counts.
        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        sign_in(page, base, personas.lucia, PASSWORD)
        page.goto(f"{base}/respuesta/derivaciones/{referral.pk}/")
        with page.expect_navigation():
            page.locator("#referral-activity a").click()
        summary = page.inner_text("main")
        assert "Jornada de pruebas" in summary and "Sauna Azul" in summary
        assert "30" not in summary and "reactiv" not in summary.lower()
        assert page.goto(f"{base}/programas/actividades/{other_day.pk}/").status == 404
        assert page.goto(f"{base}/programas/tratamiento/").status == 403
        phone.close()

        # 5. Carla sees the campaign's indicator move, protected: one person is never a "1".
        phone = browser.new_context(**PHONE)
        page = phone.new_page()
        sign_in(page, base, personas.carla, PASSWORD)
        page.goto(f"{base}/programas/{campaign.pk}/")
        value = page.locator(f"section.indicator[data-indicator='{linked.pk}'] .value").inner_text()
        assert value != "1" and value.startswith("<")
        assert fits_the_screen(page)
        phone.close()
        browser.close()
