"""Sections of an activity's page, added by whoever owns what they show.

The activity page renders the sections every registered provider returns, in order, so a new
section (referrals, linkage to care, milestones…) is a provider registered in an AppConfig.ready,
never an edit of the page's template. A provider is given the member and an activity she may
already see (planners, or the documenter who recorded or facilitated it; never a lawyer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amparo.accounts.models import Membership


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[..., "Section | None"]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def activity_sections(*, membership: Membership, activity: Any) -> list[Section]:
    sections = []
    for provider in _providers:
        section = provider(membership=membership, activity=activity)
        if section is not None:
            sections.append(section)
    return sections
