"""The Peruvian procedure as state machines, and the 72-hour rule of Ley 30364."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amparo.response.lib.procedure import (
    INITIAL_STAGES,
    TRANSITIONS,
    Route,
    Stage,
    TransitionError,
    protection_status,
    route_check_start,
    route_check_transition,
    route_next_stages,
)


def walk(route: str, stages: list[str]) -> None:
    route_check_start(route, stages[0])
    for current, new in zip(stages, stages[1:], strict=False):
        route_check_transition(route, current, new)


def test_it_follows_a_criminal_case_from_police_complaint_to_appeal() -> None:
    walk(
        Route.CRIMINAL,
        [Stage.COMPLAINT_POLICE, Stage.PRELIMINARY, Stage.FORMAL, Stage.ACCUSATION, Stage.TRIAL, Stage.SENTENCE, Stage.APPEAL, Stage.SENTENCE, Stage.CLOSED],
    )


def test_it_allows_a_complaint_directly_at_the_fiscalia() -> None:
    walk(Route.CRIMINAL, [Stage.COMPLAINT_PROSECUTOR, Stage.PRELIMINARY, Stage.ARCHIVED])


def test_it_lets_an_archived_case_be_reopened_by_the_superior_prosecutor() -> None:
    walk(Route.CRIMINAL, [Stage.COMPLAINT_POLICE, Stage.PRELIMINARY, Stage.ARCHIVED, Stage.PRELIMINARY])


def test_it_refuses_to_jump_from_complaint_to_sentence() -> None:
    with pytest.raises(TransitionError) as exc:
        route_check_transition(Route.CRIMINAL, Stage.COMPLAINT_POLICE, Stage.SENTENCE)
    assert "Sentence" in exc.value.message or "Sentencia" in exc.value.message


def test_it_refuses_stages_of_another_route() -> None:
    with pytest.raises(TransitionError):
        route_check_transition(Route.OMBUDSMAN, Stage.FILED, Stage.TRIAL)


def test_it_refuses_to_start_a_criminal_route_at_trial() -> None:
    with pytest.raises(TransitionError):
        route_check_start(Route.CRIMINAL, Stage.TRIAL)


def test_it_refuses_unknown_routes() -> None:
    with pytest.raises(TransitionError):
        route_check_transition("civil", Stage.FILED, Stage.CLOSED)
    assert route_next_stages("civil", Stage.FILED) == ()


def test_closed_is_final_on_every_route() -> None:
    for route, table in TRANSITIONS.items():
        assert table[Stage.CLOSED] == (), route
        for stage in INITIAL_STAGES[route]:
            assert stage in table


def test_every_stage_of_every_route_can_reach_closed() -> None:
    for route, table in TRANSITIONS.items():
        for start in table:
            seen, todo = set(), [start]
            while todo:
                stage = todo.pop()
                if stage in seen:
                    continue
                seen.add(stage)
                todo.extend(table[stage])
            assert Stage.CLOSED in seen, (route, start)


def test_parallel_routes_follow_their_own_steps() -> None:
    walk(Route.INSPECTORATE, [Stage.FILED, Stage.INVESTIGATION, Stage.RESOLVED, Stage.APPEAL, Stage.RESOLVED, Stage.CLOSED])
    walk(Route.OMBUDSMAN, [Stage.FILED, Stage.REVIEW, Stage.RECOMMENDATION, Stage.CLOSED])
    walk(Route.PROTECTION, [Stage.REQUESTED, Stage.GRANTED, Stage.LIFTED, Stage.REQUESTED, Stage.DENIED, Stage.CLOSED])
    walk(Route.HEALTH, [Stage.FILED, Stage.REVIEW, Stage.RESOLVED, Stage.CLOSED])


REQUESTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_protection_measures_are_due_72_hours_after_the_request() -> None:
    status = protection_status(requested_at=REQUESTED, now=REQUESTED + timedelta(hours=10))
    assert status.due_at == REQUESTED + timedelta(hours=72)
    assert status.overdue is False and status.decided_in_time is None


def test_an_undecided_request_is_overdue_after_72_hours() -> None:
    assert protection_status(requested_at=REQUESTED, now=REQUESTED + timedelta(hours=72, seconds=1)).overdue


def test_it_records_whether_the_court_decided_in_time() -> None:
    on_time = protection_status(
        requested_at=REQUESTED, now=REQUESTED + timedelta(days=5), decided_at=REQUESTED + timedelta(hours=70), granted=True
    )
    late = protection_status(
        requested_at=REQUESTED, now=REQUESTED + timedelta(days=5), decided_at=REQUESTED + timedelta(hours=80), granted=True
    )
    assert on_time.decided_in_time is True and on_time.in_force
    assert late.decided_in_time is False and late.hours_taken == 80


def test_measures_stop_being_in_force_after_their_end_date_or_when_lifted() -> None:
    decided = REQUESTED + timedelta(hours=24)
    expired = protection_status(
        requested_at=REQUESTED, now=REQUESTED + timedelta(days=40), decided_at=decided, granted=True,
        in_force_until=REQUESTED + timedelta(days=30),
    )
    lifted = protection_status(requested_at=REQUESTED, now=decided, decided_at=decided, granted=True, lifted=True)
    denied = protection_status(requested_at=REQUESTED, now=decided, decided_at=decided, granted=False)
    assert not expired.in_force and not lifted.in_force and not denied.in_force
