"""Operator commands that would print decrypted data (dumpdata, shell, dbshell).

In production they are refused unless the operator states why in AMPARO_OPERATOR_REASON;
whenever they run, an audit event names the command and what it could read.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import CommandError

from amparo.audit import services as audit

REASON_VARIABLE = "AMPARO_OPERATOR_REASON"


def guard_decrypting_command(*, command: str, reads: list[str]) -> None:
    reason = os.environ.get(REASON_VARIABLE, "").strip()[:200]
    if settings.PRODUCTION and not reason:
        raise CommandError(
            f"`{command}` would show sealed data decrypted, and is refused in production. "
            "Use the application's audited exports; if you truly must, set "
            f"{REASON_VARIABLE}='why' and the reading will be recorded in the audit trail."
        )
    audit.record(
        actor=None,
        action="data.read_by_command",
        target_type="command",
        target_id=command,
        fields=reads,
        detail={"command": command, "reason": reason, "user": os.environ.get("USER", "")[:40]},
    )
