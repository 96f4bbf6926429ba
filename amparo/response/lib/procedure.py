"""Peruvian procedure as state machines: the routes a legal case can follow and their stages.

A case has one criminal route and any number of parallel routes (the police Inspectoría,
the Defensoría del Pueblo, protection measures under Ley 30364, a health-service complaint).
Each route is a small state machine: `route_check_transition` says whether a move is allowed,
so a case cannot jump from "complaint" to "sentence" by a slip of the finger. The stage names
follow ../../shared/context/peru.md; the legal framing is a simplification for tracking work,
not legal advice, and the organisation's lawyers can always record a free-text event.

Pure module: no models, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class Route(models.TextChoices):
    CRIMINAL = "criminal", _("Criminal complaint (Fiscalía)")
    INSPECTORATE = "inspectorate", _("Police Inspectoría (administrative)")
    OMBUDSMAN = "ombudsman", _("Defensoría del Pueblo")
    PROTECTION = "protection", _("Protection measures (Ley 30364)")
    HEALTH = "health", _("Health-service complaint")


class Stage(models.TextChoices):
    # Criminal route.
    COMPLAINT_POLICE = "complaint_police", _("Complaint at a police station (comisaría)")
    COMPLAINT_PROSECUTOR = "complaint_prosecutor", _("Complaint directly at the Fiscalía")
    PRELIMINARY = "preliminary", _("Preliminary investigation (carpeta fiscal)")
    FORMAL = "formal", _("Formal investigation")
    ACCUSATION = "accusation", _("Accusation")
    ARCHIVED = "archived", _("Archived")
    TRIAL = "trial", _("Trial")
    SENTENCE = "sentence", _("Sentence")
    APPEAL = "appeal", _("Appeal")
    # Administrative and other parallel routes.
    FILED = "filed", _("Complaint filed")
    INVESTIGATION = "investigation", _("Under investigation")
    RESOLVED = "resolved", _("Resolution issued")
    REVIEW = "review", _("Under review")
    RECOMMENDATION = "recommendation", _("Recommendation issued")
    # Protection measures.
    REQUESTED = "requested", _("Measures requested")
    GRANTED = "granted", _("Measures granted")
    DENIED = "denied", _("Measures denied")
    LIFTED = "lifted", _("Measures lifted or expired")
    # Every route ends here.
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    PENDING = "", _("Pending")
    SANCTION = "sanction", _("Sanction")
    ARCHIVE = "archive", _("Archive")
    ACQUITTAL = "acquittal", _("Acquittal")
    CONVICTION = "conviction", _("Conviction")
    SETTLEMENT = "settlement", _("Settlement")
    MEASURES_GRANTED = "measures_granted", _("Protection measures granted")
    RECOMMENDATION = "recommendation", _("Recommendation to the authority")
    WITHDRAWN = "withdrawn", _("Withdrawn by the person")


S = Stage

# Allowed moves per route. Comments give the why of the less obvious ones.
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Route.CRIMINAL: {
        S.COMPLAINT_POLICE: (S.PRELIMINARY, S.ARCHIVED, S.CLOSED),
        S.COMPLAINT_PROSECUTOR: (S.PRELIMINARY, S.ARCHIVED, S.CLOSED),
        S.PRELIMINARY: (S.FORMAL, S.ARCHIVED, S.CLOSED),
        # "Terminación anticipada" can end a formal investigation with a sentence.
        S.FORMAL: (S.ACCUSATION, S.ARCHIVED, S.SENTENCE, S.CLOSED),
        # The judge may dismiss ("sobreseimiento") instead of sending the case to trial.
        S.ACCUSATION: (S.TRIAL, S.ARCHIVED, S.CLOSED),
        S.TRIAL: (S.SENTENCE, S.CLOSED),
        S.SENTENCE: (S.APPEAL, S.CLOSED),
        # The second instance rules (a new sentence) or sends the case back to trial.
        S.APPEAL: (S.SENTENCE, S.TRIAL, S.CLOSED),
        # An archive can be challenged before the superior prosecutor, who may order to reopen.
        S.ARCHIVED: (S.PRELIMINARY, S.CLOSED),
        S.CLOSED: (),
    },
    Route.INSPECTORATE: {
        S.FILED: (S.INVESTIGATION, S.ARCHIVED, S.CLOSED),
        S.INVESTIGATION: (S.RESOLVED, S.ARCHIVED, S.CLOSED),
        S.RESOLVED: (S.APPEAL, S.CLOSED),
        S.APPEAL: (S.RESOLVED, S.CLOSED),
        S.ARCHIVED: (S.INVESTIGATION, S.CLOSED),
        S.CLOSED: (),
    },
    Route.OMBUDSMAN: {
        S.FILED: (S.REVIEW, S.CLOSED),
        S.REVIEW: (S.RECOMMENDATION, S.CLOSED),
        S.RECOMMENDATION: (S.CLOSED,),
        S.CLOSED: (),
    },
    Route.PROTECTION: {
        S.REQUESTED: (S.GRANTED, S.DENIED),
        # Measures stay in force while the risk lasts; the family court may extend or lift them.
        S.GRANTED: (S.LIFTED, S.CLOSED),
        # A denial can be appealed, or a new request made when the risk changes.
        S.DENIED: (S.REQUESTED, S.CLOSED),
        S.LIFTED: (S.REQUESTED, S.CLOSED),
        S.CLOSED: (),
    },
    Route.HEALTH: {
        S.FILED: (S.REVIEW, S.CLOSED),
        S.REVIEW: (S.RESOLVED, S.CLOSED),
        S.RESOLVED: (S.APPEAL, S.CLOSED),
        S.APPEAL: (S.RESOLVED, S.CLOSED),
        S.CLOSED: (),
    },
}

INITIAL_STAGES: dict[str, tuple[str, ...]] = {
    Route.CRIMINAL: (S.COMPLAINT_POLICE, S.COMPLAINT_PROSECUTOR),
    Route.INSPECTORATE: (S.FILED,),
    Route.OMBUDSMAN: (S.FILED,),
    Route.PROTECTION: (S.REQUESTED,),
    Route.HEALTH: (S.FILED,),
}

# Where the complaint or request is made, per route (a hint for the form, not a rule).
DEFAULT_FORUM: dict[str, str] = {
    Route.CRIMINAL: "Ministerio Público",
    Route.INSPECTORATE: "Inspectoría General PNP",
    Route.OMBUDSMAN: "Defensoría del Pueblo",
    Route.PROTECTION: "Juzgado de Familia",
    Route.HEALTH: "",
}


class TransitionError(ValueError):
    """A move the route does not allow. `message` is translated for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def route_stages(route: str) -> tuple[str, ...]:
    return tuple(TRANSITIONS[Route(route)].keys())


