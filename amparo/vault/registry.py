"""Where sealed data lives, so a data-key rotation (and a restore check) can find all of it.

Sealed text fields are found by their field class (`fields.encrypted_fields`), whatever
app adds them. Bytes sealed by hand with `crypto.encrypt_bytes` — a binary column, or an
encrypted file in private storage — are registered here by the app that owns them, from its
AppConfig.ready(), because the vault sits below every app and cannot import them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SealedBytes:
    """A binary column holding `encrypt_bytes` output; context(org_id) is its additional data."""

    model: str  # "app_label.ModelName"
    field: str
    context: Callable[[int], str]


@dataclass(frozen=True)
class SealedFiles:
    """Encrypted files named by a column; path(name) finds one, context(name) is its additional data."""

    model: str
    name_field: str
    path: Callable[[str], Path]
    context: Callable[[str], str]


SEALED_BYTES: list[SealedBytes] = []
SEALED_FILES: list[SealedFiles] = []


def register_bytes(*, model: str, field: str, context: Callable[[int], str]) -> None:
    entry = SealedBytes(model, field, context)
    if entry not in SEALED_BYTES:
        SEALED_BYTES.append(entry)


def register_files(*, model: str, name_field: str, path: Callable[[str], Path], context: Callable[[str], str]) -> None:
    entry = SealedFiles(model, name_field, path, context)
    if entry not in SEALED_FILES:
        SEALED_FILES.append(entry)
