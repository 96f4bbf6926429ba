"""Every way in that a member holds, in one list, so one action can close them all.

Accounts owns sessions, API tokens, passwords and two-factor devices. Apps above it hold other
ways in (field phone accounts, browsers that receive alarms) and register a releaser here from
their AppConfig.ready(), so cutting a member off never forgets one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from amparo.accounts.models import Membership, User

# (membership, acting user, dry run) -> how many it ended (or would end).
Releaser = Callable[["Membership", "User | None", bool], int]


@dataclass(frozen=True)
class Access:
    name: str
    label: str | Promise
    release: Releaser
    # Also ended for every member when the whole organisation is locked down.
    on_lockdown: bool = False


_REGISTRY: dict[str, Access] = {}


def register(access: Access) -> None:
    _REGISTRY[access.name] = access


def registered() -> list[Access]:
    return list(_REGISTRY.values())
