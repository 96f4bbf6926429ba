"""Writing to and checking the audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from amparo.audit.models import AuditChain, AuditEvent

GENESIS = "0" * 64


def _chain_key(organisation_id: int | None) -> str:
    return f"org:{organisation_id}" if organisation_id else "system"


def _digest(event: AuditEvent) -> str:
    body = {
        "chain": event.chain_key,
        "seq": event.seq,
        "org": event.organisation_id,
        "at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "fields": event.fields,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain(key: str) -> AuditChain:
    try:
        with transaction.atomic():
            AuditChain.objects.get_or_create(key=key)
    except IntegrityError:  # created by a concurrent writer meanwhile
        pass
    return AuditChain.objects.select_for_update().get(key=key)


def record(
    *,
    actor: Any | None,
    action: str,
    organisation: Any | None = None,
    organisation_id: int | None = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    fields: Iterable[str] = (),
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records.

    `fields` names which fields were read or changed; `detail` is for small, non-sensitive
    facts (a status, a count). Never pass values of sensitive fields.
    """
    org_id = organisation_id if organisation_id is not None else getattr(organisation, "pk", None)
    if org_id is None and target is not None:
        org_id = getattr(target, "organisation_id", None)
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    with transaction.atomic():
        chain = _lock_chain(_chain_key(org_id))
        event = AuditEvent(
            chain_key=chain.key,
            seq=chain.last_seq + 1,
            organisation_id=org_id,
            created_at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=(getattr(actor, "get_username", lambda: "")() if actor is not None else "")[:150],
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            fields=sorted(set(fields)),
            detail=detail or {},
            prev_hash=chain.last_hash or GENESIS,
        )
        event.hash = _digest(event)
        event.save()
        chain.last_seq, chain.last_hash = event.seq, event.hash
        chain.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass
class Problem:
    chain: str
    seq: int | None
    event_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event #{self.event_id} (seq {self.seq})" if self.event_id else f"seq {self.seq}"
        return f"[{self.chain}] {where}: {self.message}"


def verify(*, chain_keys: Iterable[str] | None = None) -> list[Problem]:
    """Recompute every chain. Returns the problems found: edited, deleted or reordered rows."""
    problems: list[Problem] = []
    heads = AuditChain.objects.all()
    if chain_keys is not None:
        heads = heads.filter(key__in=list(chain_keys))
    for head in heads.order_by("key"):
        expected_prev, expected_seq = GENESIS, 1
        events = AuditEvent.objects.filter(chain_key=head.key).order_by("seq")
        for event in events.iterator(chunk_size=2000):
            if event.seq != expected_seq:
                problems.append(
                    Problem(head.key, expected_seq, None, f"missing events {expected_seq}..{event.seq - 1} (deleted)")
                )
            if event.prev_hash != expected_prev and event.seq == expected_seq:
                problems.append(Problem(head.key, event.seq, event.pk, "does not link to the previous event"))
            if _digest(event) != event.hash:
                problems.append(Problem(head.key, event.seq, event.pk, "content does not match its hash (edited)"))
            expected_prev, expected_seq = event.hash, event.seq + 1
        if head.last_seq != expected_seq - 1:
            problems.append(
                Problem(head.key, head.last_seq, None, f"chain ends at seq {expected_seq - 1} but its head says {head.last_seq} (events deleted at the end)")
            )
        elif head.last_seq and head.last_hash != expected_prev:
            problems.append(Problem(head.key, head.last_seq, None, "last event does not match the chain head"))
    return problems
