"""The demo gives each organisation a year of programmes: every programme page shows something."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from amparo.audit.models import AuditEvent
from amparo.insights.models import Milestone
from amparo.programmes import selectors
from amparo.programmes.demo import demo_programmes_load
from amparo.programmes.models import Activity, ActivityKind, CareLinkage, Programme, Venue
from amparo.records.models import Person
from amparo.response.models import Referral, ReminderKind
from amparo.response.services import reminders_collect

pytestmark = pytest.mark.django_db


def test_the_demo_loads_a_year_of_programmes_over_sixteen_venues(personas):
    counts = demo_programmes_load(organisations=[personas.org], today=date(2026, 11, 1))
    assert counts["programmes"] == 3 and counts["venues"] == 16 and counts["activities"] > 16 * 20
    assert Venue.objects.filter(organisation=personas.org).count() == 16
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert {ActivityKind.POLICE_TRAINING, ActivityKind.TESTING_DAY, ActivityKind.MEMBER_TRAINING,
            ActivityKind.ADVOCACY_MEETING, ActivityKind.AGREEMENT_SIGNED} <= kinds
    campaign = next(p for p in Programme.objects.all() if p.name == "Campaña de pruebas de VIH (ejemplo)")
    assert campaign.ends_on == date(2026, 12, 1)
    progress = selectors.programme_progress(membership=personas.membership(personas.ana), programme=campaign, today=date(2026, 11, 1))
    tests = next(p for p in progress if p.indicator.measure == "tests_done")
    assert 5_000 < tests.value < 15_000 and len(tests.sites) == 16 and tests.projected > tests.value
    assert all(selectors.indicator_value(p.indicator) > 0 for p in progress)
    assert Activity.objects.filter(kind=ActivityKind.POLICE_TRAINING).first().institution.endswith("(ejemplo)")


DAY = date(2026, 11, 1)


def test_the_demo_marks_trainings_and_the_agreement_as_milestones_with_their_place_and_activity(personas):
    counts = demo_programmes_load(organisations=[personas.org], today=DAY)
    milestones = list(Milestone.objects.filter(organisation=personas.org, activity__isnull=False).select_related("activity"))
    assert counts["milestones"] == len(milestones) == 3
    kinds = sorted(m.kind for m in milestones)
    assert kinds == ["agreement", "training", "training"]
    assert {m.activity.kind for m in milestones} == {ActivityKind.POLICE_TRAINING, ActivityKind.AGREEMENT_SIGNED}
    # Trainings everywhere, the agreement in the organisation's region; the activity's date, far
    # enough back for whole quarters after it.
    assert {(m.kind, m.place) for m in milestones} == {("training", ""), ("agreement", "15")}
    assert all(m.happened_on == m.activity.held_on and m.happened_on <= date(2026, 6, 1) for m in milestones)
    assert {m.perpetrator for m in milestones if m.kind == "training"} == {"pnp_officer", "serenazgo"}
    assert sum(m.is_public for m in milestones) == 1
    assert AuditEvent.objects.filter(action="activity.marked_milestone").count() == 3


def test_the_demo_accompanies_a_few_people_to_treatment_with_consent_sealed_and_within_the_tallies(personas):
    counts = demo_programmes_load(organisations=[personas.org, personas.other_org], today=DAY)
    lima = list(CareLinkage.objects.filter(organisation=personas.org).select_related("activity"))
    assert counts["linkages"] == 6 + 3 and len(lima) == 6
    assert CareLinkage.objects.filter(organisation=personas.other_org).count() == 3
    for linkage in CareLinkage.objects.select_related("activity"):
        assert linkage.consent_given and linkage.consent_method and linkage.consent_recorded_at is not None
        activity = linkage.activity
        assert activity.kind == ActivityKind.TESTING_DAY and linkage.reactive_on == activity.held_on
        assert linkage.treatment_started_on is None or activity.held_on <= linkage.confirmed_on <= linkage.treatment_started_on <= DAY
        assert Person.objects.filter(pk=linkage.person_pk, organisation_id=linkage.organisation_id).exists()
    # Sealed at rest: neither the person nor the dates nor the health service are readable in the table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_ref, dates, health_service FROM programmes_carelinkage")
        for row in cursor.fetchall():
            assert all("Centro de salud" not in str(v) and "2026-" not in str(v) for v in row)
    # The testing days already counted them: no tally had to move.
    assert not AuditEvent.objects.filter(action="activity.counts_raised").exists()
    # Lima has enough people on treatment to publish; Arequipa's few show as protected numbers.
    lima_campaign = Programme.objects.get(organisation=personas.org, kind="campaign")
    lima_care = selectors.care_summary(membership=personas.membership(personas.carla), programme=lima_campaign)
    assert (lima_care.followed, lima_care.started) == ("6", "6") and lima_care.median_days
    other_campaign = Programme.objects.get(organisation=personas.other_org, kind="campaign")
    other_care = selectors.care_summary(membership=personas.membership(personas.bruno, personas.other_org), programme=other_campaign)
    assert (other_care.followed, other_care.started, other_care.median_days) == ("<5", "<5", "")


def test_the_demo_refers_people_met_at_activities_with_consent(personas):
    counts = demo_programmes_load(organisations=[personas.org], today=DAY)
    referrals = list(Referral.objects.filter(organisation=personas.org, activity__isnull=False).select_related("service", "activity"))
    assert counts["referrals"] == len(referrals) == 3
    assert {r.service.code for r in referrals} == {"DPUB", "CERITS"}
    assert all(r.consent_given and r.consent_method and r.status == "sent" and r.person_id for r in referrals)
    assert {r.activity.kind for r in referrals} == {ActivityKind.PEER_OUTREACH, ActivityKind.TESTING_DAY}


def test_the_demo_venues_have_posters_and_the_first_reminder_run_brings_a_couple_of_commitments(personas):
    demo_programmes_load(organisations=[personas.org], today=DAY)
    assert not Venue.objects.filter(organisation=personas.org, poster_token__isnull=True).exists()
    past = Activity.objects.filter(organisation=personas.org, follow_up_on__lte=DAY)
    assert past.count() > 5
    due = [pk for kind, pk in reminders_collect(now=datetime(2026, 11, 1, 12, tzinfo=UTC)) if kind == ReminderKind.COMMITMENT_FOLLOW_UP]
    assert len(due) == 2
    # The two left are the latest; every earlier one was reminded for its own date.
    latest = list(past.order_by("-follow_up_on", "-pk").values_list("pk", flat=True)[:2])
    assert sorted(due) == sorted(latest)
    assert all(a.reminded_for == a.follow_up_on for a in past.exclude(pk__in=latest))
