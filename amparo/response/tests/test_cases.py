"""Legal cases: Peruvian procedure, timeline, hearings, deadlines, the 72-hour rule, overdue lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from amparo.response import selectors, services
from amparo.response.lib.deadlines import LIMA
from amparo.response.models import CaseRoute, Deadline
from amparo.response.tests.factories import incident_with_person, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(personas):
    incident, _person = incident_with_person(personas)
    return open_case(personas, [incident])


def carla(personas):
    return {"membership": personas.membership(personas.carla), "acting_user": personas.carla}


def test_a_case_links_incidents_people_and_perpetrators(personas, case):
    assert case.reference.startswith(f"CASO-{timezone.localdate().year}-")
    assert [p.code_name for p in case.persons.all()] == ["Mariposa"]
    assert case.perpetrator_codes == ["pnp_officer"]
    second, _p = incident_with_person(personas, code_name="Colibrí")
    services.case_add_incident(case=case, incident=second, **carla(personas))
    assert case.incidents.count() == 2 and case.persons.count() == 2


def test_the_timeline_follows_the_criminal_route_in_order(personas, case):
    route = services.case_route_start(case=case, route="criminal", stage="complaint_police", forum="Comisaría de Lince",
                                      case_number="Denuncia 123-2026", **carla(personas))
    for stage in ("preliminary", "formal", "accusation", "trial"):
        route = services.case_route_advance(case_route=route, stage=stage, **carla(personas))
    services.hearing_add(case=case, scheduled_at=timezone.now() + timedelta(days=3), purpose="Juicio oral", **carla(personas))
    timeline = selectors.case_timeline(case=case)
    assert [e.kind for e in timeline] == ["opened", "route_started", *["stage_changed"] * 4, "hearing"]
    assert [e.stage for e in timeline if e.kind == "stage_changed"] == ["preliminary", "formal", "accusation", "trial"]
    assert CaseRoute.objects.get(pk=route.pk).case_number == "Denuncia 123-2026"


def test_it_refuses_steps_the_procedure_does_not_allow(personas, case):
    with pytest.raises(ValidationError):
        services.case_route_start(case=case, route="criminal", stage="trial", **carla(personas))
    route = services.case_route_start(case=case, route="criminal", stage="complaint_prosecutor", **carla(personas))
    with pytest.raises(ValidationError) as exc:
        services.case_route_advance(case_route=route, stage="sentence", **carla(personas))
    assert "stage" in exc.value.message_dict
    assert CaseRoute.objects.get(pk=route.pk).stage == "complaint_prosecutor"


def test_parallel_routes_run_side_by_side(personas, case):
    services.case_route_start(case=case, route="criminal", stage="complaint_police", **carla(personas))
    inspectoria = services.case_route_start(case=case, route="inspectorate", stage="filed", **carla(personas))
    services.case_route_start(case=case, route="ombudsman", stage="filed", **carla(personas))
    services.case_route_start(case=case, route="health", stage="filed", **carla(personas))
    services.case_route_advance(case_route=inspectoria, stage="investigation", **carla(personas))
    assert sorted(case.routes.values_list("route", "stage")) == [
        ("criminal", "complaint_police"), ("health", "filed"), ("inspectorate", "investigation"), ("ombudsman", "filed"),
    ]
    assert inspectoria.forum == "Inspectoría General PNP"


def test_protection_measures_get_a_72_hour_deadline_that_shows_when_missed(personas, case):
    requested = timezone.now() - timedelta(hours=73)
    route = services.case_route_start(case=case, route="protection", stage="requested", requested_at=requested, **carla(personas))
    deadline = Deadline.objects.get(route=route)
    assert deadline.due_at == requested + timedelta(hours=72)
    overdue = selectors.organisation_overdue(membership=personas.membership(personas.carla))
    assert [r.pk for r in overdue.protection_undecided] == [route.pk]
    assert deadline in overdue.deadlines
    services.case_route_advance(case_route=route, stage="granted", in_force_until=timezone.localdate() + timedelta(days=90), **carla(personas))
    deadline.refresh_from_db()
    assert deadline.done_at is not None
    assert not selectors.organisation_overdue(membership=personas.membership(personas.carla)).protection_undecided


def test_deadlines_can_be_counted_in_business_days(personas, case):
    start = timezone.datetime(2026, 7, 24, 10, 0, tzinfo=LIMA)  # Friday before Fiestas Patrias
    deadline = services.deadline_add(case=case, title="Apelar", counted_from=start, amount=3, unit="business_days", **carla(personas))
    assert deadline.due_at.astimezone(LIMA).date().isoformat() == "2026-07-31"
    assert deadline.assigned_to == personas.lucia  # the case's lawyer by default


def test_deadline_input_is_checked(personas, case):
    with pytest.raises(ValidationError):
        services.deadline_add(case=case, title="Sin fecha", **carla(personas))
    with pytest.raises(ValidationError):
        services.deadline_add(case=case, title="Mal", amount=3, unit="weeks", **carla(personas))
    with pytest.raises(ValidationError):
        services.deadline_add(case=case, title="", due_at=timezone.now(), **carla(personas))
    assert not Deadline.objects.exists()


def test_the_case_list_puts_overdue_cases_first_and_can_show_only_them(personas, case):
    other, _p = incident_with_person(personas, code_name="Otra")
    calm = open_case(personas, [other])
    services.deadline_add(case=calm, title="Futuro", due_at=timezone.now() + timedelta(days=5), **carla(personas))
    late = services.deadline_add(case=case, title="Vencido", due_at=timezone.now() - timedelta(hours=1), **carla(personas))
    m = personas.membership(personas.carla)
    listed = list(selectors.case_list_for(membership=m))
    assert [c.pk for c in listed] == [case.pk, calm.pk] and listed[0].is_overdue and not listed[1].is_overdue
    assert [c.pk for c in selectors.case_list_for(membership=m, overdue_only=True)] == [case.pk]
    services.deadline_complete(deadline=late, **carla(personas))
    assert not selectors.case_list_for(membership=m, overdue_only=True).exists()


def test_closing_a_case_records_the_outcome_and_stops_new_routes(personas, case):
    services.case_close(case=case, outcome="conviction", **carla(personas))
    assert (case.status, case.outcome) == ("closed", "conviction")
    with pytest.raises(ValidationError):
        services.case_route_start(case=case, route="criminal", stage="complaint_police", **carla(personas))
    with pytest.raises(ValidationError):
        services.case_close(case=case, outcome="conviction", **carla(personas))


def test_a_lawyer_acts_only_on_her_own_cases(personas, case):
    from conftest import make_user

    other_lawyer = make_user("lorena", personas.org, "lawyer")
    with pytest.raises(PermissionDenied):
        services.case_route_start(case=case, route="criminal", stage="complaint_police",
                                  membership=personas.membership(other_lawyer), acting_user=other_lawyer)
    services.case_route_start(case=case, route="criminal", stage="complaint_police",
                              membership=personas.membership(personas.lucia), acting_user=personas.lucia)


def test_a_case_needs_something_to_be_about_and_a_real_lawyer(personas):
    incident, _p = incident_with_person(personas)
    with pytest.raises(ValidationError):
        services.case_create(title="Vacío", **carla(personas))
    with pytest.raises(ValidationError):
        services.case_create(title="X", incidents=[incident], lawyer=personas.dora, **carla(personas))
    with pytest.raises(ValidationError):
        services.case_create(title="", incidents=[incident], **carla(personas))


def test_analysts_do_not_open_cases(personas):
    incident, _p = incident_with_person(personas)
    with pytest.raises(PermissionDenied):
        services.case_create(title="X", incidents=[incident], membership=personas.membership(personas.ana), acting_user=personas.ana)
