"""Helpers for statistics tests: incidents seeded through the real services.

Lima (personas.org) and Arequipa (personas.other_org) as in the root conftest; a third
organisation, Cusco, is created where a test needs one that shares nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from conftest import make_incident


def seed(org, user, n: int, *, start: date = date(2023, 1, 10), district: str = "150101", via_service: bool = False, **overrides):  # type: ignore[no-untyped-def]
    """n incidents, one every 12 days from `start`, all in `district` unless overridden.

    A small factory: the same fields as the conftest's make_incident, bulk-inserted (statistics
    read coded fields only, and the service path is covered by the records tests and by
    `via_service=True` where a test needs its audit trail)."""
    if via_service:
        made = []
        for i in range(n):
            fields = {"occurred_on": date.fromordinal(start.toordinal() + 12 * i), "district": district}
            fields.update(overrides)
            made.append(make_incident(org, user, **fields))
        return made
    from amparo.places.models import District
    from amparo.records.models import Incident, IncidentPerpetrator, IncidentViolation
    from amparo.vocab.models import Term

    violations = overrides.pop("violation_codes", ["arbitrary_detention"])
    perpetrators = overrides.pop("perpetrator_codes", ["pnp_officer"])
    terms = {(t.vocabulary, t.code): t for t in Term.objects.all()}
    place = District.objects.get(code=district)
    perp_terms = [terms[("perpetrator", c)] for c in perpetrators]
    fields = {
        "consent_store": True,
        "consent_share_stats": True,
        "people_affected": 1,
        "place_type": terms[("place_type", overrides.pop("place_type", "street"))],
        **overrides,
    }
    global _counter
    incidents = []
    for i in range(n):
        _counter += 1
        incidents.append(
            Incident(
                organisation=org, created_by=user, reference=f"T-{_counter}", district=place,
                province_id=place.province_id, department_id=place.department_id,
                occurred_on=date.fromordinal(start.toordinal() + 12 * i),
                involves_state_agent=any(t.is_state_agent for t in perp_terms), **fields,
            )
        )
    Incident.objects.bulk_create(incidents)
    IncidentViolation.objects.bulk_create(
        [IncidentViolation(organisation=org, incident=x, term=terms[("violation", c)]) for x in incidents for c in violations]
    )
    IncidentPerpetrator.objects.bulk_create(
        [IncidentPerpetrator(organisation=org, incident=x, term=t) for x in incidents for t in perp_terms]
    )
    return incidents


_counter = 0


@pytest.fixture
def lima_data(personas):  # type: ignore[no-untyped-def]
    """40 incidents in Lima with consent, 3 without; 2 in Callao (a small cell)."""
    seed(personas.org, personas.carla, 40)
    seed(personas.org, personas.carla, 3, consent_share_stats=False)
    seed(personas.org, personas.carla, 2, district="070101", violation_codes=["extortion"], perpetrator_codes=["serenazgo"])
    return personas