def route_next_stages(route: str, stage: str) -> tuple[str, ...]:
    try:
        return TRANSITIONS[Route(route)][Stage(stage)]
    except (ValueError, KeyError):
        return ()


def is_terminal(route: str, stage: str) -> bool:
    return Stage(stage) == S.CLOSED


def route_check_start(route: str, stage: str) -> None:
    try:
        route_value = Route(route)
    except ValueError:
        raise TransitionError(str(_("Unknown route.")))
    if stage not in INITIAL_STAGES[route_value]:
        raise TransitionError(
            str(_("A %(route)s route cannot start at this stage.") % {"route": route_value.label})
        )


def route_check_transition(route: str, current: str, new: str) -> None:
    """Raise TransitionError unless `current → new` is a step the route allows."""
    try:
        route_value = Route(route)
    except ValueError:
        raise TransitionError(str(_("Unknown route.")))
    allowed = TRANSITIONS[route_value]
    if current not in allowed or new not in allowed:
        raise TransitionError(str(_("This stage does not belong to the route.")))
    if new not in allowed[current]:
        raise TransitionError(
            str(
                _("A case cannot go from “%(current)s” to “%(new)s”.")
                % {"current": Stage(current).label, "new": Stage(new).label}
            )
        )


# Ley 30364: the family court issues protection measures within 72 hours of the request
# (https://www.gob.pe/32126-medidas-de-proteccion-hacia-las-victimas-de-violencia).
PROTECTION_DECISION_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class ProtectionStatus:
    """Where a protection-measure request stands against the 72-hour rule."""

    due_at: datetime
    decided_in_time: bool | None  # None while undecided
    overdue: bool  # undecided and past the 72 hours
    in_force: bool
    hours_taken: float | None = field(default=None)


def protection_status(
    *,
    requested_at: datetime,
    now: datetime,
    decided_at: datetime | None = None,
    granted: bool | None = None,
    in_force_until: datetime | None = None,
    lifted: bool = False,
) -> ProtectionStatus:
    due_at = requested_at + PROTECTION_DECISION_WINDOW
    if decided_at is None:
        return ProtectionStatus(due_at=due_at, decided_in_time=None, overdue=now > due_at, in_force=False)
    hours = (decided_at - requested_at).total_seconds() / 3600
    in_force = bool(granted) and not lifted and (in_force_until is None or now <= in_force_until)
    return ProtectionStatus(
        due_at=due_at, decided_in_time=decided_at <= due_at, overdue=False, in_force=in_force, hours_taken=hours
    )
