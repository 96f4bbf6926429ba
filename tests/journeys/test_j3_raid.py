"""J3 — a raid.

Dora (documenter, on her phone at 360x740) records a police raid that is still going on: one
incident, four people, each with her own role and harms (three detained, one of them beaten and
one threatened; a witness whose phone was taken). Each detained woman gets the detention record
the alarm uses, with its legal limit. "¿Está pasando ahora?" raises the rapid-response alarm,
linked to the incident, and the on-call roster is called. Lucía (lawyer on call, 360x740) finds
the open alarm on her home, sees its incident and detainees, answers, marks a release, and closes
the alarm after confirming. The database is checked after each step.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from amparo.lib.browser import fits_the_screen
from tests.journeys.response_fixtures import jobs, mailbox, new_page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PEOPLE = [
    # code name, role, harms
    ("Luna", "victim", ["detained"]),
    ("Estrella", "victim", ["detained", "injured"]),
    ("Sol", "victim", ["detained", "threatened"]),
    ("Brisa", "witness", ["robbed"]),
]


def fill_person(page, row: int, code: str, role: str, harms: list[str], *, since: str = "", held_at: str = "") -> None:  # type: ignore[no-untyped-def]
    page.fill(f"#id_gente-{row}-code_name", code)
    page.select_option(f"#id_gente-{row}-role", role)
    for harm in harms:
        page.check(f"input[name='gente-{row}-harms'][value={harm}]")
    if since or held_at:
        page.click(f"#person-row-{row} summary")
    if since:
        page.fill(f"#id_gente-{row}-detained_since", since)
    if held_at:
        page.fill(f"#id_gente-{row}-held_at", held_at)


def test_a_raid_records_each_person_her_harms_and_detention_and_calls_the_roster(personas, live_server, jobs, mailbox, settings):  # noqa: F811
    from django.urls import reverse
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from amparo.alerts.models import Alarm, AlarmNotification, DetainedPerson
    from amparo.alerts.tests.factories import on_call
    from amparo.lib.browser import launch, sign_in
    from amparo.records.models import Incident, IncidentPerson
    from conftest import PASSWORD

    settings.AMPARO_ALERTS_ALLOW_LOOPBACK = True
    on_call(personas, personas.lucia)
    base = live_server.url
    now = timezone.localtime()
    stopped_at = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    with sync_playwright() as p:
        browser = launch(p)
        _c1, dora, dora_outside = new_page(browser, base, phone=True)
        _c2, lucia, lucia_outside = new_page(browser, base, phone=True)

        # 1. Dora records the raid, person by person.
        sign_in(dora, base, personas.dora, PASSWORD)
        dora.goto(base + reverse("records:incident_create"))
        dora.fill("#id_occurred_on", now.strftime("%Y-%m-%d"))
        dora.select_option("#id_department", "15")
        for code in ("raid", "arbitrary_detention", "physical_assault"):
            dora.check(f"input[name=violations][value={code}]")
        dora.check("input[name=perpetrators][value=pnp_officer]")
        dora.fill("#id_narrative", "Entraron al local y se llevaron a tres compañeras.")
        dora.check("#id_consent_store")
        # The count says one; the people listed say three affected: the record keeps them consistent.
        dora.click("#id_people_affected >> xpath=ancestor::details[1]/summary")  # "More details" is folded
        dora.fill("#id_people_affected", "1")
        dora.check("#id_happening_now")
        dora.click("#incident-people-rows summary")  # folded away unless it is needed
        for row, (code, role, harms) in enumerate(PEOPLE):
            fill_person(dora, row, "" if code == "Sol" else code, role, harms,
                        since=stopped_at if "detained" in harms else "", held_at="Comisaría de Lince" if "detained" in harms else "")
        assert fits_the_screen(dora)

        # A person with harms but no code name: a clear 400, and nothing is saved.
        with dora.expect_navigation():
            dora.click("#incident-form button[type=submit]")
        assert "Dé un código a esta persona" in dora.content()
        assert Incident.objects.count() == 0 and Alarm.objects.count() == 0 and DetainedPerson.objects.count() == 0
        dora.fill("#id_gente-2-code_name", "Sol")
        with dora.expect_navigation(url="**/*/"):
            dora.click("#incident-form button[type=submit]")

        incident = Incident.objects.get()
        links = {link.person.code_name: link for link in IncidentPerson.objects.filter(incident=incident).select_related("person")}
        assert {code: (links[code].role, sorted(links[code].harms)) for code in links} == {
            code: (role, sorted(harms)) for code, role, harms in PEOPLE
        }
        assert incident.people_affected == 3  # three affected women; the witness is not counted

        # Each detained woman has the detention record the alarm uses, with its legal limit.
        detained = {d.code_name: d for d in DetainedPerson.objects.filter(incident=incident)}
        assert sorted(detained) == ["Estrella", "Luna", "Sol"]
        for code, d in detained.items():
            assert d.person == links[code].person and d.held_at == "Comisaría de Lince"
            assert d.reckoning().limit == timedelta(hours=4)  # basis not known yet: the shortest limit

        # "¿Está pasando ahora?" raised the alarm, linked to the incident and to the detainees.
        alarm = Alarm.objects.get()
        assert alarm.incident == incident and alarm.source == "incident" and alarm.kind == "raid"
        assert alarm.status == "open" and alarm.people_count == 3 and alarm.raised_by == personas.dora
        assert set(DetainedPerson.objects.values_list("alarm_id", flat=True)) == {alarm.pk}
        assert Incident.objects.count() == 1  # the alarm did not make a second incident

        # The incident page shows each person's role and harms, and each detention's limit.
        people = dora.inner_text("#incident-people")
        assert "Estrella" in people and "Golpeada o herida" in people and "Testigo" in people
        detentions = dora.inner_text("#incident-detentions")
        assert detentions.count("Plazo legal") == 3 and "Dentro del plazo legal" in detentions
        assert fits_the_screen(dora)

        # 2. The job queue calls the on-call roster: Lucía is e-mailed.
        jobs.run()
        notified = AlarmNotification.objects.filter(alarm=alarm, membership=personas.membership(personas.lucia))
        assert notified.filter(channel="email", status="sent").exists()
        assert any(rcpt == ["lucia@example.org"] for rcpt, _m in mailbox.messages)

        # 3. Lucía's home shows the open alarm waiting for her answer.
        sign_in(lucia, base, personas.lucia, PASSWORD)
        waiting = lucia.locator("#home-alarms")
        assert incident.reference in waiting.inner_text()
        with lucia.expect_navigation():
            waiting.get_by_role("link").first.click()

        # 4. The alarm shows its incident and its detainees with their legal limits.
        assert incident.reference in lucia.inner_text("#alarm-incident")
        assert lucia.locator(".detention").count() == 3
        assert fits_the_screen(lucia)
        with lucia.expect_navigation():
            lucia.click("#alarm-acknowledge")
        alarm.refresh_from_db()
        assert alarm.status == "acknowledged"
        lucia.goto(base + "/")
        assert lucia.locator("#home-alarms").count() == 0

        # 5. Estrella is released: one record, seen from the alarm and from the incident.
        lucia.goto(base + reverse("alerts:alarm_detail", args=[alarm.pk]))
        card = lucia.locator(".detention", has_text="Estrella")
        card.locator("input[name=released_at]").fill(now.strftime("%Y-%m-%dT%H:%M"))
        with lucia.expect_navigation():
            card.locator("button").click()
        assert DetainedPerson.objects.get(code_name="Estrella").released_at is not None
        dora.goto(base + reverse("records:incident_detail", args=[incident.pk]))
        assert "Liberada" in dora.locator(".detention", has_text="Estrella").inner_text()

        # 6. "Cerrar alarma" asks first (a page of its own: no JavaScript needed).
        lucia.goto(base + reverse("alerts:alarm_detail", args=[alarm.pk]))
        with lucia.expect_navigation():
            lucia.click("#alarm-close")
        alarm.refresh_from_db()
        assert alarm.status == "acknowledged"  # nothing closed yet
        assert "¿Cerrar esta alarma?" in lucia.content()
        with lucia.expect_navigation():
            lucia.click("#confirm-close")
        alarm.refresh_from_db()
        assert alarm.status == "closed" and alarm.closed_at is not None
        browser.close()

    assert dora_outside == [] and lucia_outside == []
