"""Background jobs of the evidence store."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import periodic_task

from amparo.evidence.services import evidence_sweep_orphans
from amparo.lib.jobs import fresh_connections


@periodic_task(crontab(minute="17", hour="3"))
@fresh_connections
def evidence_orphans_sweep() -> int:
    """Nightly: encrypted blobs left behind by a rolled-back upload. Idempotent."""
    return evidence_sweep_orphans()
