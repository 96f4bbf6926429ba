"""Issue 14, point 5: a police training (or an agreement, an ordinance) becomes a milestone, and
the statistics say what happened after it to the incidents it concerns.

Carla (coordinator, Lima) records a training of the Miraflores police station and marks it; the
before/after then counts only incidents by the police in Miraflores, with the records' consent,
and passes the same protection as every published number. Dora (documenter), Ana (analyst) and
Lucía (lawyer) cannot mark anything; Bruno (Arequipa) cannot see Lima's activities at all.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from amparo.audit.models import AuditEvent
from amparo.insights import selectors as stats
from amparo.insights import services as insights
from amparo.insights.models import Milestone, SharingLevel
from amparo.insights.presentation import milestone_sentence
from amparo.insights.tests.conftest import seed
from amparo.programmes import services
from amparo.programmes.tests.factories import MIRAFLORES, make_activity
from conftest import login

pytestmark = pytest.mark.django_db

LIMA_CERCADO = "150101"  # same province as Miraflores, another district
TRAINED_ON = date(2025, 6, 15)  # 2025-Q2: four whole quarters on each side are in the past
CONCERN = f"|pnp_officer|{MIRAFLORES}"


def _quarters(personas, per_quarter: dict[tuple[int, int], int], **fields) -> int:
    """`n` incidents in each (year, quarter), one every 12 days from its first day."""
    for (year, q), n in per_quarter.items():
        if n:
            seed(personas.org, personas.carla, n, start=date(year, 3 * q - 2, 1), **fields)
    return sum(per_quarter.values())


def _evidence(personas) -> None:
    """Police incidents in Miraflores at 7 a quarter in the year before the training and 5 after,
    two in 2023-Q4 (a small number); around them, incidents the milestone is not about."""
    police_miraflores = {(2023, 3): 6, (2023, 4): 2, (2024, 1): 6, (2024, 2): 7, (2024, 3): 7, (2024, 4): 7, (2025, 1): 7,
                         (2025, 2): 6, (2025, 3): 5, (2025, 4): 5, (2026, 1): 5, (2026, 2): 5, (2026, 3): 5}
    _quarters(personas, police_miraflores, district=MIRAFLORES, perpetrator_codes=["pnp_officer"])
    every_quarter = [(y, q) for y in (2023, 2024, 2025, 2026) for q in (1, 2, 3, 4) if (y, q) <= (2026, 3)]
    # The police elsewhere, and the serenazgo in Miraflores: not this milestone's concern.
    _quarters(personas, dict.fromkeys(every_quarter, 7), district=LIMA_CERCADO, perpetrator_codes=["pnp_officer"])
    _quarters(personas, dict.fromkeys(every_quarter, 6), district=MIRAFLORES, perpetrator_codes=["serenazgo"], violation_codes=["extortion"])
    # Police in Miraflores without consent to statistics: never counted.
    _quarters(personas, dict.fromkeys([(2025, 3), (2025, 4)], 4), district=MIRAFLORES, perpetrator_codes=["pnp_officer"], consent_share_stats=False)


def _training(personas, **fields):
    defaults = {"kind": "police_training", "held_on": TRAINED_ON, "institution_kind": "pnp_comisaria",
                "institution": "Comisaría de Miraflores", "participants_police": 23}
    defaults.update(fields)
    return make_activity(personas, **defaults)


def _mark(personas, activity, user=None, **fields):
    user = user or personas.carla
    membership = personas.membership(user, personas.other_org if user == personas.bruno else None)
    defaults = {"title": "la capacitación a la comisaría de Miraflores", "is_public": True}
    defaults.update(fields)
    return services.activity_mark_milestone(membership=membership, acting_user=user, activity=activity, **defaults)


def test_the_milestone_join_counts_only_the_police_in_the_trained_district(personas, client):
    _evidence(personas)
    training = _training(personas)
    milestone = _mark(personas, training)

    assert (milestone.kind, milestone.violation, milestone.perpetrator, milestone.place, milestone.activity_id) == (
        "training", "", "pnp_officer", MIRAFLORES, training.pk)
    assert milestone.happened_on == TRAINED_ON
    assert AuditEvent.objects.filter(action="activity.marked_milestone", target_id=str(training.pk)).count() == 1
    assert AuditEvent.objects.filter(action="insights.milestone_created", target_id=str(milestone.pk)).count() == 1

    # The coordinator's dashboard (raw numbers): 4 quarters of 7 before, 4 of 5 after.
    dashboard = stats.dashboard_for(membership=personas.membership(personas.carla), filters=stats.StatsFilters())
    (m,) = dashboard["milestones"]
    assert m["concern"] == CONCERN and m["place"] == MIRAFLORES and m["activity"] == training.pk
    assert m["comparison"]["counts"] == [28, 20]
    raw = {q["key"]: q["cell"] for q in dashboard["concerns"][CONCERN]["quarters"]}
    assert raw["2023-Q4"]["value"] == 2

    # What the public page and the funder report say: protected, the small quarter suppressed.
    story = stats.milestone_story(organisation_id=personas.org.pk)
    (m,) = story["milestones"]
    assert m["comparison"]["counts"] == [28, 20] and m["activity"] == training.pk
    protected = {q["key"]: q["cell"] for q in story["concerns"][CONCERN]["quarters"]}
    assert protected["2023-Q4"]["value"] is None and protected["2023-Q4"]["display"] == "<5"
    assert protected["2024-Q2"]["value"] == 7 and protected["2026-Q1"]["value"] == 5

    insights.sharing_update(organisation=personas.org, acting_user=personas.alicia, level=SharingLevel.AGGREGATES, public_page=True)
    insights.aggregates_refresh(organisation_id=personas.org.pk)
    published = stats.published_summary(stats.org_scope(personas.org.pk))
    (m,) = published["milestones"]
    assert m["comparison"]["counts"] == [28, 20] and m["place"] == MIRAFLORES and "activity" not in m
    assert published["concerns"][CONCERN]["quarters"] == story["concerns"][CONCERN]["quarters"]
    page = client.get("/estadisticas/publico/lima/?lang=es")
    ((_m, sentence),) = page.context["comparisons"]
    assert sentence.startswith(
        "Desde la capacitación a la comisaría de Miraflores (junio de 2025), los reportes de incidentes por policía (PNP) "
        "en el distrito de Miraflores"
    )
    assert "2,3 a 1,7 al mes" in sentence and sentence in page.content.decode()

    # The training's own page says the same.
    client.cookies.load({"amparo_lang": "es"})
    login(client, personas.carla)
    assert sentence in client.get(f"/programas/actividades/{training.pk}/").content.decode()
    with translation.override("en"):
        assert "reports of incidents by police officer (PNP) in the district of Miraflores went from 2.3 to 1.7 a month" in milestone_sentence(m)


def test_too_few_reports_after_a_training_are_not_compared_on_the_public_page(personas):
    _quarters(personas, {(2024, 2): 6, (2024, 3): 6, (2024, 4): 6, (2025, 1): 6, (2025, 3): 2, (2025, 4): 1, (2026, 1): 2, (2026, 2): 1},
              district=MIRAFLORES, perpetrator_codes=["pnp_officer"])
    _quarters(personas, {(y, q): 9 for y in (2024, 2025) for q in (1, 2, 3, 4)}, district=LIMA_CERCADO, perpetrator_codes=["pnp_officer"])
    _mark(personas, _training(personas))

    raw = stats.dashboard_for(membership=personas.membership(personas.carla), filters=stats.StatsFilters())
    assert raw["milestones"][0]["comparison"]["counts"] == [24, 6]
    (m,) = stats.milestone_story(organisation_id=personas.org.pk)["milestones"]
    assert m["comparison"] is None
    with translation.override("es"):
        assert "no hay suficientes números publicados sobre los reportes de incidentes por policía (PNP) en el distrito de Miraflores" in milestone_sentence(m)


def test_an_ordinance_won_in_a_meeting_concerns_every_incident_in_the_province(personas):
    _evidence(personas)
    meeting = make_activity(personas, kind="advocacy_meeting", held_on=TRAINED_ON, institution_kind="municipality",
                            institution="Municipalidad de Lima", participants_officials=4)
    milestone = _mark(personas, meeting, title="la ordenanza municipal contra la discriminación", kind="ordinance", scope="province")
    assert (milestone.kind, milestone.perpetrator, milestone.place) == ("ordinance", "", "1501")
    (m,) = stats.milestone_story(organisation_id=personas.org.pk)["milestones"]
    # Everything with consent in the province of Lima: police in both districts and the serenazgo.
    assert m["concern"] == "||1501"
    assert m["comparison"]["counts"] == [28 + 4 * 7 + 4 * 6, 20 + 4 * 7 + 4 * 6]
    with translation.override("es"):
        assert "los reportes de incidentes en la provincia de Lima" in milestone_sentence(m)


def test_an_agreement_with_the_serenazgo_concerns_the_serenazgo_in_its_department(personas):
    agreement = make_activity(personas, kind="agreement_signed", held_on=TRAINED_ON, institution_kind="serenazgo",
                              institution="Serenazgo de Miraflores")
    milestone = _mark(personas, agreement, title="el convenio con el serenazgo", scope="department")
    assert (milestone.kind, milestone.perpetrator, milestone.place) == ("agreement", "serenazgo", "15")


# ---- pages, roles, organisations, bad input ---------------------------------------------------


def test_a_planner_marks_a_training_from_its_page(personas, login_as):
    training = _training(personas)
    client = login_as(personas.carla)
    page = client.get(f"/programas/actividades/{training.pk}/")
    assert page.status_code == 200 and "Comisaría de Miraflores" in page.content.decode()
    assert f'action="/programas/actividades/{training.pk}/hito/"' in page.content.decode()
    assert f'href="/programas/actividades/{training.pk}/"' in client.get("/programas/actividades/").content.decode()

    response = client.post(f"/programas/actividades/{training.pk}/hito/", {"title": "la capacitación", "scope": "district", "is_public": "on"})
    assert response.status_code == 303 and response["Location"] == f"/programas/actividades/{training.pk}/"
    milestone = Milestone.objects.get(activity=training)
    assert (milestone.title, milestone.is_public, milestone.place) == ("la capacitación", True, MIRAFLORES)
    after = client.get(f"/programas/actividades/{training.pk}/").content.decode()
    assert "la capacitación" in after and "/hito/" not in after


@pytest.mark.parametrize("role", ["dora", "ana", "lucia"])
def test_only_planners_may_mark_a_milestone(personas, login_as, role):
    training = _training(personas, user=personas.dora) if role == "dora" else _training(personas)
    client = login_as(getattr(personas, role))
    response = client.post(f"/programas/actividades/{training.pk}/hito/", {"title": "la capacitación", "scope": "district"})
    assert response.status_code == 403
    assert not Milestone.objects.exists()


def test_a_documenter_sees_her_activity_without_the_milestone_form(personas, login_as):
    training = _training(personas, user=personas.dora)
    page = login_as(personas.dora).get(f"/programas/actividades/{training.pk}/")
    assert page.status_code == 200 and "Comisaría de Miraflores" in page.content.decode()
    assert "/hito/" not in page.content.decode()


@pytest.mark.parametrize(("role", "status"), [("ana", 403), ("lucia", 404)])
def test_analysts_and_lawyers_do_not_see_activities(personas, login_as, role, status):
    # A lawyer sees an activity only through a referral she received from it: any other is not found.
    training = _training(personas)
    assert login_as(getattr(personas, role)).get(f"/programas/actividades/{training.pk}/").status_code == status


def test_another_organisations_activity_is_not_found(personas, login_as):
    training = _training(personas)
    client = login_as(personas.bruno)
    assert client.get(f"/programas/actividades/{training.pk}/").status_code == 404
    assert client.post(f"/programas/actividades/{training.pk}/hito/", {"title": "x", "scope": "district"}).status_code == 404
    assert not Milestone.objects.exists()


def test_the_service_refuses_another_organisations_activity(personas):
    from django.core.exceptions import PermissionDenied

    training = _training(personas)
    with pytest.raises(PermissionDenied):
        _mark(personas, training, user=personas.bruno)
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("case", ["no_title", "bad_scope", "bad_kind", "testing_day", "untrained_unit", "training_as_ordinance", "twice"])
def test_bad_input_is_refused_with_a_translated_400_and_nothing_saved(personas, login_as, case):
    activity = {
        "testing_day": lambda: make_activity(personas, kind="testing_day", held_on=TRAINED_ON),
        "untrained_unit": lambda: _training(personas, institution_kind="health_service"),
        "bad_kind": lambda: make_activity(personas, kind="agreement_signed", held_on=TRAINED_ON),
    }.get(case, lambda: _training(personas))()
    data = {"title": "la capacitación", "scope": "district"}
    if case == "no_title":
        data["title"] = "  "
    elif case == "bad_scope":
        data["scope"] = "planet"
    elif case == "bad_kind":
        data["kind"] = "campaign"
    elif case == "training_as_ordinance":
        data["kind"] = "ordinance"
    elif case == "twice":
        _mark(personas, activity)
    before = Milestone.objects.count()
    client = login_as(personas.carla)
    client.cookies.load({"amparo_lang": "es"})
    response = client.post(f"/programas/actividades/{activity.pk}/hito/", data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    body = response.content.decode()
    assert f'href="/programas/actividades/{activity.pk}/"' in body
    assert {
        "no_title": "Este campo es obligatorio", "bad_scope": "Escoja una opción válida", "bad_kind": "Escoja una opción válida",
        "testing_day": "Solo las capacitaciones", "untrained_unit": "Registre qué unidad", "training_as_ordinance": "Una capacitación",
        "twice": "ya es un hito",
    }[case] in body
    assert Milestone.objects.count() == before
    assert not AuditEvent.objects.filter(action="activity.marked_milestone").exclude(target_id=str(activity.pk) if case == "twice" else "").exists()


def test_a_milestone_made_on_the_statistics_page_can_concern_a_region(personas, login_as):
    client = login_as(personas.carla)
    client.cookies.load({"amparo_lang": "es"})
    data = {"happened_on": "2024-03-01", "kind": "directive", "title": "la directiva regional", "perpetrator": "pnp_officer", "place": "15"}
    assert client.post("/estadisticas/hitos/", data).status_code == 302
    assert Milestone.objects.get().place == "15"
    assert "sobre reportes de incidentes por policía (PNP) en el departamento de Lima" in client.get("/estadisticas/hitos/").content.decode()
    assert client.post("/estadisticas/hitos/", {**data, "place": "99"}).status_code == 400
    assert Milestone.objects.count() == 1


@pytest.mark.parametrize("place", ["99", "1599", "159999", "15a", "1501011"])
def test_the_insights_service_refuses_a_place_that_does_not_exist(personas, place):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        insights.milestone_create(organisation=personas.org, acting_user=personas.carla, happened_on=TRAINED_ON, title="x", place=place)
    assert "place" in refused.value.message_dict
    assert not Milestone.objects.exists()
