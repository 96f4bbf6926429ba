from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from amparo.accounts.models import Membership, Role
from amparo.audit.models import AuditEvent


def audit_trail_for(*, membership: Membership, action: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """An organisation's own trail; only its administrators read it."""
    if membership.role != Role.ADMIN:
        raise PermissionDenied
    qs = AuditEvent.objects.for_member(membership)
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_label__iexact=actor)
    return qs.order_by("-seq")
