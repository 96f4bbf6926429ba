"""Signed checkpoints of every chain head, kept outside the database.

A keyed chain stops someone with only the database from forging rows, but not from cutting
its tail (and moving the head back) or dropping a whole chain: what is left is still
consistent. A checkpoint — each chain's last seq and hash, signed with an Ed25519 key
derived from the master key — is written into every backup, into the backup folder and
e-mailed to each organisation's admins. `amparo audit verify --checkpoint FILE` then finds
any rewrite, truncation, renumbering or deleted chain made after it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils import timezone

from amparo.audit.models import AuditChain, AuditEvent
from amparo.audit.services import Problem
from amparo.vault import keyring

FORMAT = "amparo-audit-checkpoint/1"
SIGNING_PURPOSE = "audit-checkpoint-signing-v1"


class CheckpointError(Exception):
    pass


def _signing_key(key_id: str | None = None) -> tuple[str, Ed25519PrivateKey]:
    kid, seed = keyring.derive(purpose=SIGNING_PURPOSE, key_id=key_id)
    return kid, Ed25519PrivateKey.from_private_bytes(seed)


def _public_b64(private: Ed25519PrivateKey) -> str:
    return base64.b64encode(
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checkpoint_create(*, chain_keys: list[str] | None = None) -> dict[str, Any]:
    """A signed statement of where every chain (or only `chain_keys`) ends now."""
    kid, private = _signing_key()
    heads = AuditChain.objects.order_by("key")
    if chain_keys is not None:
        heads = heads.filter(key__in=chain_keys)
    body: dict[str, Any] = {
        "format": FORMAT,
        "site": settings.SITE_URL,
        "created_at": timezone.now().isoformat(),
        "master_key": kid,
        "public_key": _public_b64(private),
        "chains": [{"chain": h.key, "seq": h.last_seq, "hash": h.last_hash} for h in heads],
    }
    body["signature"] = base64.b64encode(private.sign(_canonical(body))).decode()
    return body


def checkpoint_dumps(checkpoint: dict[str, Any]) -> str:
    return json.dumps(checkpoint, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def checkpoint_write(directory: Path, *, chain_keys: list[str] | None = None) -> Path:
    checkpoint = checkpoint_create(chain_keys=chain_keys)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = checkpoint["created_at"][:19].replace(":", "").replace("-", "")
    path = directory / f"audit-checkpoint-{stamp}Z.json"
    path.write_text(checkpoint_dumps(checkpoint))
    return path


def checkpoint_load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})")
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("chains"), list)
    ):
        raise CheckpointError(f"{path}: not an Amparo audit checkpoint")
    return data


def _signature_problem(checkpoint: dict[str, Any]) -> str | None:
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    kid = str(checkpoint.get("master_key", ""))
    try:
        _, private = _signing_key(kid)
    except keyring.KeyringError:
        return f"signed with master key {kid!r}, which is not in this keyring: it cannot be trusted here"
    if checkpoint.get("public_key") != _public_b64(private):
        return "not signed by this instance's checkpoint key"
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(checkpoint["public_key"]))
        public.verify(base64.b64decode(checkpoint.get("signature", "")), _canonical(body))
    except (InvalidSignature, ValueError, KeyError):
        return "its signature does not match its content (the checkpoint file was altered)"
    return None


def checkpoint_verify(checkpoint: dict[str, Any]) -> list[Problem]:
    """Compare the database with a checkpoint. Returns the problems (empty: nothing was lost or rewritten)."""
    bad_signature = _signature_problem(checkpoint)
    if bad_signature:
        return [Problem("checkpoint", None, None, bad_signature)]
    problems: list[Problem] = []
    heads = {h.key: h for h in AuditChain.objects.all()}
    for entry in checkpoint["chains"]:
        key, seq, expected = str(entry["chain"]), int(entry["seq"]), str(entry["hash"])
        if seq == 0:
            continue
        head = heads.get(key)
        if head is None and not AuditEvent.objects.filter(chain_key=key).exists():
            problems.append(
                Problem(
                    key,
                    seq,
                    None,
                    f"the whole chain is gone: the checkpoint saw {seq} events (chain deleted)",
                )
            )
            continue
        if head is None:
            problems.append(Problem(key, seq, None, "the chain's head is gone (deleted)"))
        elif head.last_seq < seq:
            problems.append(
                Problem(
                    key,
                    seq,
                    None,
                    f"the chain now ends at seq {head.last_seq}; the checkpoint saw {seq} (events cut from the end)",
                )
            )
        event = AuditEvent.objects.filter(chain_key=key, seq=seq).first()
        if event is None:
            problems.append(
                Problem(
                    key,
                    seq,
                    None,
                    "the event the checkpoint ends on is missing (deleted or renumbered)",
                )
            )
        elif event.hash != expected:
            problems.append(
                Problem(
                    key,
                    seq,
                    event.pk,
                    "differs from the checkpoint: events up to here were rewritten, deleted or renumbered",
                )
            )
    return problems
