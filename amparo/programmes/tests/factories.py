"""Small factories for the programmes tests, through the real services."""

from __future__ import annotations

from datetime import date
from typing import Any

from amparo.places.models import District

MIRAFLORES = "150122"


def district(code: str = MIRAFLORES) -> District:
    return District.objects.get(pk=code)


def make_programme(personas: Any, **overrides: Any) -> Any:
    from amparo.programmes.services import programme_create

    fields = {"kind": "campaign", "name": "Campaña de pruebas 2026", "funder": "Ministerio de Salud",
              "starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31)}
    fields.update(overrides)
    return programme_create(membership=personas.membership(personas.carla), acting_user=personas.carla, **fields)


def make_venue(personas: Any, code_name: str = "Sauna Azul", **overrides: Any) -> Any:
    from amparo.programmes.services import venue_create

    fields = {"kind": "sauna", "district": district(), "address": "Calle Las Orquídeas 456", "contact": "Sra. Benavides 999888777"}
    fields.update(overrides)
    return venue_create(membership=personas.membership(personas.carla), acting_user=personas.carla, code_name=code_name, **fields)


def make_activity(personas: Any, user: Any = None, **overrides: Any) -> Any:
    from amparo.programmes.services import activity_record

    user = user or personas.carla
    fields: dict[str, Any] = {"kind": "testing_day", "held_on": date(2026, 3, 10), "district": district()}
    fields.update(overrides)
    return activity_record(membership=personas.membership(user), acting_user=user, **fields)
