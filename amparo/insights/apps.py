from __future__ import annotations

import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)

# Audit actions after which an organisation's statistics are out of date.
_STALE_AFTER = ("incident.", "person.updated", "person.deleted")


def _on_audit_event(sender, instance, created, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Every write to incidents is audited in its own transaction, so the audit trail is the one
    place that sees them all (including changes to violations that never save the incident row).
    After commit, mark the organisation dirty and queue a refresh."""
    if not created or not instance.organisation_id or not instance.action.startswith(_STALE_AFTER):
        return
    from django.db import transaction

    org_id = instance.organisation_id

    def enqueue() -> None:
        from amparo.insights.services import enqueue_refresh

        try:
            enqueue_refresh(org_id)
        except Exception:  # a queue outage must not fail the write; the periodic task catches up
            logger.warning("insights: could not queue a statistics refresh", exc_info=True)

    transaction.on_commit(enqueue)


class InsightsConfig(AppConfig):
    name = "amparo.insights"
    label = "insights"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from amparo.audit.models import AuditEvent
        from amparo.web import middleware

        post_save.connect(_on_audit_event, sender=AuditEvent, dispatch_uid="insights_stale_after_audit")
        # Public statistics pages keep no trace of their readers, like every anonymous route.
        if "/estadisticas/publico/" not in middleware.ANONYMOUS_PREFIXES:
            middleware.ANONYMOUS_PREFIXES = (*middleware.ANONYMOUS_PREFIXES, "/estadisticas/publico/")
