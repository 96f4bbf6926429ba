"""Encrypted file blobs in private storage (never under STATIC or any public URL)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from amparo.vault import crypto


def root() -> Path:
    return Path(settings.PRIVATE_STORAGE_DIR)


def path_for(storage_name: str) -> Path:
    path = (root() / storage_name).resolve()
    if root().resolve() not in path.parents:
        raise ValueError("storage name escapes the private storage directory")
    return path


def _context(storage_name: str) -> str:
    return f"evidence:{storage_name}"


def write(storage_name: str, data: bytes, *, org_id: int) -> None:
    path = path_for(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(crypto.encrypt_bytes(data, org_id=org_id, context=_context(storage_name)))
    os.replace(tmp, path)


def read(storage_name: str) -> bytes:
    return crypto.decrypt_bytes(path_for(storage_name).read_bytes(), context=_context(storage_name))


def delete(storage_name: str) -> None:
    path_for(storage_name).unlink(missing_ok=True)
