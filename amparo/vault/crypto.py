"""Envelope encryption: organisation data keys (wrapped by the master key) seal fields and files.

Sealed field format (text, safe in any column): "v1." + base64(key_pk[8] | nonce[12] | ciphertext+tag).
The additional data binds a ciphertext to its column, so a value copied into another
column (or another organisation's row) does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction
from django.utils import timezone

from amparo.vault import keyring
from amparo.vault.models import OrganisationKey

PREFIX = "v1."
NONCE_BYTES = 12


class DecryptionError(Exception):
    pass


_lock = threading.Lock()
_aead_by_key_pk: dict[int, AESGCM] = {}
_raw_by_key_pk: dict[int, bytes] = {}
_active_by_org: dict[tuple[int, str], tuple[int, float]] = {}
# How long a process keeps sealing with the data key it last saw as active. After a data-key
# rotation every process moves to the new key within this time (rotation waits longer).
ACTIVE_KEY_TTL_SECONDS = 60.0


def forget_keys() -> None:
    with _lock:
        _aead_by_key_pk.clear()
        _raw_by_key_pk.clear()
        _active_by_org.clear()


def _wrap_aad(org_id: int, purpose: str, version: int) -> bytes:
    return f"amparo-orgkey:{org_id}:{purpose}:{version}".encode()


def wrap_key(raw: bytes, *, org_id: int, purpose: str, version: int) -> tuple[str, bytes]:
    ring = keyring.load()
    nonce = os.urandom(NONCE_BYTES)
    ct = AESGCM(ring.active_key).encrypt(nonce, raw, _wrap_aad(org_id, purpose, version))
    return ring.active_id, nonce + ct


def unwrap_key(key: OrganisationKey) -> bytes:
    if key.retired_at is not None:
        raise DecryptionError(f"organisation key {key.pk} was retired after a data-key rotation")
    ring = keyring.load()
    master = ring.get(key.master_key_id)
    blob = bytes(key.wrapped_key)
    try:
        return AESGCM(master).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(key.organisation_id, key.purpose, key.version)
        )
    except InvalidTag:
        raise DecryptionError(f"organisation key {key.pk} does not unwrap with master key {key.master_key_id}")


def _remember(key_pk: int, raw: bytes, org_purpose: tuple[int, str] | None = None) -> None:
    # Only cache what is committed: a key created in a transaction that rolls back must
    # never be used to seal data (SQLite may even hand its row id to another key).
    def commit() -> None:
        with _lock:
            _raw_by_key_pk[key_pk] = raw
            _aead_by_key_pk[key_pk] = AESGCM(raw)
            if org_purpose:
                _active_by_org[org_purpose] = (key_pk, time.monotonic())

    transaction.on_commit(commit)


def create_org_key(*, org_id: int, purpose: str) -> OrganisationKey:
    last = OrganisationKey.objects.filter(organisation_id=org_id, purpose=purpose).order_by("-version").first()
    version = (last.version + 1) if last else 1
    raw = AESGCM.generate_key(bit_length=256)
    master_id, wrapped = wrap_key(raw, org_id=org_id, purpose=purpose, version=version)
    key = OrganisationKey.objects.create(
        organisation_id=org_id, purpose=purpose, version=version, master_key_id=master_id, wrapped_key=wrapped
    )
    with _lock:
        _active_by_org.pop((org_id, purpose), None)
    _remember(key.pk, raw, (org_id, purpose))
    return key


def _raw_key(key_pk: int) -> bytes:
    with _lock:
        raw = _raw_by_key_pk.get(key_pk)
    if raw is not None:
        return raw
    try:
        key = OrganisationKey.objects.get(pk=key_pk)
    except OrganisationKey.DoesNotExist:
        raise DecryptionError(f"organisation key {key_pk} does not exist")
    raw = unwrap_key(key)
    _remember(key_pk, raw)
    return raw


def _active_key_pk(org_id: int, purpose: str) -> int:
    with _lock:
        cached = _active_by_org.get((org_id, purpose))
    if cached is not None and time.monotonic() - cached[1] < ACTIVE_KEY_TTL_SECONDS:
        return cached[0]
    key = OrganisationKey.objects.filter(organisation_id=org_id, purpose=purpose).order_by("-version").first()
    if key is None:
        key = create_org_key(org_id=org_id, purpose=purpose)
        return key.pk
    raw = unwrap_key(key)
    _remember(key.pk, raw, (org_id, purpose))
    return key.pk


def encrypt_bytes(plaintext: bytes, *, org_id: int, context: str, key_pk: int | None = None) -> bytes:
    """Seal bytes under the organisation's active data key (or `key_pk`, for rotation)."""
    if key_pk is None:
        key_pk = _active_key_pk(org_id, OrganisationKey.Purpose.DATA)
    nonce = os.urandom(NONCE_BYTES)
    ct = AESGCM(_raw_key(key_pk)).encrypt(nonce, plaintext, context.encode())
    return struct.pack(">Q", key_pk) + nonce + ct


