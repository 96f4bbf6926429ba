"""The activity page's sections about the people met there: referrals made, linkage to care."""

from __future__ import annotations

from typing import Any

from amparo.accounts.models import Membership
from amparo.programmes import selectors
from amparo.programmes.panels import Section, register
from amparo.programmes.services import may_follow_to_care


@register
def referrals_section(*, membership: Membership, activity: Any) -> Section:
    return Section("programmes/_activity_referrals.html", {"referrals": selectors.activity_referrals(membership=membership, activity=activity)})


@register
def care_section(*, membership: Membership, activity: Any) -> Section | None:
    if not may_follow_to_care(membership, activity):
        return None
    return Section("programmes/_activity_care.html", {"linkages": selectors.care_linkages_for(membership=membership, activity=activity)})
