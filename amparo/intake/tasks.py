"""Background jobs of anonymous reporting."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import periodic_task

from amparo.intake import abuse
from amparo.lib.jobs import fresh_connections


@periodic_task(crontab(minute="*/5"))
@fresh_connections
def intake_forget_expired() -> int:
    """Delete spent proofs, rate counters and double-tap receipts whose time is over.

    The same happens whenever a new rate window opens; this covers quiet hours, so a sealed
    receipt never outlives its 15 minutes by much. Idempotent.
    """
    return abuse.forget_expired()


@periodic_task(crontab(minute="41", hour="*"))
@fresh_connections
def intake_purge_undo_expired() -> int:
    """Hourly: delete what spam decisions kept and forget merge snapshots once their
    `UNDO_DAYS` are over. Idempotent: each is claimed before it is touched."""
    from amparo.intake.services import triage_purge_expired

    return triage_purge_expired()
