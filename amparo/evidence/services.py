"""Storing and reading evidence files, each step written to the custody log and the audit trail."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.audit import services as audit
from amparo.evidence import sanitize, storage
from amparo.evidence.models import CustodyAction, CustodyEvent, EvidenceFile
from amparo.vault.crypto import DecryptionError

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


class EvidenceTampered(Exception):
    """The stored file no longer matches the fingerprint taken when it was stored."""


def _custody(*, evidence: EvidenceFile, action: str, actor: Any | None, purpose: str = "", sha256: str = "") -> CustodyEvent:
    event = CustodyEvent.objects.create(
        organisation_id=evidence.organisation_id,
        evidence=evidence,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "get_username", lambda: "")() if getattr(actor, "pk", None) else "",
        purpose=purpose[:200],
        sha256=sha256,
    )
    audit.record(actor=actor if getattr(actor, "pk", None) else None, action=f"evidence.{action}", target=evidence, detail={"purpose": purpose[:80]} if purpose else None)
    return event


@transaction.atomic
def evidence_store(
    *,
    organisation: Any,
    uploaded: UploadedFile | bytes,
    acting_user: Any | None,
    incident: Any | None = None,
    source: str = "",
    source_ref: str = "",
    original_name: str = "",
    description: str = "",
    max_bytes: int = MAX_EVIDENCE_BYTES,
) -> EvidenceFile:
    """Fingerprint, strip metadata, encrypt and keep a file; log its custody from the first moment.

    Every path that keeps a file comes here, so every file passes the one sanitizer; a file it
    refuses raises `sanitize.FileRefused` (a translated ValidationError) and nothing is kept.
    """
    if isinstance(uploaded, bytes | bytearray):
        data = bytes(uploaded)
    else:
        sanitize.check_size(uploaded.size or 0, max_bytes=max_bytes)
        data = uploaded.read()
        original_name = original_name or (uploaded.name or "")
    cleaned = sanitize.sanitize(data, max_bytes=max_bytes)
    evidence = EvidenceFile(
        organisation=organisation,
        incident=incident,
        source=source,
        source_ref=str(source_ref),
        original_name=original_name[:200],
        description=description,
        content_type=cleaned.content_type,
        size=len(cleaned.data),
        sha256_original=cleaned.sha256_original,
        sha256_stored=hashlib.sha256(cleaned.data).hexdigest(),
        metadata_stripped=True,
        uploaded_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    evidence.storage_name = f"{organisation.pk}/{evidence.uid.hex}.bin"
    evidence.save()
    # Should the transaction roll back, the blob is left without a row;
    # `evidence_sweep_orphans` removes such blobs.
    storage.write(evidence.storage_name, cleaned.data, org_id=organisation.pk)
    _custody(evidence=evidence, action=CustodyAction.STORED, actor=acting_user, sha256=evidence.sha256_stored)
    return evidence


def download_name(evidence: EvidenceFile) -> str:
    """The file name a download gets: the evidence's id and the extension of what is kept."""
    return f"evidence-{evidence.uid.hex[:12]}.{sanitize.ACCEPTED.get(evidence.content_type, 'bin')}"


def evidence_check(*, evidence: EvidenceFile) -> bytes:
    """The stored bytes, after checking them against the stored fingerprint."""
    try:
        data = storage.read(evidence.storage_name)
    except (DecryptionError, FileNotFoundError, ValueError):
        raise EvidenceTampered(_("The stored file is missing or was altered."))
    if hashlib.sha256(data).hexdigest() != evidence.sha256_stored:
        raise EvidenceTampered(_("The stored file does not match its fingerprint."))
    return data


def evidence_read(*, evidence: EvidenceFile, acting_user: Any, purpose: str = "", action: str = CustodyAction.VIEWED) -> bytes:
    """Read a file for a person; every read is in the custody log. Tampering is logged and raised."""
    try:
        data = evidence_check(evidence=evidence)
    except EvidenceTampered:
        # Logged in its own transaction so the record of tampering survives the error.
        with transaction.atomic():
            _custody(evidence=evidence, action=CustodyAction.TAMPER_DETECTED, actor=acting_user, purpose=purpose)
        raise
    with transaction.atomic():
        _custody(evidence=evidence, action=action, actor=acting_user, purpose=purpose, sha256=evidence.sha256_stored)
    return data


def evidence_verify(*, evidence: EvidenceFile, acting_user: Any | None, purpose: str = "") -> bool:
    """Check a stored file against its fingerprint without handing it out; the check is logged.

    Returns False (and logs `tamper_detected`) when the file is missing or altered.
    """
    try:
        evidence_check(evidence=evidence)
    except EvidenceTampered:
        with transaction.atomic():
            _custody(evidence=evidence, action=CustodyAction.TAMPER_DETECTED, actor=acting_user, purpose=purpose)
        return False
    with transaction.atomic():
        _custody(evidence=evidence, action=CustodyAction.VERIFIED, actor=acting_user, purpose=purpose, sha256=evidence.sha256_stored)
    return True


@transaction.atomic
def evidence_attach(*, evidence: EvidenceFile, incident: Any | None, acting_user: Any | None, purpose: str) -> bool:
    """Hand a file over to an incident (or take it back): the same file, its fingerprint checked
    and the hand-over written to its custody log, so the chain continues instead of starting again.

    Returns False when the check found the file missing or altered (logged as tampering).
    """
    evidence.incident = incident
    evidence.save(update_fields=["incident"])
    return evidence_verify(evidence=evidence, acting_user=acting_user, purpose=purpose)


@transaction.atomic
def evidence_delete(*, evidence: EvidenceFile, acting_user: Any | None, purpose: str = "") -> None:
    """Destroy the content of a file (withdrawn report, expired retention); the log remains."""
    storage.delete(evidence.storage_name)
    evidence.deleted_at = timezone.now()
    evidence.original_name = ""
    evidence.description = ""
    evidence.save(update_fields=["deleted_at", "original_name", "description"])
    _custody(evidence=evidence, action=CustodyAction.DELETED, actor=acting_user, purpose=purpose)


ORPHAN_AGE_SECONDS = 3600


def evidence_sweep_orphans(*, older_than_seconds: int = ORPHAN_AGE_SECONDS) -> int:
    """Remove blobs that no row refers to (left by a transaction that rolled back).

    Only blobs older than an hour: a younger one may belong to a transaction still running,
    whose row this sweep cannot see yet.
    """
    import time

    base = storage.root()
    if not base.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    candidates = {f"{p.parent.name}/{p.name}": p for p in base.glob("*/*.bin") if p.stat().st_mtime < cutoff}
    known = set(EvidenceFile.objects.filter(storage_name__in=list(candidates)).values_list("storage_name", flat=True))
    removed = 0
    for name, path in candidates.items():
        if name not in known:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
