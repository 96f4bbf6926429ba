"""Sections of an activity's page, added by whoever owns what they show (see amparo.lib.panels).

A new section (referrals, linkage to care, milestones…) is a provider registered in an
AppConfig.ready, never an edit of the page's template. A provider is given the member and an
activity she may already see (planners, or the documenter who recorded or facilitated it; never
a lawyer).
"""

from __future__ import annotations

from typing import Any

from amparo.accounts.models import Membership
from amparo.lib.panels import Panel, Panels, Provider

__all__ = ["Provider", "Section", "activity_sections", "register"]

Section = Panel
_activity = Panels()
register = _activity.register


def activity_sections(*, membership: Membership, activity: Any) -> list[Panel]:
    return _activity.collect(membership=membership, activity=activity)
