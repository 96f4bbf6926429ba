"""People met at an activity: referrals into the normal referral flow, and reminders of commitments.

Personas (conftest): Dora documents and recorded the outreach session; Diana, another documenter,
did not (404). Lucía, a lawyer, sees an activity only through a referral she received from it, as
a summary without counts; any other activity is a 404 to her. Bruno (Arequipa) gets 404s.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from amparo.alerts.tests.receivers import real_queue, smtp_receiver
from amparo.programmes import selectors
from amparo.programmes.models import Activity
from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
from amparo.records.models import Person
from amparo.response import services as response_services
from amparo.response import tasks
from amparo.response.models import Referral, Reminder
from amparo.response.tests.factories import local_service

pytestmark = pytest.mark.django_db


def outreach(personas, **fields):
    fields.setdefault("kind", "peer_outreach")
    fields.setdefault("participants_sex_workers", 12)
    fields.setdefault("tests_done", 0)
    return make_activity(personas, personas.dora, venue=make_venue(personas, "Hotel Luna", kind="hotel"), **fields)


def referral_post(**overrides):
    data = {"consent_given": "on", "consent_method": "verbal", "new_code_name": "Orquídea", "target": "lawyer",
            "lawyer": "", "need": "", "note": "Quiere denunciar un desalojo.", "send_now": "on", "shares_identifying_data": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---- referrals from an activity -------------------------------------------------------------------


def test_a_person_met_at_an_outreach_session_is_referred_to_a_lawyer_through_the_normal_flow(personas, login_as):
    activity = outreach(personas)
    client = login_as(personas.dora)
    url = f"/programas/actividades/{activity.pk}/derivar/"
    assert client.get(url).status_code == 200
    response = client.post(url, referral_post(lawyer=str(personas.lucia.pk)))
    assert response.status_code == 303
    referral = Referral.objects.get()
    assert (referral.activity, referral.person.code_name, referral.lawyer, referral.status) == (activity, "Orquídea", personas.lucia, "sent")
    assert (referral.consent_given, referral.consent_method, referral.created_by) == (True, "verbal", personas.dora)
    page = client.get(f"/programas/actividades/{activity.pk}/").content.decode()
    assert 'id="activity-referrals"' in page and f"/respuesta/derivaciones/{referral.pk}/" in page
    assert f'href="/programas/actividades/{activity.pk}/"' in client.get(f"/respuesta/derivaciones/{referral.pk}/").content.decode()
    # It reached the lawyer like any referral: in her tasks.
    tasks_page = login_as(personas.lucia).get("/respuesta/tareas/").content.decode()
    assert f"/respuesta/derivaciones/{referral.pk}/" in tasks_page


def test_an_existing_person_is_referred_to_a_testing_service(personas, login_as):
    from conftest import make_person

    activity = outreach(personas)
    person = make_person(personas.org, personas.dora, code_name="Azucena")
    service = local_service(personas)
    response = login_as(personas.dora).post(f"/programas/actividades/{activity.pk}/derivar/", referral_post(
        new_code_name="", person=str(person.pk), target="service", service=str(service.pk), need="hiv_sti"))
    assert response.status_code == 303
    referral = Referral.objects.get()
    assert (referral.activity, referral.person, referral.service) == (activity, person, service)


@pytest.mark.parametrize("bad", [
    {"consent_given": None},  # a lawyer reads the record: no consent, no referral
    {"lawyer": ""},
    {"new_code_name": ""},
    {"follow_up_on": "2001-01-01"},
    {"consent_method": "telepatía"},
])
def test_bad_referral_input_answers_400_and_saves_nothing(personas, login_as, bad):
    activity = outreach(personas)
    overrides = {"lawyer": str(personas.lucia.pk), **bad}
    response = login_as(personas.dora).post(f"/programas/actividades/{activity.pk}/derivar/", referral_post(**overrides))
    assert response.status_code == 400
    assert not Referral.objects.exists() and not Person.objects.filter(code_name="Orquídea").exists()


def test_only_who_may_see_the_activity_refers_from_it(personas, login_as):
    activity = outreach(personas)
    for user, status in ((personas.diana, 404), (personas.bruno, 404), (personas.ana, 403), (personas.lucia, 403)):
        client = login_as(user)
        assert client.get(f"/programas/actividades/{activity.pk}/derivar/").status_code == status, user
        assert client.post(f"/programas/actividades/{activity.pk}/derivar/", referral_post(lawyer=str(personas.lucia.pk))).status_code == status
    assert Referral.objects.count() == 0
    assert login_as(personas.carla).get(f"/programas/actividades/{activity.pk}/derivar/").status_code == 200


def _refer_to_lucia(personas, activity, *, send=True):
    from amparo.programmes.services import activity_referral_create

    return activity_referral_create(membership=personas.membership(personas.dora), acting_user=personas.dora, activity=activity,
                                    new_code_name="Orquídea", lawyer=personas.lucia, consent_given=True, consent_method="verbal",
                                    send=send)


def test_a_lawyer_sees_only_a_summary_of_an_activity_a_referral_to_her_came_from(personas, login_as):
    activity = outreach(personas, participants_sex_workers=947, notes="Nota interna del equipo")
    other = make_activity(personas, personas.dora, kind="testing_day", tests_done=50)
    client = login_as(personas.lucia)
    draft = _refer_to_lucia(personas, activity, send=False)
    assert client.get(f"/programas/actividades/{activity.pk}/").status_code == 404  # a draft reached nobody
    response_services.referral_transition(referral=draft, membership=personas.membership(personas.dora), acting_user=personas.dora,
                                          status="sent")
    response = client.get(f"/programas/actividades/{activity.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hotel Luna" in page and "Miraflores" in page and f"/respuesta/derivaciones/{draft.pk}/" in page
    assert "947" not in page and "Nota interna" not in page and 'id="activity-referrals"' not in page
    assert client.get(f"/programas/actividades/{other.pk}/").status_code == 404
    assert client.get("/programas/actividades/").status_code == 403


def test_the_activity_page_is_404_to_other_documenters_and_organisations(personas, login_as):
    activity = outreach(personas)
    assert login_as(personas.dora).get(f"/programas/actividades/{activity.pk}/").status_code == 200
    assert login_as(personas.diana).get(f"/programas/actividades/{activity.pk}/").status_code == 404
    assert login_as(personas.bruno).get(f"/programas/actividades/{activity.pk}/").status_code == 404
    assert login_as(personas.ana).get(f"/programas/actividades/{activity.pk}/").status_code == 403
    assert login_as(personas.carla).get(f"/programas/actividades/{activity.pk}/").status_code == 200


def test_a_programmes_referral_count_is_published_protected(personas, settings):
    settings.SUPPRESSION_THRESHOLD = 5
    programme = make_programme(personas)
    activity = outreach(personas, programme=programme)
    _refer_to_lucia(personas, activity)
    assert selectors.programme_referral_count(programme=programme) == "<5"
    figures = selectors.programme_people_figures(membership=personas.membership(personas.ana), programme=programme)
    assert figures[0][1] == "<5"


# ---- commitment reminders --------------------------------------------------------------------------


def test_a_commitment_follow_up_is_reminded_once_to_the_recorder_in_her_tasks_and_by_email(personas, login_as, settings, tmp_path,
                                                                                            django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://amparo.test"
    activity = make_activity(personas, personas.dora, kind="police_training", institution="Comisaría de Lince",
                             commitments="Capacitar a la sección de patrullaje", follow_up_on=date(2026, 6, 1))
    not_yet = make_activity(personas, personas.dora, kind="advocacy_meeting", follow_up_on=timezone.localdate() + timedelta(days=3))
    Activity.objects.filter(pk=activity.pk).update(follow_up_on=timezone.localdate())
    with real_queue(tmp_path, name="amparo-programmes-test") as queue, \
            smtp_receiver(settings, from_email="amparo@amparo.test") as smtp, \
            django_capture_on_commit_callbacks(execute=True):
        tasks.reminders_dispatch()
        tasks.reminders_dispatch()  # runs twice: one reminder
        queue.run()
        tasks.reminders_dispatch()
        queue.run()
    reminder = Reminder.objects.get()
    assert (reminder.user, reminder.kind, reminder.object_id, reminder.due_on) == (personas.dora, "commitment", activity.pk, timezone.localdate())
    assert Activity.objects.get(pk=activity.pk).reminded_for == timezone.localdate()
    assert Activity.objects.get(pk=not_yet.pk).reminded_for is None
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["dora@example.org"]
    body = message.get_content()
    assert "/respuesta/tareas/" in body
    for fact in ("Capacitar", "Lince", "patrullaje", "Miraflores"):
        assert fact not in body and fact not in message["Subject"]
    page = login_as(personas.dora).get("/respuesta/tareas/").content.decode()
    assert f'href="/programas/actividades/{activity.pk}/"' in page
    # A new follow-up date is a new reminder.
    Activity.objects.filter(pk=activity.pk).update(follow_up_on=timezone.localdate() - timedelta(days=1))
    assert response_services.reminder_send(kind="commitment", object_id=activity.pk) is not None
    assert response_services.reminder_send(kind="commitment", object_id=activity.pk) is None
    assert Reminder.objects.count() == 2


def test_a_commitment_reminder_names_no_activity_another_member_may_not_see(personas, login_as):
    activity = make_activity(personas, personas.dora, kind="police_training", follow_up_on=date(2026, 6, 1))
    Activity.objects.filter(pk=activity.pk).update(follow_up_on=timezone.localdate())
    reminder = response_services.reminder_send(kind="commitment", object_id=activity.pk)
    assert reminder is not None and reminder.user == personas.dora
    Reminder.objects.filter(pk=reminder.pk).update(user=personas.diana)  # as if it were hers
    page = login_as(personas.diana).get("/respuesta/tareas/").content.decode()
    assert f"/programas/actividades/{activity.pk}/" not in page


def test_the_activity_page_and_its_sections_read_in_english_too(personas, login_as):
    activity = make_activity(personas, personas.dora, kind="testing_day", tests_done=20, tests_reactive=1)
    _refer_to_lucia(personas, activity)
    client = login_as(personas.dora)
    english = client.get(f"/programas/actividades/{activity.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 referral made from this activity." in english and "Accompany a person to treatment" in english
    spanish = client.get(f"/programas/actividades/{activity.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "1 derivación hecha desde esta actividad." in spanish and "Acompañar a una persona a tratamiento" in spanish
