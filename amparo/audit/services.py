"""Writing to and checking the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from amparo.audit.models import AuditChain, AuditEvent
from amparo.vault import keyring

GENESIS = "0" * 64
# HKDF purpose of the secret that keys every chain hash (see keyring.derive).
CHAIN_PURPOSE = "audit-chain-v1"


def _chain_key(organisation_id: int | None) -> str:
    return f"org:{organisation_id}" if organisation_id else "system"


def _digest(event: AuditEvent, *, key_id: str | None = None) -> str:
    """The row's hash: HMAC-SHA256 under the audit secret of master key `key_id` (the row's own by default).

    Rows written before hashes were keyed (key_id "") hash with plain SHA-256; `verify`
    reports them until `amparo audit rekey` has keyed them.
    """
    key_id = event.key_id if key_id is None else key_id
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
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    if not key_id:
        return hashlib.sha256(canonical).hexdigest()
    _, secret = keyring.derive(purpose=CHAIN_PURPOSE, key_id=key_id)
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


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
            key_id=keyring.load().active_id,
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
    """Recompute every chain. Returns the problems found: edited, deleted, renumbered or unkeyed rows."""
    problems: list[Problem] = []
    heads = AuditChain.objects.all()
    if chain_keys is not None:
        heads = heads.filter(key__in=list(chain_keys))
    ring_ids = set(keyring.load().ids())
    for head in heads.order_by("key"):
        expected_prev, expected_seq = GENESIS, 1
        unkeyed = 0
        events = AuditEvent.objects.filter(chain_key=head.key).order_by("seq")
        for event in events.iterator(chunk_size=2000):
            if event.seq != expected_seq:
                problems.append(
                    Problem(head.key, expected_seq, None, f"missing events {expected_seq}..{event.seq - 1} (deleted)")
                )
            if event.prev_hash != expected_prev and event.seq == expected_seq:
                problems.append(Problem(head.key, event.seq, event.pk, "does not link to the previous event"))
            if event.key_id and event.key_id not in ring_ids:
                problems.append(Problem(head.key, event.seq, event.pk, f"keyed with master key {event.key_id!r}, which is not in the keyring"))
            else:
                if not event.key_id:
                    unkeyed += 1
                if not hmac.compare_digest(_digest(event), event.hash):
                    problems.append(Problem(head.key, event.seq, event.pk, "content does not match its hash (edited)"))
            expected_prev, expected_seq = event.hash, event.seq + 1
        if unkeyed:
            problems.append(
                Problem(head.key, None, None, f"{unkeyed} events have an unkeyed hash, which anyone could recompute: run `amparo audit rekey`")
            )
        if head.last_seq != expected_seq - 1:
            problems.append(
                Problem(head.key, head.last_seq, None, f"chain ends at seq {expected_seq - 1} but its head says {head.last_seq} (events deleted at the end)")
            )
        elif head.last_seq and head.last_hash != expected_prev:
            problems.append(Problem(head.key, head.last_seq, None, "last event does not match the chain head"))
    return problems


@contextmanager
def triggers_suspended() -> Iterator[None]:
    """Lift the append-only triggers inside the caller's transaction (re-keying only).

    PostgreSQL's DDL is transactional, SQLite's too: if anything fails the triggers come back
    with the rollback.
    """
    from importlib import import_module

    if not connection.in_atomic_block:
        raise RuntimeError("triggers may only be suspended inside a transaction")
    triggers = import_module("amparo.audit.migrations.0002_append_only_triggers")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending: run them now.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_change")
        else:
            for sql in triggers.SQLITE_REVERSE:
                cur.execute(sql)
    yield
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_change")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for sql in triggers.SQLITE_FORWARD:
                cur.execute(sql)


class RekeyRefused(Exception):
    pass


def rekey(*, dry_run: bool = False) -> int:
    """Re-hash every chain under the active master key's audit secret. Returns how many rows changed.

    Used once to key chains written before hashes were keyed, and when an old master key is
    retired. It refuses when any chain is already broken (re-hashing would launder the
    tampering) and runs in one transaction with every chain locked, so writers wait.
    Checkpoints signed before a re-key no longer match; a new one should be taken right after.
    """
    active = keyring.load().active_id
    with transaction.atomic():
        heads = list(AuditChain.objects.select_for_update().order_by("key"))
        problems = [p for p in verify() if "unkeyed hash" not in p.message]
        if problems:
            raise RekeyRefused("; ".join(str(p) for p in problems[:5]))
        changed = 0
        updates: list[tuple[str, str, str, int]] = []
        for head in heads:
            prev = GENESIS
            for event in AuditEvent.objects.filter(chain_key=head.key).order_by("seq").iterator(chunk_size=2000):
                if event.key_id != active or event.prev_hash != prev:
                    event.prev_hash, event.key_id = prev, active
                    event.hash = _digest(event)
                    updates.append((event.prev_hash, event.hash, active, event.pk))
                prev = event.hash
            if head.last_hash != prev and head.last_seq:
                head.last_hash = prev
                head.save(update_fields=["last_hash"])
        changed = len(updates)
        if dry_run or not updates:
            transaction.set_rollback(True)
            return changed
        with triggers_suspended(), connection.cursor() as cur:
            cur.executemany("UPDATE audit_auditevent SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s", updates)
        record(actor=None, action="audit.rekeyed", detail={"master_key": active, "events": changed})
    return changed
