"""An intruder with the database (triggers off) cannot rewrite the audit trail unseen.

The four tamperings the first release missed — edit and re-hash, cut the tail, delete and
renumber, delete a whole chain — each made after a signed checkpoint, as someone with full
control of the database would (triggers disabled, every hash and the head recomputed).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from amparo.audit import checkpoints
from amparo.audit.models import AuditChain, AuditEvent
from amparo.audit.services import GENESIS, _digest, rekey, verify
from amparo.audit.tests.test_audit import drop_triggers
from conftest import make_incident

pytestmark = pytest.mark.django_db


def _intruder_hash(event: AuditEvent, *, knows_master_key: bool) -> str:
    """What an intruder computes: without the master key the best is the old unkeyed hash."""
    if knows_master_key:
        return _digest(event)
    return _digest(event, key_id="")


def _intruder_rehash(chain_key: str, *, knows_master_key: bool = False) -> None:
    """Recompute every link and hash of a chain and its head, as an intruder covering tracks would."""
    prev = GENESIS
    last_seq = 0
    with connection.cursor() as cur:
        for event in AuditEvent.objects.filter(chain_key=chain_key).order_by("seq"):
            event.prev_hash = prev
            event.hash = _intruder_hash(event, knows_master_key=knows_master_key)
            cur.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [event.prev_hash, event.hash, event.pk],
            )
            prev, last_seq = event.hash, event.seq
        cur.execute(
            "UPDATE audit_auditchain SET last_seq = %s, last_hash = %s WHERE key = %s",
            [last_seq, prev if last_seq else "", chain_key],
        )


@pytest.fixture
def trail(personas, tmp_path):  # type: ignore[no-untyped-def]
    """Lima's chain with several incidents, and a signed checkpoint of every chain written outside the database."""
    for _ in range(4):
        make_incident(personas.org, personas.dora)
    make_incident(personas.other_org, personas.bruno, district="040101")
    path = checkpoints.checkpoint_write(tmp_path)
    assert verify() == []
    return personas, f"org:{personas.org.pk}", path


def _verify_with(path: Path) -> list[str]:
    problems = verify() + checkpoints.checkpoint_verify(checkpoints.checkpoint_load(path))
    return [str(p) for p in problems]


def test_an_edit_re_hashed_with_every_later_row_and_the_head_is_found(trail):
    personas, chain, path = trail
    target = AuditEvent.objects.filter(chain_key=chain).order_by("seq")[2]
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET actor_label = 'nadie' WHERE id = %s", [target.pk])
    _intruder_rehash(chain)
    problems = _verify_with(path)
    assert any("edited" in p for p in problems)  # the keyed hash: no checkpoint needed
    assert any("differs from the checkpoint" in p for p in problems)
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify", "--checkpoint", str(path))


def test_an_edit_by_someone_holding_the_master_key_is_found_by_the_checkpoint(trail):
    personas, chain, path = trail
    target = AuditEvent.objects.filter(chain_key=chain).order_by("seq")[1]
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditevent SET action = 'nothing.happened' WHERE id = %s", [target.pk]
        )
    _intruder_rehash(chain, knows_master_key=True)
    assert verify() == []  # consistent again under the real key…
    assert any(
        "differs from the checkpoint" in p for p in _verify_with(path)
    )  # …but not with what was sent away


def test_a_cut_tail_with_the_head_moved_back_is_found(trail):
    personas, chain, path = trail
    events = list(AuditEvent.objects.filter(chain_key=chain).order_by("seq"))
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[-1].pk, events[-2].pk]
        )
        cur.execute(
            "UPDATE audit_auditchain SET last_seq = %s, last_hash = %s WHERE key = %s",
            [events[-3].seq, events[-3].hash, chain],
        )
    assert verify() == []  # what is left is consistent: only the checkpoint can tell
    problems = _verify_with(path)
    assert any("cut from the end" in p for p in problems)


def test_a_deleted_middle_row_with_later_rows_renumbered_is_found(trail):
    personas, chain, path = trail
    events = list(AuditEvent.objects.filter(chain_key=chain).order_by("seq"))
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
        # Renumber in two steps so the (chain, seq) constraint never sees a duplicate.
        for event in events[4:]:
            cur.execute(
                "UPDATE audit_auditevent SET seq = %s WHERE id = %s", [event.seq + 100000, event.pk]
            )
        for event in events[4:]:
            cur.execute(
                "UPDATE audit_auditevent SET seq = %s WHERE id = %s", [event.seq - 1, event.pk]
            )
    _intruder_rehash(chain)
    problems = _verify_with(path)
    assert any("edited" in p for p in problems)
    assert any(("checkpoint" in p) for p in problems)


def test_a_whole_chain_deleted_with_its_head_is_found(trail):
    personas, chain, path = trail
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE chain_key = %s", [chain])
        cur.execute("DELETE FROM audit_auditchain WHERE key = %s", [chain])
    assert verify() == []  # nothing left to disagree with itself
    problems = _verify_with(path)
    assert any("chain deleted" in p for p in problems)
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify", "--checkpoint", str(path))


def test_a_forged_or_foreign_checkpoint_is_refused(trail, tmp_path):
    personas, chain, path = trail
    data = json.loads(path.read_text())
    data["chains"] = [
        c for c in data["chains"] if c["chain"] != chain
    ]  # hide Lima's chain from the check
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    problems = _verify_with(forged)
    assert problems and "signature" in problems[0]


def test_an_untouched_trail_passes_against_its_checkpoint_and_later_events(trail):
    personas, chain, path = trail
    make_incident(personas.org, personas.dora)
    assert _verify_with(path) == []
    call_command("audit", "verify", "--checkpoint", str(path))


def test_chains_written_before_hashes_were_keyed_are_re_keyed_safely(personas):
    make_incident(personas.org, personas.dora)
    chain = f"org:{personas.org.pk}"
    # As the first release wrote them: plain SHA-256, no key id.
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET key_id = ''")
    for key in AuditChain.objects.values_list("key", flat=True):
        _intruder_rehash(key)
    assert any("unkeyed hash" in str(p) for p in verify())
    changed = rekey()
    assert changed >= AuditEvent.objects.filter(chain_key=chain).count()
    assert verify() == []
    assert not AuditEvent.objects.filter(key_id="").exists()
    assert AuditEvent.objects.filter(action="audit.rekeyed").exists()


def test_re_keying_refuses_a_chain_that_is_already_broken(personas):
    make_incident(personas.org, personas.dora)
    target = AuditEvent.objects.filter(organisation=personas.org).first()
    assert target is not None
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [target.pk])
    with pytest.raises(CommandError, match="Refused"):
        call_command("audit", "rekey")
    stored = AuditEvent.objects.get(pk=target.pk)
    assert stored.hash != hashlib.sha256(b"").hexdigest() and verify() != []
