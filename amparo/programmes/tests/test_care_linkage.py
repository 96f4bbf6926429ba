"""Linkage to care: following one person from a reactive result at a testing day to treatment.

Personas (conftest): Carla coordinates Lima and may accompany anyone she may see; Dora documents
and recorded the testing day, so she may accompany its people; Diana documents too but did not
record it: 404. Ana (analyst) sees only the protected aggregates; Lucía (lawyer) nothing (403).
Bruno coordinates Arequipa: every Lima activity and linkage is a 404 to him.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from amparo.audit.models import AuditEvent
from amparo.programmes import selectors, services
from amparo.programmes.models import Activity, CareLinkage, Measure, Venue, days_to_treatment
from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
from amparo.records.models import Person
from amparo.vault import crypto
from conftest import make_person

pytestmark = pytest.mark.django_db

REACTIVE, CONFIRMED, STARTED = date(2026, 3, 17), date(2026, 3, 24), date(2026, 4, 2)
SERVICE = "Hospital Dos de Mayo, consultorio TARGA"


def a_testing_day(personas, user=None, **fields):
    fields.setdefault("tests_done", 40)
    fields.setdefault("tests_reactive", 2)
    venue = Venue.objects.filter(code_name="Sauna Azul").first() or make_venue(personas)
    return make_activity(personas, user or personas.dora, venue=venue, **fields)


def link(personas, activity, user=None, **fields):
    user = user or personas.dora
    fields.setdefault("new_code_name", "Colibrí")
    fields.setdefault("consent_given", True)
    fields.setdefault("consent_method", "verbal")
    fields.setdefault("reactive_on", REACTIVE)
    return services.care_linkage_record(membership=personas.membership(user), acting_user=user, activity=activity, **fields)


def post_form(**overrides):
    data = {"consent_given": "on", "consent_method": "verbal", "new_code_name": "Colibrí", "reactive_on": REACTIVE.isoformat(),
            "confirmed_on": CONFIRMED.isoformat(), "treatment_started_on": "", "health_service": SERVICE}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---- consent gates --------------------------------------------------------------------------------


def test_without_consent_the_service_refuses_and_saves_nothing(personas):
    activity = a_testing_day(personas)
    people = Person.objects.count()
    with pytest.raises(ValidationError) as refused:
        link(personas, activity, consent_given=False)
    assert "consent_given" in refused.value.message_dict
    with pytest.raises(ValidationError):
        link(personas, activity, consent_method="")
    assert not CareLinkage.objects.exists() and Person.objects.count() == people


def test_the_database_itself_refuses_a_linkage_without_consent(personas):
    activity = a_testing_day(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareLinkage.objects.create(organisation=personas.org, activity=activity, person_ref="1", recorded_by=personas.dora,
                                   consent_given=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareLinkage.objects.create(organisation=personas.org, activity=activity, person_ref="1", recorded_by=personas.dora,
                                   consent_given=True, consent_method="", consent_recorded_by=personas.dora)
    assert not CareLinkage.objects.exists()


def test_the_form_without_consent_answers_400_and_saves_nothing(personas, login_as):
    activity = a_testing_day(personas)
    client = login_as(personas.dora)
    url = f"/programas/actividades/{activity.pk}/tratamiento/"
    assert client.get(url).status_code == 200
    response = client.post(url, post_form(consent_given=None))
    assert response.status_code == 400
    assert "Sin su consentimiento no se le hace seguimiento individual" in response.content.decode()
    response = client.post(url, post_form(consent_method=""))
    assert response.status_code == 400
    assert not CareLinkage.objects.exists() and not Person.objects.filter(code_name="Colibrí").exists()


@pytest.mark.parametrize("bad", [
    {"reactive_on": "no es fecha"},
    {"reactive_on": "2026-03-01"},  # before the testing day
    {"confirmed_on": "2026-03-12"},  # before the reactive result
    {"treatment_started_on": "2026-04-02", "confirmed_on": ""},  # treatment without confirmation
    {"reactive_on": "2099-01-01"},
    {"new_code_name": "", "person": ""},
    {"person": "999999", "new_code_name": ""},
])
def test_bad_input_answers_400_and_saves_nothing(personas, login_as, bad):
    activity = a_testing_day(personas)
    response = login_as(personas.dora).post(f"/programas/actividades/{activity.pk}/tratamiento/", post_form(**bad))
    assert response.status_code == 400
    assert not CareLinkage.objects.exists() and not Person.objects.filter(code_name="Colibrí").exists()


# ---- seals ----------------------------------------------------------------------------------------


def _rows_by_table() -> dict[str, list[str]]:
    """Every row of every table, read with raw SQL as a thief with the database file would."""
    rows: dict[str, list[str]] = {}
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f'SELECT * FROM "{table}"')
            rows[table] = [repr(row) for row in cur.fetchall()]
    return rows


def test_a_raw_dump_shows_neither_who_is_linked_nor_her_dates(personas):
    activity = a_testing_day(personas, tests_reactive=1)
    linkage = link(personas, activity, confirmed_on=CONFIRMED, treatment_started_on=STARTED, health_service=SERVICE)
    person = Person.objects.get(code_name="Colibrí")
    rows = _rows_by_table()
    table = CareLinkage._meta.db_table
    assert len(rows[table]) == 1 and "Colibrí" in "".join(rows["records_person"])  # the dump is real
    dump = "\n".join(line for lines in rows.values() for line in lines)
    for day in (REACTIVE, CONFIRMED, STARTED):
        for shown in (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%Y%m%d")):
            assert shown not in dump, shown
    assert SERVICE not in dump
    # The code name is only in the people table (in the clear by design), nowhere near a linkage.
    assert [t for t, lines in rows.items() if any("Colibrí" in line for line in lines)] == ["records_person"]
    # No foreign key, no plain column leads from the linkage to the person.
    with connection.cursor() as cur:
        relations = connection.introspection.get_relations(cur, table)
        columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
    assert all(target_table != Person._meta.db_table for _col, target_table in relations.values())
    with connection.cursor() as cur:
        cur.execute(f'SELECT person_ref, dates, health_service FROM "{table}"')
        sealed = cur.fetchone()
    assert all(value.startswith(crypto.PREFIX) for value in sealed)
    assert str(person.pk) not in [str(v) for v in sealed]
    assert "person_id" not in columns
    # The audit trail names the linkage, never whose it is or what it says.
    for event in AuditEvent.objects.filter(action__startswith="care_linkage"):
        assert event.target_id == str(linkage.pk)
        assert str(person.pk) not in str(event.detail) and "2026-" not in str(event.detail)
    # Read back through the model, everything is there.
    again = CareLinkage.objects.get()
    assert (again.person_pk, again.reactive_on, again.confirmed_on, again.treatment_started_on, again.health_service) == (
        person.pk, REACTIVE, CONFIRMED, STARTED, SERVICE)


# ---- arithmetic and one source of truth -----------------------------------------------------------


def test_days_from_the_reactive_result_to_treatment(personas):
    assert days_to_treatment(REACTIVE, STARTED) == 16
    assert days_to_treatment(REACTIVE, REACTIVE) == 0
    assert days_to_treatment(REACTIVE, None) is None
    linkage = link(personas, a_testing_day(personas), confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    assert linkage.days_to_treatment == 16


def test_a_linkage_keeps_the_activity_tallies_the_one_number_indicators_read(personas):
    programme = make_programme(personas)
    indicator = services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                          programme=programme, name="TX_NEW", measure=Measure.LINKED_TO_CARE, target=10)
    activity = a_testing_day(personas, programme=programme, tests_done=0, tests_reactive=0)
    linkage = link(personas, activity)
    activity.refresh_from_db()
    assert (activity.tests_done, activity.tests_reactive, activity.tests_confirmed, activity.linked_to_care) == (1, 1, 0, 0)
    services.care_linkage_update(membership=personas.membership(personas.dora), acting_user=personas.dora, linkage=linkage,
                                 confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    activity.refresh_from_db()
    assert (activity.tests_done, activity.tests_reactive, activity.tests_confirmed, activity.linked_to_care) == (1, 1, 1, 1)
    assert selectors.indicator_value(indicator) == 1
    # A tally that already counts more is never lowered, nor counted twice.
    bigger = a_testing_day(personas, programme=programme, tests_done=30, tests_reactive=4, tests_confirmed=3, linked_to_care=3)
    link(personas, bigger, confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    bigger.refresh_from_db()
    assert (bigger.tests_reactive, bigger.tests_confirmed, bigger.linked_to_care) == (4, 3, 3)
    assert selectors.indicator_value(indicator) == 4


def test_the_same_person_is_not_followed_twice_from_one_a_testing_day(personas):
    activity = a_testing_day(personas)
    link(personas, activity)
    person = Person.objects.get(code_name="Colibrí")
    with pytest.raises(ValidationError):
        link(personas, activity, new_code_name="", person=person)
    assert CareLinkage.objects.count() == 1


def _linked(personas, n, *, started):
    activity = a_testing_day(personas, tests_done=50, tests_reactive=10)
    for i in range(n):
        extra = {"confirmed_on": CONFIRMED, "treatment_started_on": date(2026, 3, 17 + 2 * i)} if i < started else {}
        link(personas, activity, new_code_name=f"Persona {i}", **extra)
    return activity


@override_settings(SUPPRESSION_THRESHOLD=5)
def test_small_counts_of_linkage_are_shown_as_less_than_the_threshold(personas):
    _linked(personas, 2, started=0)
    summary = selectors.care_summary(membership=personas.membership(personas.ana))
    assert (summary.followed, summary.started, summary.median_days) == ("<5", "0", "")
    # Three followed, two of them on treatment: every number of the table is small, none is shown.
    CareLinkage.objects.all().delete()
    _linked(personas, 3, started=2)
    summary = selectors.care_summary(membership=personas.membership(personas.ana))
    assert summary.followed in ("<5", "*") and summary.started in ("<5", "*") and summary.median_days == ""


@override_settings(SUPPRESSION_THRESHOLD=5)
def test_enough_linkages_show_the_count_and_the_median_days(personas):
    _linked(personas, 10, started=5)
    summary = selectors.care_summary(membership=personas.membership(personas.ana))
    # Days: 0, 2, 4, 6, 8 → median 4; ten followed, five on treatment, five waiting.
    assert (summary.followed, summary.started, summary.median_days) == ("10", "5", "4")
    # One fewer on treatment (four): that small count is suppressed, and the median with it.
    CareLinkage.objects.filter(pk=max(x.pk for x in CareLinkage.objects.all() if x.treatment_started_on)).delete()
    summary = selectors.care_summary(membership=personas.membership(personas.ana))
    assert summary.started in ("<5", "*") and summary.median_days == "" and summary.followed in ("9", "*")


@override_settings(SUPPRESSION_THRESHOLD=5)
def test_the_analyst_sees_only_the_protected_aggregates_on_the_programme_page(personas, login_as):
    programme = make_programme(personas)
    activity = a_testing_day(personas, programme=programme)
    link(personas, activity, confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    client = login_as(personas.ana)
    page = client.get(f"/programas/{programme.pk}/").content.decode()
    assert 'id="programme-people"' in page and "&lt;5" in page and "Colibrí" not in page
    assert client.get("/programas/tratamiento/").status_code == 403
    assert client.get(f"/programas/actividades/{activity.pk}/tratamiento/").status_code == 403


# ---- who may see and record ---------------------------------------------------------------------


def test_the_recorder_and_the_planners_follow_a_testing_days_people(personas, login_as):
    activity = a_testing_day(personas)
    link(personas, activity)
    link(personas, activity, user=personas.carla, new_code_name="Gaviota")
    for user, status in ((personas.dora, 200), (personas.carla, 200), (personas.alicia, 200), (personas.diana, 404),
                         (personas.lucia, 403), (personas.ana, 403), (personas.bruno, 404)):
        assert login_as(user).get(f"/programas/actividades/{activity.pk}/tratamiento/").status_code == status, user
    with pytest.raises(PermissionDenied):
        link(personas, activity, user=personas.diana, new_code_name="Garza")
    assert CareLinkage.objects.count() == 2


def test_the_list_shows_only_people_she_may_see_and_audits_every_read(personas, login_as):
    activity = a_testing_day(personas)
    link(personas, activity)
    # Carla's person on Dora's testing day: Dora does not see Carla's person, so not her linkage either.
    carlas = make_person(personas.org, personas.carla, code_name="Gaviota")
    link(personas, activity, user=personas.carla, new_code_name="", person=carlas)
    before = AuditEvent.objects.filter(action="care_linkage.viewed").count()
    page = login_as(personas.dora).get("/programas/tratamiento/").content.decode()
    assert "Colibrí" in page and "Gaviota" not in page
    assert AuditEvent.objects.filter(action="care_linkage.viewed", actor_id=personas.dora.pk).count() == before + 1
    page = login_as(personas.carla).get("/programas/tratamiento/").content.decode()
    assert "Colibrí" in page and "Gaviota" in page
    assert AuditEvent.objects.filter(action="care_linkage.viewed", actor_id=personas.carla.pk).count() == 2


def test_another_organisation_gets_404_for_every_linkage_route(personas, login_as):
    activity = a_testing_day(personas)
    linkage = link(personas, activity)
    client = login_as(personas.bruno)
    assert client.get(f"/programas/actividades/{activity.pk}/tratamiento/").status_code == 404
    assert client.post(f"/programas/actividades/{activity.pk}/tratamiento/", post_form()).status_code == 404
    assert client.post(f"/programas/tratamiento/{linkage.pk}/", {f"l{linkage.pk}-confirmed_on": "2026-03-20"}).status_code == 404
    assert "Colibrí" not in client.get("/programas/tratamiento/").content.decode()
    assert CareLinkage.objects.get().confirmed_on is None


def test_only_a_testing_day_has_people_to_accompany(personas, login_as):
    training = make_activity(personas, personas.dora, kind="police_training")
    assert login_as(personas.dora).get(f"/programas/actividades/{training.pk}/tratamiento/").status_code == 404


def test_recording_from_the_form_then_the_start_of_treatment(personas, login_as):
    activity = a_testing_day(personas)
    client = login_as(personas.dora)
    detail = client.get(f"/programas/actividades/{activity.pk}/").content.decode()
    assert f"/programas/actividades/{activity.pk}/tratamiento/" in detail
    response = client.post(f"/programas/actividades/{activity.pk}/tratamiento/", post_form())
    assert response.status_code == 303
    linkage = CareLinkage.objects.get()
    assert (linkage.reactive_on, linkage.confirmed_on, linkage.treatment_started_on, linkage.health_service) == (
        REACTIVE, CONFIRMED, None, SERVICE)
    assert (linkage.consent_method, linkage.consent_recorded_by) == ("verbal", personas.dora)
    assert "Colibrí" in client.get("/programas/tratamiento/").content.decode()
    # Treatment before the reactive result: 400, unchanged.
    url = f"/programas/tratamiento/{linkage.pk}/"
    prefix = f"l{linkage.pk}"
    bad = client.post(url, {f"{prefix}-confirmed_on": CONFIRMED.isoformat(), f"{prefix}-treatment_started_on": "2026-03-01"})
    assert bad.status_code == 400
    assert CareLinkage.objects.get().treatment_started_on is None
    ok = client.post(url, {f"{prefix}-confirmed_on": CONFIRMED.isoformat(), f"{prefix}-treatment_started_on": STARTED.isoformat()})
    assert ok.status_code == 303
    assert CareLinkage.objects.get().treatment_started_on == STARTED
    assert Activity.objects.get(pk=activity.pk).linked_to_care == 1
    # Open list: she is on treatment now; the full list shows the days.
    assert "Colibrí" not in client.get("/programas/tratamiento/").content.decode()
    assert "16" in client.get("/programas/tratamiento/?todas=1").content.decode()
    assert client.get(url).status_code == 405


def test_hiv_information_stays_out_of_lists_and_the_report(personas, login_as, settings):
    programme = make_programme(personas)
    activity = a_testing_day(personas, programme=programme)
    link(personas, activity, confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    client = login_as(personas.carla)
    assert "Colibrí" not in client.get("/programas/actividades/").content.decode()
    from io import BytesIO

    from openpyxl import load_workbook

    from conftest import PASSWORD

    assert client.post("/cuenta/confirmar/", {"password": PASSWORD}).status_code == 302
    today = date.today().isoformat()
    response = client.post("/informes/exportar/", {"programme": programme.pk, "date_from": "2026-01-01", "date_to": today,
                                                   "language": "es", "format": "xlsx"})
    assert response.status_code == 200
    cells = [str(c.value) for ws in load_workbook(BytesIO(response.content)).worksheets for row in ws.iter_rows() for c in row]
    assert "Colibrí" not in " ".join(cells) and "<5" in cells


def test_the_list_says_the_days_to_treatment_in_both_languages(personas, login_as):
    link(personas, a_testing_day(personas), confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    client = login_as(personas.dora)
    english = client.get("/programas/tratamiento/?todas=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "treatment started 16 days after the reactive result" in english
    spanish = client.get("/programas/tratamiento/?todas=1", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "inició tratamiento 16 días después del resultado reactivo" in spanish


# ---- the seam with editing and deleting activities ----------------------------------------------


def test_an_edit_cannot_take_the_tallies_below_the_people_accompanied(personas):
    activity = a_testing_day(personas, tests_reactive=1)
    link(personas, activity, confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    activity.refresh_from_db()
    assert (activity.tests_reactive, activity.tests_confirmed, activity.linked_to_care) == (1, 1, 1)
    with pytest.raises(ValidationError) as refused:
        services.activity_update(activity=activity, membership=personas.membership(personas.dora), acting_user=personas.dora,
                                 tests_reactive=0, tests_confirmed=0, linked_to_care=0)
    assert set(refused.value.message_dict) == {"tests_reactive", "tests_confirmed", "linked_to_care"}
    activity.refresh_from_db()
    assert (activity.tests_reactive, activity.tests_confirmed, activity.linked_to_care) == (1, 1, 1)
    # Raising the tallies is fine.
    services.activity_update(activity=activity, membership=personas.membership(personas.dora), acting_user=personas.dora, tests_reactive=2)
    assert Activity.objects.get(pk=activity.pk).tests_reactive == 2


def test_an_activity_people_are_accompanied_from_is_not_deleted(personas, login_as):
    from conftest import PASSWORD

    activity = a_testing_day(personas)
    link(personas, activity)
    client = login_as(personas.dora)
    assert client.post("/cuenta/confirmar/", {"password": PASSWORD}).status_code == 302
    response = client.post(f"/programas/actividades/{activity.pk}/eliminar/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 409 and "acompañando" in response.content.decode()
    assert Activity.objects.filter(pk=activity.pk).exists() and CareLinkage.objects.filter(activity=activity).exists()


def test_deleting_a_persons_record_deletes_her_linkages_and_keeps_the_tallies(personas):
    from amparo.records import services as records

    activity = a_testing_day(personas, tests_done=40, tests_reactive=3, tests_confirmed=2, linked_to_care=1)
    link(personas, activity, confirmed_on=CONFIRMED, treatment_started_on=STARTED)
    link(personas, activity, new_code_name="Gaviota")
    colibri = Person.objects.get(code_name="Colibrí")
    records.person_delete(person=colibri, acting_user=personas.carla)
    left = list(CareLinkage.objects.all())
    assert [x.person_pk for x in left] == [Person.objects.get(code_name="Gaviota").pk]
    activity.refresh_from_db()
    assert (activity.tests_done, activity.tests_reactive, activity.tests_confirmed, activity.linked_to_care) == (40, 3, 2, 1)
    assert AuditEvent.objects.filter(action="care_linkage.deleted").count() == 1
