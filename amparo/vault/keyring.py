"""Master keys: kept outside the database, they wrap each organisation's data keys.

A keyring is a list of (key id, 32-byte key); the last one is active and wraps new data keys.
Older keys stay readable until every wrapped key has been moved to the active one
(`amparo keys rotate` re-wraps, `amparo keys check` says what still uses an old key).

Sources, in order: AMPARO_MASTER_KEY ("id:base64[,id:base64…]"), then the keyring file
(one "id base64" line per key).
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32


class KeyringError(Exception):
    pass


@dataclass(frozen=True)
class Keyring:
    keys: tuple[tuple[str, bytes], ...]

    @property
    def active_id(self) -> str:
        return self.keys[-1][0]

    @property
    def active_key(self) -> bytes:
        return self.keys[-1][1]

    def get(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise KeyringError(f"master key {key_id!r} is not in the keyring")

    def ids(self) -> list[str]:
        return [kid for kid, _ in self.keys]


_lock = threading.Lock()
_cached: Keyring | None = None


def _parse_entries(entries: list[tuple[str, str]], source: str) -> Keyring:
    keys: list[tuple[str, bytes]] = []
    for kid, b64 in entries:
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError:
            raise ImproperlyConfigured(f"{source}: master key {kid!r} is not valid base64")
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"{source}: master key {kid!r} must be {KEY_BYTES} bytes")
        keys.append((kid, key))
    if not keys:
        raise KeyringError(f"{source} holds no master key")
    return Keyring(tuple(keys))


def _from_env(value: str) -> Keyring:
    entries = []
    for item in value.split(","):
        kid, sep, b64 = item.strip().partition(":")
        if not sep:
            raise ImproperlyConfigured("AMPARO_MASTER_KEY must look like 'id:base64[,id:base64]'")
        entries.append((kid, b64))
    return _parse_entries(entries, "AMPARO_MASTER_KEY")


def keyring_path() -> Path | None:
    return Path(settings.MASTER_KEY_FILE) if settings.MASTER_KEY_FILE else None


def _from_file(path: Path) -> Keyring:
    entries = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kid, _, b64 = line.partition(" ")
        entries.append((kid, b64.strip()))
    return _parse_entries(entries, str(path))


def load() -> Keyring:
    global _cached
    with _lock:
        if _cached is None:
            if settings.MASTER_KEY:
                _cached = _from_env(settings.MASTER_KEY)
            else:
                path = keyring_path()
                if path is None or not path.exists():
                    raise KeyringError(
                        "No master key. Run `amparo keys init`, or set AMPARO_MASTER_KEY / AMPARO_MASTER_KEY_FILE."
                    )
                _cached = _from_file(path)
        return _cached


def forget() -> None:
    """Drop the cached keyring (after rotation, or when tests change settings)."""
    global _cached
    with _lock:
        _cached = None
        _derived.clear()


def new_key_id() -> str:
    return "mk-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def write_file(path: Path, keys: list[tuple[str, bytes]]) -> None:
    """Write the keyring atomically with owner-only permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Amparo master keys. The last line is the active key. Keep this file off the database server's backups."]
    lines += [f"{kid} {base64.b64encode(key).decode()}" for kid, key in keys]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    forget()


def init_file(path: Path) -> str:
    if path.exists():
        raise KeyringError(f"{path} exists already; use `amparo keys rotate`")
    kid = new_key_id()
    write_file(path, [(kid, new_key())])
    return kid


_derived: dict[tuple[str, str], bytes] = {}


def derive(*, purpose: str, key_id: str | None = None) -> tuple[str, bytes]:
    """A 32-byte secret for one purpose (the audit chain, checkpoint signing), derived from a master key.

    It lives only where the master key lives, never in the database. `key_id` picks an older
    master key (to check what it once keyed); None means the active one.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    ring = load()
    kid = key_id or ring.active_id
    cached = _derived.get((kid, purpose))
    if cached is None:
        master = ring.get(kid)
        cached = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"amparo:{purpose}".encode()).derive(master)
        _derived[(kid, purpose)] = cached
    return kid, cached
