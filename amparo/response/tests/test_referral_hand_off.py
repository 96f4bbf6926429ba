"""The hand-off from the organisation to its lawyer (J2's server side) and what the lawyer's day
shows (J5's): sending or a plain draft, the e-mail through the job queue, the answer with its
reason, the legal case opened from the referral, reminders that name their case and person.

Personas (conftest): Carla coordinates Lima, Lucía is Lima's lawyer, Olga another Lima lawyer
created here, Bruno coordinates Arequipa. Lucía sees only what is sent or assigned to her.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Role
from amparo.response import selectors, services
from amparo.response.models import LegalCase, Referral, Reminder
from amparo.response.tests.factories import incident_with_person, move, open_case, refer
from conftest import login, make_user

pytestmark = pytest.mark.django_db


def referral_post(incident, lawyer, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "incident": incident.pk, "target": "lawyer", "lawyer": lawyer.pk, "need": "legal_aid",
        "consent_given": "on", "consent_method": "verbal", "shares_identifying_data": "on", "send_now": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- sent, or a draft that says so ------------------------------------------------------------


def test_it_sends_the_referral_when_it_is_saved_and_says_the_lawyer_is_told(personas, client):
    incident, _person = incident_with_person(personas)
    login(client, personas.carla)
    response = client.post(reverse("response:referral_create"), referral_post(incident, personas.lucia), follow=True)
    referral = Referral.objects.get()
    assert referral.status == "sent" and referral.sent_at is not None
    assert "recibe un aviso por correo" in response.content.decode()


def test_a_draft_says_plainly_it_was_not_sent_and_reaches_nobody(personas, client):
    incident, _person = incident_with_person(personas)
    login(client, personas.carla)
    response = client.post(reverse("response:referral_create"), referral_post(incident, personas.lucia, send_now=None), follow=True)
    referral = Referral.objects.get()
    assert referral.status == "proposed"
    page = response.content.decode()
    assert "borrador" in page.lower() and "no se ha enviado" in page and 'id="send-referral"' in page
    login(client, personas.lucia)
    assert client.get(reverse("response:referral_detail", args=[referral.pk])).status_code == 404
    assert selectors.my_tasks(membership=personas.membership(personas.lucia)).to_answer == []


def test_a_draft_is_sent_from_its_page(personas, client):
    incident, _person = incident_with_person(personas)
    referral = refer(personas, incident)
    login(client, personas.carla)
    response = client.post(reverse("response:referral_status", args=[referral.pk]), {"status": "sent"})
    assert response.status_code == 303
    assert Referral.objects.get().status == "sent"


# --- the e-mail, through the job queue --------------------------------------------------------


def test_sending_queues_the_lawyer_notice_after_commit(personas, django_capture_on_commit_callbacks, monkeypatch):
    from amparo.response import tasks

    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(tasks, "referral_notify", lambda referral_id, status: queued.append((referral_id, status)))
    incident, _person = incident_with_person(personas)
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(personas, incident, send=True)
    assert queued == [(referral.pk, "sent")]


def test_the_lawyer_is_emailed_once_with_a_link_and_nothing_about_the_person(personas, mailoutbox, settings):
    settings.SITE_URL = "https://amparo.test"
    incident, person = incident_with_person(personas, code_name="Girasol")
    referral = move(personas, refer(personas, incident, note="Vive en Lince"), "sent")
    assert services.referral_notification_send(referral_id=referral.pk, status="sent") is True
    assert services.referral_notification_send(referral_id=referral.pk, status="sent") is False
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["lucia@example.org"]
    assert f"https://amparo.test/respuesta/derivaciones/{referral.pk}/" in message.body
    for secret in ("Girasol", "Lince", incident.reference):
        assert secret not in message.body and secret not in message.subject


def test_a_failed_send_gives_the_claim_back_for_the_retry(personas, monkeypatch):
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("SMTP down")

    monkeypatch.setattr(services, "send_mail", broken)
    with pytest.raises(OSError):
        services.referral_notification_send(referral_id=referral.pk, status="sent")
    assert Referral.objects.get().notified_status == ""


def test_the_follower_is_told_when_the_lawyer_answers(personas, mailoutbox):
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent", "accepted")
    assert services.referral_notification_send(referral_id=referral.pk, status="accepted") is True
    assert mailoutbox[-1].to == ["carla@example.org"]


# --- the answer ---------------------------------------------------------------------------------


def test_a_lawyer_cannot_decline_without_a_reason(personas):
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    with pytest.raises(ValidationError) as exc:
        services.referral_transition(referral=referral, membership=personas.membership(personas.lucia),
                                     acting_user=personas.lucia, status="declined")
    assert "outcome" in exc.value.message_dict
    assert Referral.objects.get().status == "sent"


def test_the_answer_page_refuses_a_decline_without_reason_with_a_400_and_changes_nothing(personas, client):
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    login(client, personas.lucia)
    url = reverse("response:referral_answer", args=[referral.pk])
    response = client.post(url, {"answer": "declined", "reason": "  "})
    assert response.status_code == 400 and "Diga por qué rechaza" in response.content.decode()
    assert client.post(url, {"answer": "maybe"}).status_code == 400
    assert Referral.objects.get().status == "sent"
    assert client.post(url, {"answer": "declined", "reason": "Conflicto de interés"}).status_code == 303
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.outcome == "Conflicto de interés"


def test_only_the_lawyer_it_was_sent_to_answers_it(personas, client):
    olga = make_user("olga", personas.org, Role.LAWYER)
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    url = reverse("response:referral_answer", args=[referral.pk])
    login(client, olga)
    assert client.post(url, {"answer": "accepted"}).status_code == 404
    login(client, personas.carla)
    assert client.post(url, {"answer": "accepted"}).status_code == 403
    assert Referral.objects.get().status == "sent"


# --- one click to the legal case ----------------------------------------------------------------


def test_an_accepted_referral_opens_its_legal_case_once_prefilled_and_linked(personas, client):
    incident, person = incident_with_person(personas, code_name="Girasol")
    referral = move(personas, refer(personas, incident, person=person), "sent", "accepted")
    login(client, personas.lucia)
    url = reverse("response:referral_open_case", args=[referral.pk])
    response = client.post(url)
    case = LegalCase.objects.get()
    assert response.status_code == 303 and response["Location"] == reverse("response:case_detail", args=[case.pk])
    assert case.lawyer == personas.lucia and incident.reference in case.title and "Girasol" in case.title
    assert list(case.incidents.all()) == [incident] and list(case.persons.all()) == [person]
    assert Referral.objects.get().legal_case == case
    client.post(url)
    assert LegalCase.objects.count() == 1


def test_a_legal_case_is_not_opened_from_a_referral_not_yet_accepted(personas, client):
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    login(client, personas.lucia)
    response = client.post(reverse("response:referral_open_case", args=[referral.pk]))
    assert response.status_code == 409
    assert not LegalCase.objects.exists()


def test_nobody_else_opens_the_legal_case_of_a_referral(personas, client):
    olga = make_user("olga", personas.org, Role.LAWYER)
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent", "accepted")
    for user in (olga, personas.bruno):
        login(client, user)
        assert client.post(reverse("response:referral_open_case", args=[referral.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.case_open_from_referral(referral=referral, membership=personas.membership(olga), acting_user=olga)
    assert not LegalCase.objects.exists()


# --- the lawyer's day ------------------------------------------------------------------------------


def test_reminders_name_their_legal_case_and_person(personas):
    incident, _person = incident_with_person(personas, code_name="Girasol")
    case = open_case(personas, [incident], title="Detención en Lince")
    now = timezone.now()
    deadline = services.deadline_add(case=case, membership=personas.membership(personas.carla), acting_user=personas.carla,
                                     title="Apelar", due_at=now + timedelta(hours=3))
    services.reminder_send(kind="deadline", object_id=deadline.pk, now=now)
    lines = selectors.reminder_lines_for(membership=personas.membership(personas.lucia),
                                         reminders=list(Reminder.objects.filter(user=personas.lucia)))
    assert [(line.case, line.what, line.people) for line in lines] == [(case, "Apelar", ["Girasol"])]
    assert lines[0].case.title == "Detención en Lince"
    # Once the case is no longer hers, the reminder stays but names nothing.
    services.case_assign_lawyer(case=case, membership=personas.membership(personas.carla), acting_user=personas.carla, lawyer=None)
    lines = selectors.reminder_lines_for(membership=personas.membership(personas.lucia),
                                         reminders=list(Reminder.objects.filter(user=personas.lucia)))
    assert lines[0].case is None and lines[0].people == [] and lines[0].what == ""


def test_the_lawyers_home_lists_only_her_legal_cases_and_referrals(personas, client):
    olga = make_user("olga", personas.org, Role.LAWYER)
    incident, _p = incident_with_person(personas, code_name="Girasol")
    mine = open_case(personas, [incident], title="Mi caso legal")
    other_incident, _q = incident_with_person(personas, code_name="Jazmín")
    theirs = open_case(personas, [other_incident], lawyer=olga, title="Caso de Olga")
    move(personas, refer(personas, other_incident), "sent")
    login(client, personas.lucia)
    page = client.get("/").content.decode()
    assert mine.reference in page and "Mi caso legal" in page and "Girasol" in page
    assert theirs.reference not in page and "Caso de Olga" not in page
    assert other_incident.reference in page  # the referral sent to her waits for her answer
    login(client, personas.carla)
    assert 'id="home-cases"' not in client.get("/").content.decode()
