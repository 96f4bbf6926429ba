"""Changing and deleting programmes, indicators and activities, on the pages and in the services.

Planners (Carla, Alicia) change everything of Lima's; Dora changes and deletes only the
activities she recorded; Ana and Lucía change nothing; Bruno (Arequipa) finds none of it.
Every deletion asks for the password again; every change is audited; indicators follow.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from amparo.audit.models import AuditEvent
from amparo.lib.errors import Conflict
from amparo.programmes import selectors, services
from amparo.programmes.models import Activity, Indicator, Programme
from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _indicator(personas, programme, **fields):
    defaults = {"name": "Pruebas de VIH", "measure": "tests_done", "target": 100}
    defaults.update(fields)
    return services.indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                     programme=programme, **defaults)


def _sudo(client):
    response = client.post("/cuenta/confirmar/", {"password": PASSWORD})
    assert response.status_code == 302
    return client


# ---- services: the arithmetic follows the edits ----------------------------------------------------


def test_indicators_follow_an_activitys_changes_and_its_deletion(personas):
    programme = make_programme(personas)
    azul, verde = make_venue(personas, "Sauna Azul"), make_venue(personas, "Hotel Verde", kind="hotel")
    everywhere = _indicator(personas, programme)
    at_azul = _indicator(personas, programme, venue=azul)
    police = _indicator(personas, programme, measure="police_trained", activity_kind="police_training")
    activity = make_activity(personas, programme=programme, venue=azul, tests_done=40)
    other = make_activity(personas, programme=programme, venue=verde, tests_done=10)
    carla = personas.membership(personas.carla)
    assert (selectors.indicator_value(everywhere), selectors.indicator_value(at_azul)) == (50, 40)

    services.activity_update(activity=activity, membership=carla, acting_user=personas.carla, tests_done=25)
    assert (selectors.indicator_value(everywhere), selectors.indicator_value(at_azul)) == (35, 25)
    services.activity_update(activity=activity, membership=carla, acting_user=personas.carla, venue=verde)
    assert (selectors.indicator_value(everywhere), selectors.indicator_value(at_azul)) == (35, 0)
    services.activity_update(activity=activity, membership=carla, acting_user=personas.carla, held_on=date(2025, 12, 1))
    assert selectors.indicator_value(everywhere) == 10  # moved out of the programme's period
    services.activity_update(activity=other, membership=carla, acting_user=personas.carla, kind="police_training",
                             participants_police=12)
    assert selectors.indicator_value(police) == 12
    services.activity_delete(activity=other, membership=carla, acting_user=personas.carla)
    assert selectors.indicator_value(police) == 0 and selectors.indicator_value(everywhere) == 0
    actions = list(AuditEvent.objects.filter(action__startswith="activity.").values_list("action", flat=True))
    assert actions.count("activity.updated") == 4 and actions.count("activity.deleted") == 1


def test_an_indicators_new_definition_counts_again(personas):
    programme = make_programme(personas)
    azul = make_venue(personas)
    indicator = _indicator(personas, programme)
    make_activity(personas, programme=programme, venue=azul, tests_done=40, participants_trans_women=9)
    make_activity(personas, programme=programme, tests_done=5)
    carla = personas.membership(personas.carla)
    services.indicator_update(indicator=indicator, membership=carla, acting_user=personas.carla, venue=azul)
    assert selectors.indicator_value(indicator) == 40
    services.indicator_update(indicator=indicator, membership=carla, acting_user=personas.carla, measure="community_reached")
    assert selectors.indicator_value(indicator) == 9
    assert AuditEvent.objects.filter(action="indicator.updated").count() == 2


def test_an_edit_that_breaks_the_counts_is_refused_whole(personas):
    activity = make_activity(personas, tests_done=10, tests_reactive=3, tests_confirmed=2)
    with pytest.raises(ValidationError) as refusal:
        services.activity_update(activity=activity, membership=personas.membership(personas.carla), acting_user=personas.carla,
                                 tests_done=2, condoms=100)
    assert "tests_reactive" in refusal.value.message_dict
    activity.refresh_from_db()
    assert (activity.tests_done, activity.condoms) == (10, 0)
    with pytest.raises(ValidationError):
        services.activity_update(activity=activity, membership=personas.membership(personas.carla), acting_user=personas.carla,
                                 follow_up_on=date(2026, 1, 1))


def test_documenters_change_only_what_they_recorded_and_others_nothing(personas):
    doras = make_activity(personas, personas.dora, tests_done=3)
    carlas = make_activity(personas, facilitators=[personas.membership(personas.dora)], tests_done=4)
    dora = personas.membership(personas.dora)
    services.activity_update(activity=doras, membership=dora, acting_user=personas.dora, tests_done=6)
    for call in (lambda: services.activity_update(activity=carlas, membership=dora, acting_user=personas.dora, tests_done=1),
                 lambda: services.activity_delete(activity=carlas, membership=dora, acting_user=personas.dora),
                 lambda: services.activity_update(activity=doras, membership=personas.membership(personas.ana), acting_user=personas.ana, tests_done=1),
                 lambda: services.activity_delete(activity=doras, membership=personas.membership(personas.lucia), acting_user=personas.lucia),
                 lambda: services.activity_delete(activity=doras, membership=personas.membership(personas.bruno, personas.other_org),
                                                  acting_user=personas.bruno)):
        with pytest.raises(PermissionDenied):
            call()
    assert sorted(Activity.objects.values_list("tests_done", flat=True)) == [4, 6]


def test_a_programme_with_activities_is_kept_and_one_without_goes_with_its_indicators(personas):
    carla = personas.membership(personas.carla)
    busy = make_programme(personas)
    make_activity(personas, programme=busy)
    with pytest.raises(Conflict):
        services.programme_delete(programme=busy, membership=carla, acting_user=personas.carla)
    empty = make_programme(personas, name="Vacío")
    _indicator(personas, empty)
    empty_pk = empty.pk
    services.programme_delete(programme=empty, membership=carla, acting_user=personas.carla)
    assert list(Programme.objects.values_list("pk", flat=True)) == [busy.pk]
    assert not Indicator.objects.filter(programme_id=empty_pk).exists()
    assert AuditEvent.objects.filter(action="programme.deleted", target_id=str(empty_pk)).exists()


# ---- pages ---------------------------------------------------------------------------------------


def test_a_planner_edits_an_activity_and_the_programme_page_moves(personas, login_as):
    programme = make_programme(personas)
    venue = make_venue(personas)
    indicator = _indicator(personas, programme)
    activity = make_activity(personas, personas.dora, programme=programme, venue=venue, tests_done=10)
    client = login_as(personas.carla)
    page = client.get(f"/programas/actividades/{activity.pk}/editar/")
    assert page.status_code == 200 and 'value="10"' in page.content.decode()
    response = client.post(f"/programas/actividades/{activity.pk}/editar/", {
        "kind": "testing_day", "programme": programme.pk, "held_on": "2026-03-10", "venue": venue.pk, "tests_done": "30",
    })
    assert response.status_code == 303 and response["Location"] == f"/programas/{programme.pk}/"
    assert selectors.indicator_value(indicator) == 30
    detail = client.get(f"/programas/{programme.pk}/").content.decode()
    assert f"/programas/actividades/{activity.pk}/editar/" in detail and f"/programas/indicadores/{indicator.pk}/editar/" in detail


def test_bad_input_on_an_edit_form_is_a_translated_400_and_nothing_is_saved(personas, login_as):
    activity = make_activity(personas, personas.dora, tests_done=10, tests_reactive=1)
    client = login_as(personas.dora)
    response = client.post(f"/programas/actividades/{activity.pk}/editar/", {
        "kind": "testing_day", "held_on": "2026-03-10", "district": activity.district_id, "tests_done": "0", "tests_reactive": "1",
    }, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "No puede haber más resultados reactivos que pruebas realizadas." in response.content.decode()
    programme = make_programme(personas)
    carla = login_as(personas.carla)
    response = carla.post(f"/programas/{programme.pk}/editar/", {"kind": "grant", "name": "X", "starts_on": "2026-05-01", "ends_on": "2026-01-01"})
    assert response.status_code == 400
    indicator = _indicator(personas, programme)
    response = carla.post(f"/programas/indicadores/{indicator.pk}/editar/", {"name": "Y", "measure": "tests_done", "target": "0"})
    assert response.status_code == 400
    assert Activity.objects.get().tests_done == 10
    assert Programme.objects.get().name == "Campaña de pruebas 2026" and Indicator.objects.get().target == 100


def test_a_programme_and_an_indicator_change_through_their_forms(personas, login_as):
    programme = make_programme(personas)
    indicator = _indicator(personas, programme)
    client = login_as(personas.carla)
    response = client.post(f"/programas/{programme.pk}/editar/", {"kind": "grant", "name": "Fondo 2026", "funder": "Fondo",
                                                                   "starts_on": "2026-01-01", "ends_on": "2026-06-30"})
    assert response.status_code == 303
    response = client.post(f"/programmes/indicadores/{indicator.pk}/editar/".replace("programmes", "programas"),
                           {"name": "Pruebas", "measure": "tests_done", "target": "250"})
    assert response.status_code == 303
    programme.refresh_from_db()
    indicator.refresh_from_db()
    assert (programme.name, programme.ends_on, indicator.target) == ("Fondo 2026", date(2026, 6, 30), 250)
    assert indicator.ends_on == date(2026, 6, 30)  # a blank date on the form means the programme's
    assert AuditEvent.objects.filter(action__in=["programme.updated", "indicator.updated"]).count() == 2


@pytest.mark.parametrize("kind", ["activity", "indicator", "programme"])
def test_deleting_asks_for_the_password_first(personas, login_as, kind):
    programme = make_programme(personas)
    target = {"activity": lambda: make_activity(personas), "indicator": lambda: _indicator(personas, programme),
              "programme": lambda: programme}[kind]()
    url = {"activity": f"/programas/actividades/{target.pk}/eliminar/", "indicator": f"/programas/indicadores/{target.pk}/eliminar/",
           "programme": f"/programas/{target.pk}/eliminar/"}[kind]
    pk, model = target.pk, type(target)
    client = login_as(personas.carla)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302 and response["Location"].startswith("/cuenta/confirmar/")
    assert model.objects.filter(pk=pk).exists()
    _sudo(client)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 303
    assert not model.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(action=f"{kind}.deleted", target_id=str(pk)).exists()


def test_a_programme_with_activities_is_refused_on_the_page(personas, login_as):
    programme = make_programme(personas)
    make_activity(personas, programme=programme)
    client = _sudo(login_as(personas.carla))
    response = client.post(f"/programas/{programme.pk}/eliminar/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 409 and "no se puede eliminar" in response.content.decode()
    assert Programme.objects.filter(pk=programme.pk).exists()


def test_a_documenter_edits_and_deletes_her_own_activity_only(personas, login_as):
    doras = make_activity(personas, personas.dora, tests_done=3)
    dianas = make_activity(personas, personas.diana, tests_done=4)
    facilitated = make_activity(personas, facilitators=[personas.membership(personas.dora)], tests_done=5)
    client = _sudo(login_as(personas.dora))
    assert client.get(f"/programas/actividades/{dianas.pk}/editar/").status_code == 404
    assert client.post(f"/programas/actividades/{dianas.pk}/eliminar/").status_code == 404
    assert client.get(f"/programas/actividades/{facilitated.pk}/editar/").status_code == 403
    assert client.post(f"/programas/actividades/{facilitated.pk}/eliminar/").status_code == 403
    listing = client.get("/programas/actividades/").content.decode()
    assert f"/programas/actividades/{doras.pk}/editar/" in listing and f"/programas/actividades/{facilitated.pk}/editar/" not in listing
    assert client.post(f"/programas/actividades/{doras.pk}/eliminar/").status_code == 303
    assert sorted(Activity.objects.values_list("tests_done", flat=True)) == [4, 5]


@pytest.mark.parametrize("role", ["ana", "lucia", "dora"])
def test_other_roles_reach_no_programme_or_indicator_edit(personas, login_as, role):
    programme = make_programme(personas)
    indicator = _indicator(personas, programme)
    activity = make_activity(personas)
    client = _sudo(login_as(getattr(personas, role)))
    urls = [f"/programas/{programme.pk}/editar/", f"/programas/{programme.pk}/eliminar/",
            f"/programas/indicadores/{indicator.pk}/editar/", f"/programas/indicadores/{indicator.pk}/eliminar/"]
    if role != "dora":
        urls += [f"/programas/actividades/{activity.pk}/editar/", f"/programas/actividades/{activity.pk}/eliminar/"]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    assert Programme.objects.count() == 1 and Indicator.objects.count() == 1 and Activity.objects.count() == 1


def test_another_organisations_records_are_not_found_on_the_edit_pages(personas, login_as):
    programme = make_programme(personas)
    indicator = _indicator(personas, programme)
    activity = make_activity(personas, programme=programme)
    client = _sudo(login_as(personas.bruno))
    for url in [f"/programas/{programme.pk}/editar/", f"/programas/{programme.pk}/eliminar/",
                f"/programas/indicadores/{indicator.pk}/editar/", f"/programas/indicadores/{indicator.pk}/eliminar/",
                f"/programas/actividades/{activity.pk}/editar/", f"/programas/actividades/{activity.pk}/eliminar/"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert Programme.objects.count() == 1 and Indicator.objects.count() == 1 and Activity.objects.count() == 1