def decrypt_bytes(blob: bytes, *, context: str) -> bytes:
    if len(blob) < 8 + NONCE_BYTES + 16:
        raise DecryptionError("sealed value is too short")
    (key_pk,) = struct.unpack(">Q", blob[:8])
    try:
        return AESGCM(_raw_key(key_pk)).decrypt(blob[8 : 8 + NONCE_BYTES], blob[8 + NONCE_BYTES :], context.encode())
    except InvalidTag:
        raise DecryptionError("sealed value does not decrypt (tampered, or moved from another column)")


def key_pk_of(blob: bytes) -> int:
    return struct.unpack(">Q", blob[:8])[0]


def seal(plaintext: str, *, org_id: int, context: str, key_pk: int | None = None) -> str:
    return PREFIX + base64.b64encode(encrypt_bytes(plaintext.encode(), org_id=org_id, context=context, key_pk=key_pk)).decode()


def sealed_key_pk(sealed: str) -> int:
    """Which data key sealed a value, read from its header without decrypting it."""
    if not sealed.startswith(PREFIX):
        raise DecryptionError("value is not sealed")
    head = base64.b64decode(sealed[len(PREFIX) : len(PREFIX) + 12])
    return key_pk_of(head)


def unseal(sealed: str, *, context: str) -> str:
    if not sealed.startswith(PREFIX):
        raise DecryptionError("value is not sealed")
    return decrypt_bytes(base64.b64decode(sealed[len(PREFIX) :]), context=context).decode()


def blind_index(value: str, *, org_id: int, kind: str) -> str:
    """A keyed hash that finds equal values again without decrypting anything."""
    key_pk = _active_key_pk(org_id, OrganisationKey.Purpose.INDEX)
    index_key = _raw_key(key_pk)
    return hmac.new(index_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def rewrap_all() -> int:
    """Re-wrap every organisation key under the active master key. Returns how many moved."""
    ring = keyring.load()
    moved = 0
    with transaction.atomic():
        for key in OrganisationKey.objects.select_for_update().filter(retired_at=None).exclude(master_key_id=ring.active_id):
            raw = unwrap_key(key)
            key.master_key_id, key.wrapped_key = wrap_key(
                raw, org_id=key.organisation_id, purpose=key.purpose, version=key.version
            )
            key.rewrapped_at = timezone.now()
            key.save(update_fields=["master_key_id", "wrapped_key", "rewrapped_at"])
            moved += 1
    forget_keys()
    return moved


def check_all() -> list[str]:
    """Unwrap every organisation key; return a list of problems (empty when all is well)."""
    ring = keyring.load()
    problems = []
    for key in OrganisationKey.objects.filter(retired_at=None).order_by("pk"):
        if key.master_key_id != ring.active_id:
            problems.append(f"key {key} is still wrapped by old master key {key.master_key_id}")
        try:
            unwrap_key(key)
        except (DecryptionError, keyring.KeyringError) as exc:
            problems.append(str(exc))
    return problems
