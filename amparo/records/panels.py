"""Sections that other apps add to the incident page.

Records sits below the apps that feed it (intake, response…), so it cannot import them; they
register a provider here instead (in their AppConfig.ready) and the incident page shows what
each returns. A provider is given the member and the incident she may already see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amparo.accounts.models import Membership


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[..., "Panel | None"]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def incident_panels(*, membership: Membership, incident: Any, reveal: bool) -> list[Panel]:
    """The panels to show on an incident's page; `reveal` is True when the member asked to read
    sealed content (the page has already audited that)."""
    panels = []
    for provider in _providers:
        panel = provider(membership=membership, incident=incident, reveal=reveal)
        if panel is not None:
            panels.append(panel)
    return panels
