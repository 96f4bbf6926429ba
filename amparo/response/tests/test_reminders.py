"""Reminders run as real background jobs on huey's queue (SQLite; Redis when AMPARO_REDIS_URL is set)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from amparo.response import services, tasks
from amparo.response.models import Deadline, Referral, Reminder
from amparo.response.tests.factories import incident_with_person, move, open_case, refer

pytestmark = pytest.mark.django_db

BACKENDS = ["sqlite"]
if os.environ.get("AMPARO_REDIS_URL"):
    BACKENDS.append("redis")


@pytest.fixture(params=BACKENDS)
def queue(request, tmp_path):
    """huey's own queue, emptied; for Redis a key prefix of our own so parallel runs never mix."""
    from huey.storage import RedisStorage, SqliteStorage

    original = HUEY.storage
    if request.param == "redis":
        HUEY.storage = RedisStorage(name=f"amparo-response-test-{os.getpid()}", url=os.environ["AMPARO_REDIS_URL"])
    elif not isinstance(original, SqliteStorage):
        HUEY.storage = SqliteStorage(name="amparo-response-test", filename=str(tmp_path / "huey.sqlite3"))
    assert isinstance(HUEY.storage, RedisStorage if request.param == "redis" else SqliteStorage)
    assert not HUEY.immediate, "reminders must go through the real queue in these tests"
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.storage = original


def drain(huey) -> list:
    """Run what is queued, as a consumer would, until the queue is empty."""
    results = []
    while (task := huey.dequeue()) is not None:
        results.append(huey.execute(task))
    return results


def overdue_referral(personas):
    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    Referral.objects.filter(pk=referral.pk).update(follow_up_on=timezone.localdate() - timedelta(days=1))
    return referral


def test_the_dispatch_job_queues_and_delivers_a_follow_up_reminder(personas, queue):
    referral = overdue_referral(personas)
    tasks.reminders_dispatch()  # enqueued, not run
    assert len(queue) == 1 and not Reminder.objects.exists()
    assert drain(queue) == [1, True]  # dispatch found one; delivery made one
    reminder = Reminder.objects.get()
    assert (reminder.user, reminder.kind, reminder.object_id) == (personas.carla, "referral", referral.pk)


def test_running_the_job_twice_leaves_one_reminder(personas, queue):
    overdue_referral(personas)
    tasks.reminders_dispatch()
    tasks.reminders_dispatch()
    drain(queue)
    drain(queue)
    assert Reminder.objects.count() == 1


def test_two_deliveries_of_the_same_item_race_and_only_one_wins(personas, queue):
    referral = overdue_referral(personas)
    tasks.reminder_deliver("referral", referral.pk)
    tasks.reminder_deliver("referral", referral.pk)
    assert sorted(drain(queue)) == [False, True]
    assert Reminder.objects.count() == 1


def test_a_new_follow_up_date_gets_a_new_reminder(personas, queue):
    referral = overdue_referral(personas)
    tasks.reminders_dispatch()
    drain(queue)
    Referral.objects.filter(pk=referral.pk).update(follow_up_on=timezone.localdate())
    tasks.reminders_dispatch()
    drain(queue)
    assert Reminder.objects.count() == 2


def test_closed_referrals_are_not_reminded(personas, queue):
    referral = overdue_referral(personas)
    move(personas, referral, "withdrawn")
    tasks.reminders_dispatch()
    assert drain(queue) == [0]


def test_deadlines_and_hearings_due_soon_are_reminded_to_the_lawyer(personas, queue):
    incident, _person = incident_with_person(personas)
    case = open_case(personas, [incident])
    m = personas.membership(personas.carla)
    services.deadline_add(case=case, membership=m, acting_user=personas.carla, title="Apelar", due_at=timezone.now() + timedelta(hours=20))
    far = services.deadline_add(case=case, membership=m, acting_user=personas.carla, title="Lejano", due_at=timezone.now() + timedelta(days=20))
    services.hearing_add(case=case, membership=m, acting_user=personas.carla, scheduled_at=timezone.now() + timedelta(days=1), purpose="Audiencia")
    tasks.reminders_dispatch()
    drain(queue)
    kinds = sorted(Reminder.objects.filter(user=personas.lucia).values_list("kind", flat=True))
    assert kinds == ["deadline", "hearing"]
    assert Deadline.objects.get(pk=far.pk).reminded_at is None


def test_the_reminder_email_names_no_one(personas, queue, settings, smtp_server, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.hostname, smtp_server.port
    referral = overdue_referral(personas)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.reminders_dispatch()
        drain(queue)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "carla@example.org"
    body = message.get_payload()
    assert "/respuesta/tareas/" in body
    assert referral.incident.reference not in body and "Mariposa" not in body
    assert Reminder.objects.get().emailed
