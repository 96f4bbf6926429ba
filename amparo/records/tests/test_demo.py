"""`amparo demo` and `amparo democode`: what a newcomer gets from `make run`, and what the demo must never do."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import Membership, Organisation, Role, User
from amparo.audit import services as audit
from amparo.audit.models import AuditEvent
from amparo.programmes.models import CareLinkage
from amparo.records import selectors
from amparo.records.management.commands.demo import (
    DEMO_DEVICE_NAME,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    FICTION_NOTE,
    NETWORK_ADMIN,
    DemoGenerator,
    demo_totp_key_hex,
)
from amparo.records.models import Incident, IncidentPerson, Person, ReferenceCounter
from amparo.response.models import Referral
from conftest import login, make_incident

pytestmark = pytest.mark.django_db

SMALL = {"incidents": 60, "people": 40, "seed": 7}


def run_demo(**options: object) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def test_it_creates_both_organisations_with_an_account_for_every_role():
    output = run_demo()
    lima = Organisation.objects.get(slug="lima")
    arequipa = Organisation.objects.get(slug="arequipa")
    assert (lima.department_code, arequipa.department_code) == ("15", "04")
    for org in (lima, arequipa):
        roles = Counter(Membership.objects.filter(organisation=org).exclude(user__username=NETWORK_ADMIN).values_list("role", flat=True))
        assert roles == {Role.ADMIN: 1, Role.COORDINATOR: 1, Role.DOCUMENTER: 2, Role.LAWYER: 1, Role.ANALYST: 1}
    network_admin = User.objects.get(username=NETWORK_ADMIN)
    assert network_admin.is_network_admin
    assert set(network_admin.memberships.values_list("organisation__slug", "role")) == {("lima", Role.ANALYST), ("arequipa", Role.ANALYST)}
    assert User.objects.get(username="coordinadora.lima").check_password(DEMO_PASSWORD)
    # Everything a newcomer needs is printed.
    for text in ("http://127.0.0.1:8000", "admin.lima", "documentadora2.arequipa", DEMO_PASSWORD, DEMO_TOTP_SECRET, "amparo democode"):
        assert text in output


def test_every_demo_account_has_a_confirmed_device_with_the_printed_secret():
    run_demo()
    devices = TOTPDevice.objects.filter(user__username__in=User.objects.values("username"))
    assert devices.count() == User.objects.count() == 13
    assert set(devices.values_list("name", "key", "confirmed")) == {(DEMO_DEVICE_NAME, demo_totp_key_hex(), True)}


def test_it_loads_the_asked_numbers_of_incidents_and_people():
    run_demo()
    assert Incident.objects.count() == 60
    # The asked people, plus those the programmes demo met at activities (known by a code name only).
    from_activities = CareLinkage.objects.count() + Referral.objects.filter(activity__isnull=False).count()
    assert from_activities > 0
    assert Person.objects.count() == 40 + from_activities
    assert set(Incident.objects.values_list("organisation__slug", flat=True)) <= {"lima", "arequipa"}
    # Raids link several people; links never cross organisations.
    assert IncidentPerson.objects.count() > 0
    assert not IncidentPerson.objects.exclude(person__organisation_id=F("incident__organisation_id")).exists()


def test_sealed_fields_are_encrypted_in_the_database_and_decrypt_on_read():
    run_demo()
    incident = Incident.objects.exclude(narrative="").first()
    assert incident.narrative.endswith(FICTION_NOTE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative FROM records_incident WHERE id = %s", [incident.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("v1.") and "ficticio" not in raw
    person = Person.objects.exclude(chosen_name="").first()
    assert person.chosen_name.startswith("Nombre ficticio")
    with connection.cursor() as cursor:
        cursor.execute("SELECT chosen_name, phone FROM records_person WHERE id = %s", [person.pk])
        raw_name, raw_phone = cursor.fetchone()
    assert raw_name.startswith("v1.") and "ficticio" not in raw_name
    assert raw_phone == "" or raw_phone.startswith("v1.")


def test_blind_indexes_find_demo_people_by_phone_and_id_number():
    run_demo()
    person = Person.objects.exclude(phone="").exclude(id_number="").first()
    membership = Membership.objects.get(user__username="coordinadora." + person.organisation.slug)
    assert list(selectors.person_find_for(membership=membership, phone=person.phone)) == [person]
    assert list(selectors.person_find_for(membership=membership, id_number=person.id_number)) == [person]


def test_references_follow_the_counter_so_new_incidents_get_the_next_number():
    run_demo()
    for counter in ReferenceCounter.objects.select_related("organisation"):
        refs = Incident.objects.filter(organisation=counter.organisation, reference__startswith=f"{counter.organisation.reference_prefix}-{counter.year}-")
        assert refs.count() == counter.last
    lima = Organisation.objects.get(slug="lima")
    coordinator = User.objects.get(username="coordinadora.lima")
    incident = make_incident(lima, coordinator)  # through the real service: no clash with demo references
    year = int(incident.reference.split("-")[1])
    assert ReferenceCounter.objects.get(organisation=lima, year=year).last == int(incident.reference.rsplit("-", 1)[1])


def test_it_writes_one_audit_row_per_organisation_and_the_chain_verifies():
    run_demo()
    loaded = AuditEvent.objects.filter(action="demo.loaded")
    assert sorted(loaded.values_list("organisation__slug", flat=True)) == ["arequipa", "lima"]
    assert sum(e.detail["incidents"] for e in loaded) == 60
    assert not AuditEvent.objects.filter(action="incident.created").exists()
    assert audit.verify() == []


def test_if_empty_does_nothing_when_an_organisation_exists():
    run_demo(if_empty=True)
    counts = (Organisation.objects.count(), Incident.objects.count(), Person.objects.count(), User.objects.count())
    output = run_demo(if_empty=True)
    assert "not loaded" in output
    assert (Organisation.objects.count(), Incident.objects.count(), Person.objects.count(), User.objects.count()) == counts


def test_if_empty_leaves_an_existing_installation_alone(personas):
    run_demo(if_empty=True)
    assert not Organisation.objects.filter(slug="arequipa", name__contains="demo").exists()
    assert not User.objects.filter(username="admin.lima").exists()


def test_a_second_load_without_if_empty_is_refused():
    run_demo()
    with pytest.raises(CommandError, match="already exist"):
        run_demo()
    assert Incident.objects.count() == 60


def test_the_same_seed_gives_the_same_records():
    def draw(seed: int) -> list[tuple]:
        gen = DemoGenerator(seed=seed, today=date(2026, 6, 30))
        return [(s.scenario.code, s.occurred_on, s.department, s.group) for s in gen.incident_specs(200)]

    assert draw(11) == draw(11)
    assert draw(11) != draw(12)
    assert all(date(2021, 6, 30) < row[1] <= date(2026, 6, 30) for row in draw(11))


def test_it_refuses_to_run_in_production_mode(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run_demo()
    assert not Organisation.objects.exists()


def test_a_demo_coordinator_signs_in_and_reads_the_list_and_an_incident(client):
    run_demo()
    coordinator = User.objects.get(username="coordinadora.lima")
    login(client, coordinator)
    response = client.get("/incidentes/")
    assert response.status_code == 200
    incident = Incident.objects.filter(organisation__slug="lima").first()
    assert incident.reference in response.content.decode()
    assert client.get(f"/incidentes/{incident.pk}/?mostrar=1").status_code == 200
    other = Incident.objects.filter(organisation__slug="arequipa").first()
    assert client.get(f"/incidentes/{other.pk}/").status_code == 404


def test_democode_prints_a_code_the_demo_device_accepts():
    run_demo()
    out = io.StringIO()
    call_command("democode", "abogada.arequipa", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    device = TOTPDevice.objects.get(user__username="abogada.arequipa")
    assert device.verify_token(code)


def test_a_demo_account_signs_in_through_the_real_pages_with_the_printed_password_and_democode(client):
    run_demo()
    response = client.post("/cuenta/entrar/", {"username": "documentadora1.lima", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    out = io.StringIO()
    call_command("democode", "documentadora1.lima", stdout=out, stderr=io.StringIO())
    response = client.post("/cuenta/verificar/", {"token": out.getvalue().strip()})
    assert response.status_code == 302
    # A documenter sees what she recorded or was assigned, and nothing else.
    page = client.get("/incidentes/")
    assert page.status_code == 200
    mine = Incident.objects.filter(organisation__slug="lima", created_by__username="documentadora1.lima").first()
    theirs = Incident.objects.filter(organisation__slug="lima", created_by__username="coordinadora.lima", assigned_to__isnull=True).first()
    if mine is not None:
        assert client.get(f"/incidentes/{mine.pk}/").status_code == 200
    if theirs is not None:
        assert client.get(f"/incidentes/{theirs.pk}/").status_code == 404


def test_democode_refuses_accounts_the_demo_did_not_create(personas):
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("democode", "carla", stdout=io.StringIO())


def test_democode_refuses_a_real_device_that_is_merely_named_demo(personas):
    TOTPDevice.objects.filter(user=personas.dora).update(name=DEMO_DEVICE_NAME)
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("democode", "dora", stdout=io.StringIO())


def test_democode_refuses_unknown_users_and_production_mode(settings):
    with pytest.raises(CommandError, match="No user"):
        call_command("democode", "nadie", stdout=io.StringIO())
    run_demo()
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("democode", "admin.lima", stdout=io.StringIO())
