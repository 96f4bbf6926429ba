"""Nightly backups and checkpoints through the job queue; an hourly look for missing ones."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import periodic_task

from amparo.backup import services
from amparo.backup.models import BackupRun
from amparo.lib.jobs import fresh_connections

log = logging.getLogger(__name__)


@periodic_task(crontab(minute="30", hour="7"))  # 02:30 in Lima (huey runs crontabs in UTC)
@fresh_connections
def backup_nightly() -> str:
    """Back up, prune to 7/4/12, and e-mail each organisation its signed audit checkpoint."""
    if not settings.BACKUP_NIGHTLY:
        return "off"
    return nightly()


def nightly() -> str:
    """The nightly round, also run by `amparo backup create --nightly` (from a systemd timer)."""
    try:
        run = services.backup_create(kind=BackupRun.Kind.NIGHTLY)
        status = run.status
    except Exception:
        log.exception("nightly backup failed")
        status = BackupRun.Status.FAILED
    services.backup_alert_if_needed()
    services.checkpoints_send()
    return status


@periodic_task(crontab(minute="45"))
@fresh_connections
def backup_watch() -> bool:
    """Hourly: a failed or missing backup is e-mailed to admins (at most once a day)."""
    return services.backup_alert_if_needed()
