"""Sections that other apps add to a page they do not own (the incident page, the activity page).

The app that owns the page sits below the apps that feed it, so it cannot import them; they
register a provider on the page's `Panels` (in their AppConfig.ready) and the page shows what
each returns, in order. A provider is given the member and a record she may already see, and
returns a `Panel` or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[..., "Panel | None"]


class Panels:
    """One page's providers."""

    def __init__(self) -> None:
        self._providers: list[Provider] = []

    def register(self, provider: Provider) -> Provider:
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def collect(self, **given: Any) -> list[Panel]:
        panels = []
        for provider in self._providers:
            panel = provider(**given)
            if panel is not None:
                panels.append(panel)
        return panels
