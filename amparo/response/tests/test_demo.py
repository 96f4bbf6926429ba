"""The demo gives every organisation referrals, cases and a security record to look at."""

from __future__ import annotations

import pytest

from amparo.response.demo import demo_response_load
from amparo.response.models import LegalCase, Referral, SecurityRecord
from amparo.response.tests.factories import incident_with_person

pytestmark = pytest.mark.django_db


def test_the_demo_loads_referrals_cases_and_security_records(personas):
    for k in range(4):
        incident_with_person(personas, code_name=f"Demo{k}")
    _incident, defender = incident_with_person(personas, code_name="Activista")
    defender.is_defender = True
    defender.save(update_fields=["is_defender"])
    counts = demo_response_load(organisations=[personas.org, personas.other_org], referrals=3, cases=2)
    assert counts == {"services": 4, "referrals": 3, "cases": 2, "security": 1}
    assert Referral.objects.filter(organisation=personas.org).count() == 3
    assert LegalCase.objects.filter(organisation=personas.org, lawyer=personas.lucia).count() == 2
    assert SecurityRecord.objects.count() == 1
