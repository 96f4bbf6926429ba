"""Background refresh of aggregates and published summaries (huey).

Tasks take ids, re-check state and claim the work atomically, so running one twice (or two
at once) does no harm: the second finds nothing dirty and returns.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import periodic_task, task

from amparo.lib.jobs import fresh_connections


@task()
@fresh_connections
def refresh_organisation(organisation_id: int) -> bool:
    from amparo.insights import services
    from amparo.insights.models import RefreshState

    claimed = RefreshState.objects.filter(organisation_id=organisation_id, dirty_since__isnull=False).update(dirty_since=None)
    if claimed != 1:
        return False
    # Rebuilds this organisation's aggregates, then every published summary (they are protected together).
    services.aggregates_refresh(organisation_id=organisation_id)
    return True


@task()
@fresh_connections
def refresh_network() -> None:
    from amparo.insights import services

    services.network_publish()


@periodic_task(crontab(minute="*/10"))
@fresh_connections
def refresh_dirty() -> int:
    """Catch-up for changes whose task was lost (a restarted worker, Redis down)."""
    from amparo.insights.models import RefreshState

    done = 0
    for org_id in RefreshState.objects.filter(dirty_since__isnull=False).values_list("organisation_id", flat=True):
        done += bool(refresh_organisation.call_local(org_id))
    return done
