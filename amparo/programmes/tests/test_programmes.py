"""Programmes, venues, activities and indicators: who sees what, the arithmetic, the seals.

Personas (conftest): Carla coordinates Lima and plans programmes; Alicia (admin) too. Dora and
Diana document: each records activities and sees only the ones she recorded or facilitated.
Ana (analyst) sees programme progress, never an activity or a venue. Lucía (lawyer) sees none
of it. Bruno coordinates Arequipa: every Lima programme, venue and activity is a 404 to him.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from amparo.audit.models import AuditEvent
from amparo.programmes import selectors, services
from amparo.programmes.models import Activity, Programme, Venue
from amparo.programmes.tests.factories import MIRAFLORES, make_activity, make_programme, make_venue
from amparo.vault.tests.test_encryption import raw_dump

pytestmark = pytest.mark.django_db


def _indicator(personas, programme, **fields):
    defaults = {"name": "Pruebas de VIH", "measure": "tests_done", "target": 100}
    defaults.update(fields)
    return services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                     programme=programme, **defaults)


# ---- indicator arithmetic ------------------------------------------------------------------------


def test_an_indicator_counts_only_its_programmes_activities_of_its_kind_period_and_site(personas):
    programme = make_programme(personas)
    other_programme = make_programme(personas, name="Otro")
    azul, verde = make_venue(personas, "Sauna Azul"), make_venue(personas, "Hotel Verde", kind="hotel")
    everywhere = _indicator(personas, programme)
    at_azul = _indicator(personas, programme, venue=azul)
    spring = _indicator(personas, programme, starts_on=date(2026, 3, 1), ends_on=date(2026, 5, 31))
    police = _indicator(personas, programme, measure="police_trained", activity_kind="police_training", target=100)
    reached = _indicator(personas, programme, measure="community_reached", target=50)
    sex_workers = _indicator(personas, programme, measure="sex_workers_reached", target=50)
    trans_women = _indicator(personas, programme, measure="trans_women_reached", target=50)
    sessions = _indicator(personas, programme, measure="activities", activity_kind="testing_day", target=10)

    make_activity(personas, programme=programme, venue=azul, held_on=date(2026, 3, 10), tests_done=40, tests_reactive=3,
                  participants_sex_workers=30, participants_trans_women=10)
    make_activity(personas, programme=programme, venue=verde, held_on=date(2026, 6, 2), tests_done=25)
    make_activity(personas, programme=programme, held_on=date(2026, 4, 1), tests_done=7)  # in the street
    make_activity(personas, programme=other_programme, venue=azul, tests_done=1000)  # another programme
    make_activity(personas, programme=programme, held_on=date(2025, 12, 31), tests_done=500)  # before the period
    make_activity(personas, programme=programme, kind="police_training", institution_kind="pnp_comisaria",
                  institution="Comisaría de Miraflores", participants_police=23, participants_other=2)

    assert selectors.indicator_value(everywhere) == 40 + 25 + 7
    assert selectors.indicator_value(at_azul) == 40
    assert selectors.indicator_value(spring) == 40 + 7
    assert selectors.indicator_value(police) == 23
    assert selectors.indicator_value(reached) == 40
    assert (selectors.indicator_value(sex_workers), selectors.indicator_value(trans_women)) == (30, 10)
    assert sex_workers.standard == "Global Fund KP-1c (numerador: trabajadoras sexuales alcanzadas)"
    assert trans_women.standard == "Global Fund KP-1b (numerador: personas trans alcanzadas)"
    assert selectors.indicator_value(sessions) == 3  # testing days in the period (one was in 2025, one of another programme)


def test_the_programme_page_shows_progress_per_site_and_the_projection(personas):
    programme = make_programme(personas)
    azul = make_venue(personas, "Sauna Azul")
    _indicator(personas, programme, target=1000)
    make_activity(personas, programme=programme, venue=azul, held_on=date(2026, 1, 10), tests_done=60)
    make_activity(personas, programme=programme, held_on=date(2026, 2, 10), tests_done=40)
    [progress] = selectors.programme_progress(membership=personas.membership(personas.ana), programme=programme,
                                              today=date(2026, 3, 31))  # 90 of 365 days gone
    assert progress.value == 100 and progress.percent == 10
    assert progress.projected == round(100 * 365 / 90) == 406
    assert not progress.on_track
    assert [(s.label, s.value) for s in progress.sites] == [("Sauna Azul", 60), ("street", 40)]
    assert progress.indicator.standard == "PEPFAR MER HTS_TST"


def test_the_projection_holds_still_before_and_after_the_period():
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert selectors.projection(value=0, starts_on=start, ends_on=end, today=date(2025, 6, 1)) == 0
    assert selectors.projection(value=70, starts_on=start, ends_on=end, today=date(2027, 1, 5)) == 70
    assert selectors.projection(value=10, starts_on=start, ends_on=end, today=start) == 3650


def test_small_health_results_are_suppressed_on_the_programme_page(personas):
    programme = make_programme(personas)
    azul = make_venue(personas, "Sauna Azul")
    _indicator(personas, programme, name="Reactivos", measure="tests_reactive", target=20)
    make_activity(personas, programme=programme, venue=azul, tests_done=30, tests_reactive=2)
    [progress] = selectors.programme_progress(membership=personas.membership(personas.carla), programme=programme)
    assert progress.value == 2 and progress.display == "<5" and progress.percent is None
    assert all(site.display in {"<5", "*"} for site in progress.sites)


def test_hiv_results_must_add_up_and_nothing_is_saved_otherwise(personas):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        make_activity(personas, tests_done=5, tests_reactive=6)
    assert "tests_reactive" in caught.value.message_dict
    with pytest.raises(ValidationError):
        make_activity(personas, tests_done=5, tests_reactive=2, tests_confirmed=1, linked_to_care=2)
    assert Activity.objects.count() == 0 and AuditEvent.objects.count() == before


def test_recording_an_activity_is_audited(personas):
    activity = make_activity(personas, tests_done=3)
    event = AuditEvent.objects.filter(action="activity.recorded").get()
    assert event.target_id == str(activity.pk) and event.actor_id == personas.carla.pk


# ---- who sees what -------------------------------------------------------------------------------


def test_documenters_see_only_the_activities_they_recorded_or_facilitated(personas):
    mine = make_activity(personas, user=personas.dora)
    facilitated = make_activity(personas, facilitators=[personas.membership(personas.dora)])
    make_activity(personas, user=personas.diana)
    seen = set(selectors.activity_list_for(membership=personas.membership(personas.dora)).values_list("pk", flat=True))
    assert seen == {mine.pk, facilitated.pk}
    assert selectors.activity_list_for(membership=personas.membership(personas.carla)).count() == 3


def test_analysts_see_progress_but_no_activity_nor_venue(personas):
    programme = make_programme(personas)
    ana = personas.membership(personas.ana)
    assert selectors.programme_get_for(membership=ana, programme_id=programme.pk) == programme
    with pytest.raises(PermissionDenied):
        selectors.activity_list_for(membership=ana)
    with pytest.raises(PermissionDenied):
        selectors.venue_list_for(membership=ana)


def test_lawyers_see_nothing_of_programmes(personas):
    programme = make_programme(personas)
    lucia = personas.membership(personas.lucia)
    for call in (lambda: selectors.programme_get_for(membership=lucia, programme_id=programme.pk),
                 lambda: selectors.activity_list_for(membership=lucia), lambda: selectors.venue_list_for(membership=lucia),
                 lambda: make_activity(personas, user=personas.lucia)):
        with pytest.raises(PermissionDenied):
            call()


PAGES = ["/programas/", "/programas/nuevo/", "/programas/{programme}/", "/programas/actividades/", "/programas/actividades/nueva/",
         "/programas/lugares/", "/programas/lugares/nuevo/", "/programas/lugares/{venue}/"]
ALLOWED = {
    "alicia": set(PAGES), "carla": set(PAGES),
    "dora": {"/programas/actividades/", "/programas/actividades/nueva/", "/programas/lugares/"},
    "ana": {"/programas/", "/programas/{programme}/"},
    "lucia": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_every_role_reaches_exactly_its_pages(personas, login_as, role):
    programme, venue = make_programme(personas), make_venue(personas)
    client = login_as(getattr(personas, role))
    for page in PAGES:
        response = client.get(page.format(programme=programme.pk, venue=venue.pk))
        assert response.status_code == (200 if page in ALLOWED[role] else 403), (role, page)


def test_another_organisations_programme_and_venue_are_not_found(personas, login_as):
    programme, venue = make_programme(personas), make_venue(personas)
    client = login_as(personas.bruno)
    assert client.get(f"/programas/{programme.pk}/").status_code == 404
    assert client.get(f"/programas/lugares/{venue.pk}/").status_code == 404
    assert client.post(f"/programas/{programme.pk}/indicadores/", {"name": "x", "measure": "tests_done", "target": 5}).status_code == 404
    bruno = personas.membership(personas.bruno, personas.other_org)
    assert not selectors.activity_list_for(membership=bruno).exists()
    with pytest.raises(PermissionDenied):
        services.activity_record(membership=bruno, acting_user=personas.bruno, kind="testing_day", held_on=date(2026, 1, 5),
                                 district=venue.district, venue=venue)


def test_the_menu_links_to_programmes_for_those_who_may_see_them(personas, login_as):
    assert 'href="/programas/"' in login_as(personas.ana).get("/programas/").content.decode()
    home = login_as(personas.lucia).get("/").content.decode()
    assert "/programas/" not in home


# ---- pages ---------------------------------------------------------------------------------------


def test_a_testing_day_recorded_through_the_form_moves_the_campaign(personas, login_as):
    programme = make_programme(personas)
    venue = make_venue(personas)
    indicator = _indicator(personas, programme)
    client = login_as(personas.dora)
    response = client.post("/programas/actividades/nueva/", {
        "kind": "testing_day", "programme": programme.pk, "held_on": "2026-03-10", "venue": venue.pk,
        "tests_done": "12", "tests_reactive": "1", "condoms": "200", "facilitators": [personas.membership(personas.dora).pk],
    })
    assert response.status_code == 303, response.content.decode()[:2000]
    activity = Activity.objects.get()
    assert activity.district_id == MIRAFLORES and activity.recorded_by == personas.dora and activity.tests_done == 12
    assert selectors.indicator_value(indicator) == 12


@pytest.mark.parametrize("bad", [
    {"tests_done": "2", "tests_reactive": "3"},
    {"tests_done": "-1"},
    {"tests_done": "99999999999999999999"},
    {"held_on": "9999-12-31"},
    {"held_on": "ayer"},
    {"kind": "raid"},
    {"notes": "hola\x00"},
    {"district": "999999", "venue": ""},
    {"pre_score_average": "140", "scored_participants": "5"},
    {"pre_score_average": "60"},
])
def test_bad_input_gets_a_translated_400_and_nothing_is_saved(personas, login_as, bad):
    venue = make_venue(personas)
    client = login_as(personas.dora)
    data = {"kind": "testing_day", "held_on": "2026-03-10", "venue": venue.pk, "tests_done": "5"}
    data.update(bad)
    response = client.post("/programmes/actividades/nueva/".replace("programmes", "programas"), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "Corrija" in response.content.decode() or "errorlist" in response.content.decode()
    assert Activity.objects.count() == 0


def test_a_venue_form_error_is_in_spanish(personas, login_as):
    make_venue(personas, "Sauna Azul")
    client = login_as(personas.carla)
    response = client.post("/programas/lugares/nuevo/", {"code_name": "sauna azul", "kind": "sauna", "district": MIRAFLORES},
                           HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "Otro lugar ya tiene este nombre clave." in response.content.decode()
    assert Venue.objects.count() == 1


def test_a_programme_with_its_end_before_its_start_is_refused(personas, login_as):
    client = login_as(personas.carla)
    response = client.post("/programas/nuevo/", {"kind": "grant", "name": "Fondo", "starts_on": "2026-05-01", "ends_on": "2026-01-01"})
    assert response.status_code == 400 and Programme.objects.count() == 0


def test_the_programme_page_reads_in_spanish(personas, login_as):
    programme = make_programme(personas)
    _indicator(personas, programme, target=10)
    make_activity(personas, programme=programme, tests_done=5)
    page = login_as(personas.ana).get(f"/programas/{programme.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Al ritmo actual" in page and "PEPFAR MER HTS_TST" in page
    assert "Registrar una actividad" not in page  # analysts record nothing


# ---- seals ---------------------------------------------------------------------------------------


def test_a_raw_dump_shows_no_address_contact_institution_or_commitment(personas):
    secrets = ["Calle Las Orquídeas 456", "Sra. Benavides 999888777", "Comisaría de Miraflores",
               "Capacitar a toda la sección de patrullaje", "Fondo Mujeres del Sur"]
    make_venue(personas, address=secrets[0], contact=secrets[1])
    programme = make_programme(personas, funder=secrets[4])
    make_activity(personas, programme=programme, kind="police_training", institution=secrets[2], commitments=secrets[3],
                  follow_up_on=date(2026, 6, 1))
    dump = raw_dump()
    assert "Sauna Azul" in dump  # the dump is real: code names stay in the clear
    for secret in secrets:
        assert secret not in dump and json.dumps(secret)[1:-1] not in dump, secret
    assert connection.vendor in {"sqlite", "postgresql"}


def test_the_activity_list_pages_and_filters_every_activity(personas, login_as):
    from amparo.programmes.views import PAGE_SIZE

    campaign, other = make_programme(personas), make_programme(personas, name="Otro")
    azul = make_venue(personas)
    for i in range(PAGE_SIZE + 5):
        make_activity(personas, programme=campaign, held_on=date(2026, 1, 1) + timedelta(days=i), tests_done=i)
    make_activity(personas, programme=other, kind="peer_outreach", venue=azul, participants_sex_workers=4)
    client = login_as(personas.carla)

    def shown(response):  # type: ignore[no-untyped-def]
        return list(response.context["page"].object_list)

    first = client.get("/programas/actividades/")
    assert first.status_code == 200 and len(shown(first)) == PAGE_SIZE and first.context["page"].paginator.count == PAGE_SIZE + 6
    assert len(shown(client.get("/programas/actividades/?page=2"))) == 6  # none cut off at the end
    assert {a.programme_id for a in shown(client.get(f"/programas/actividades/?programme={other.pk}"))} == {other.pk}
    assert [a.kind for a in shown(client.get("/programas/actividades/?kind=peer_outreach"))] == ["peer_outreach"]
    by_venue = client.get(f"/programas/actividades/?venue={azul.pk}&page=1")
    assert [a.venue_id for a in shown(by_venue)] == [azul.pk]
    assert f"?programme={campaign.pk}" in client.get(f"/programas/{campaign.pk}/").content.decode()


@pytest.mark.parametrize("query", ["kind=raid", "programme=abc", "venue=999999", "programme=OTHER_ORG"])
def test_a_bad_activity_filter_is_a_translated_400(personas, login_as, query):
    from amparo.programmes.services import programme_create

    foreign = programme_create(membership=personas.membership(personas.bruno, personas.other_org), acting_user=personas.bruno, kind="campaign",
                               name="Arequipa", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    response = login_as(personas.carla).get("/programas/actividades/?" + query.replace("OTHER_ORG", str(foreign.pk)),
                                            HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "Escoja una opción válida" in response.content.decode()
