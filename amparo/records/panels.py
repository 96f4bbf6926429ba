"""Sections that other apps add to the incident page (see amparo.lib.panels).

Records sits below the apps that feed it (intake, response…), so it cannot import them; they
register a provider here (in their AppConfig.ready). A provider is given the member and the
incident she may already see, and whether she asked to read sealed content.
"""

from __future__ import annotations

from typing import Any

from amparo.accounts.models import Membership
from amparo.lib.panels import Panel, Panels, Provider

__all__ = ["Panel", "Provider", "incident_panels", "register"]

_incident = Panels()
register = _incident.register


def incident_panels(*, membership: Membership, incident: Any, reveal: bool) -> list[Panel]:
    """The panels to show on an incident's page; `reveal` is True when the member asked to read
    sealed content (the page has already audited that)."""
    return _incident.collect(membership=membership, incident=incident, reveal=reveal)
