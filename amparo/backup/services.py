"""Backups as an operator runs them: make, keep (7 daily, 4 weekly, 12 monthly), check, restore, and tell admins when they stop."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.audit import services as audit
from amparo.backup import archive
from amparo.backup.models import BackupRun
from amparo.lib.locks import maintenance_lock
from amparo.lib.urls import absolute_url

log = logging.getLogger(__name__)

KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def backup_create(*, kind: str = BackupRun.Kind.MANUAL, recipients: list[str] | None = None, directory: Path | None = None) -> BackupRun:
    """Make one encrypted backup (with a fresh signed audit checkpoint), record how it went, prune old ones."""
    from amparo.audit import checkpoints

    run = BackupRun.objects.create(kind=kind, started_at=timezone.now())
    target = directory or backup_dir()
    try:
        with maintenance_lock():
            checkpoint = checkpoints.checkpoint_create()
            checkpoints_dir = target / "checkpoints"
            checkpoints_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            stamp = checkpoint["created_at"][:19].replace(":", "").replace("-", "")
            (checkpoints_dir / f"audit-checkpoint-{stamp}Z.json").write_text(checkpoints.checkpoint_dumps(checkpoint))
            created = archive.create(directory=target, recipient_texts=recipients, checkpoint=checkpoints.checkpoint_dumps(checkpoint))
    except Exception as exc:  # any failure is recorded and shown to admins, then re-raised
        BackupRun.objects.filter(pk=run.pk).update(
            status=BackupRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        run.refresh_from_db()
        audit.record(actor=None, action="backup.failed", target=run)
        raise
    BackupRun.objects.filter(pk=run.pk).update(
        status=BackupRun.Status.OK, finished_at=timezone.now(), file_name=created.path.name, size=created.size, sha256=created.sha256,
        error=("missing files: " + ", ".join(created.missing[:20])) if created.missing else "",
    )
    run.refresh_from_db()
    audit.record(actor=None, action="backup.created", target=run, detail={"size": created.size, "files": created.files})
    backup_prune(directory=target)
    return run


# -- retention ------------------------------------------------------------------------------


def retention_keep(times: list[datetime]) -> set[datetime]:
    """Which backups to keep: the newest of each of the last 7 days, 4 ISO weeks and 12 months that have one."""
    keep: set[datetime] = set()
    ordered = sorted(times, reverse=True)
    for bucket, count in (
        (lambda t: t.date(), KEEP_DAILY),
        (lambda t: t.isocalendar()[:2], KEEP_WEEKLY),
        (lambda t: (t.year, t.month), KEEP_MONTHLY),
    ):
        seen: list[Any] = []
        for t in ordered:
            b = bucket(t)
            if b not in seen:
                seen.append(b)
                if len(seen) > count:
                    break
                keep.add(t)
    return keep


def backup_list(*, directory: Path | None = None) -> list[tuple[datetime, Path]]:
    found = []
    root = directory or backup_dir()
    if root.exists():
        for path in root.iterdir():
            at = archive.parse_time(path.name)
            if at is not None:
                found.append((at, path))
    return sorted(found, reverse=True)


def backup_prune(*, directory: Path | None = None, dry_run: bool = False) -> list[Path]:
    backups = backup_list(directory=directory)
    keep = retention_keep([at for at, _ in backups])
    doomed = [path for at, path in backups if at not in keep]
    if not dry_run:
        for path in doomed:
            path.unlink(missing_ok=True)
    return doomed


# -- checking a restored (or any) instance --------------------------------------------------


@dataclass
class InstanceReport:
    sealed_values: int = 0
    files: int = 0
    audit_events: int = 0
    problems: list[str] = field(default_factory=list)


def instance_check(*, expected_counts: dict[str, int] | None = None, checkpoint: dict[str, Any] | None = None) -> InstanceReport:
    """Everything a restore drill promises: keys unwrap, every sealed field and file decrypts, the audit trail holds, counts match."""
    from amparo.audit import checkpoints
    from amparo.audit.models import AuditEvent
    from amparo.evidence.models import EvidenceFile
    from amparo.evidence.services import EvidenceTampered, evidence_check
    from amparo.vault import crypto, registry
    from amparo.vault.fields import encrypted_fields

    report = InstanceReport()
    report.problems += [f"key: {p}" for p in crypto.check_all()]
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields or model._meta.proxy:
            continue
        # Loading a row through the model unseals each field (EncryptedTextField.from_db_value), or raises.
        try:
            for _row in model._base_manager.only("pk", *[f.name for f in fields]).iterator(chunk_size=500):
                report.sealed_values += len(fields)
        except crypto.DecryptionError as exc:
            report.problems.append(f"{model._meta.label}: a sealed field does not decrypt ({exc})")
    for entry in registry.SEALED_BYTES:
        model = apps.get_model(entry.model)
        for org_id, value in model._base_manager.values_list("organisation_id", entry.field).iterator():
            if value:
                try:
                    crypto.decrypt_bytes(bytes(value), context=entry.context(org_id))
                    report.sealed_values += 1
                except crypto.DecryptionError as exc:
                    report.problems.append(f"{entry.model}.{entry.field}: {exc}")
    for evidence in EvidenceFile.objects.filter(deleted_at=None).iterator():
        try:
            evidence_check(evidence=evidence)
            report.files += 1
        except EvidenceTampered:
            report.problems.append(f"evidence file {evidence.uid} does not match its fingerprint")
    report.problems += [f"audit: {p}" for p in audit.verify()]
    if checkpoint:
        report.problems += [f"audit checkpoint: {p}" for p in checkpoints.checkpoint_verify(checkpoint)]
    report.audit_events = AuditEvent.objects.count()
    if expected_counts:
        q = connection.ops.quote_name
        with connection.cursor() as cur:
            for table, expected in sorted(expected_counts.items()):
                if table == BackupRun._meta.db_table:
                    continue  # a restore itself may note a run
                cur.execute(f"SELECT COUNT(*) FROM {q(table)}")  # noqa: S608
                got = cur.fetchone()[0]
                if got != expected:
                    report.problems.append(f"table {table}: {got} rows, the backup had {expected}")
    return report


# -- restore --------------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict[str, Any]
    files: int
    report: InstanceReport


def backup_restore(*, path: Path, identity_paths: list[str]) -> Restored:
    """Fill an empty instance from a backup, then check it whole. Refuses anything but an empty instance."""
    import json

    reasons = archive.instance_is_empty()
    if reasons:
        raise archive.BackupError("Restore only fills an empty instance: " + "; ".join(reasons) + ".")
    with archive.opened(path, identity_paths=identity_paths) as content:
        if content.problems:
            raise archive.BackupError("The backup is damaged: " + "; ".join(content.problems[:10]))
        archive.load_database(content.root, content.manifest)
        files = archive.load_files(content.root)
        checkpoint_file = content.root / archive.CHECKPOINT
        checkpoint = json.loads(checkpoint_file.read_text()) if checkpoint_file.exists() else None
    from amparo.vault import crypto, keyring

    keyring.forget()
    crypto.forget_keys()
    report = instance_check(expected_counts=content.manifest["counts"], checkpoint=checkpoint)
    audit.record(actor=None, action="backup.restored", detail={"from": path.name, "files": files, "problems": len(report.problems)})
    return Restored(content.manifest, files, report)


# -- telling admins -------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    message: str
    since: datetime | None


def backup_notice() -> Notice | None:
    """What admins should be told about backups now, or None when all is well.

    Shown in production, and wherever a backup was ever attempted (a laptop demo never is).
    """
    latest = BackupRun.objects.exclude(status=BackupRun.Status.RUNNING).order_by("-started_at").first()
    if latest is None and not settings.PRODUCTION:
        return None
    last_ok = BackupRun.objects.filter(status=BackupRun.Status.OK).order_by("-started_at").first()
    limit = timezone.now() - timedelta(hours=settings.BACKUP_MAX_AGE_HOURS)
    if latest is not None and latest.status == BackupRun.Status.FAILED:
        return Notice(_("The last backup failed. Until a backup works, a broken disk or a seized server would lose the records."), latest.started_at)
    if last_ok is None:
        return Notice(_("There is no backup of this server yet. Ask the person who runs the server to set up backups."), None)
    if last_ok.started_at < limit:
        return Notice(_("The last good backup is too old. Ask the person who runs the server to check the backups."), last_ok.started_at)
    return None


def admin_emails() -> list[str]:
    from amparo.accounts.models import Membership, Role

    emails = set(settings.OPERATOR_EMAILS)
    emails |= set(
        Membership.objects.filter(role=Role.ADMIN, is_active=True, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted(emails)


def backup_alert_if_needed() -> bool:
    """E-mail admins about a failed or missing backup, at most once a day. Returns whether it sent."""
    notice = backup_notice()
    if notice is None:
        return False
    day_ago = timezone.now() - timedelta(hours=23)
    if BackupRun.objects.filter(alerted_at__gte=day_ago).exists():
        return False
    recipients = admin_emails()
    if not recipients:
        return False
    anchor = BackupRun.objects.order_by("-started_at").first()
    if anchor is None:
        anchor = BackupRun.objects.create(kind=BackupRun.Kind.NIGHTLY, status=BackupRun.Status.FAILED, started_at=timezone.now(),
                                          finished_at=timezone.now(), error="no backup has ever run")
    # Claim the alert first, so two workers never both send it.
    if BackupRun.objects.filter(pk=anchor.pk, alerted_at=anchor.alerted_at).update(alerted_at=timezone.now()) != 1:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Amparo: backups need attention")
        when = timezone.localtime(notice.since).strftime("%Y-%m-%d %H:%M") if notice.since else "—"
        body = "\n\n".join([
            str(notice.message),
            _("Since: %(when)s. Server: %(site)s.") % {"when": when, "site": absolute_url("/")},
            _("The person who runs the server can see what went wrong with `amparo backup list`."),
        ])
    send_mail(subject, body, None, recipients, fail_silently=False)
    audit.record(actor=None, action="backup.alert_sent", target=anchor, detail={"recipients": len(recipients)})
    return True


def checkpoints_send() -> int:
    """E-mail each organisation's admins a signed checkpoint of their own audit chain. Returns how many e-mails."""
    from django.core.mail import EmailMessage

    from amparo.accounts.models import Membership, Organisation, Role
    from amparo.audit import checkpoints

    sent = 0
    for org in Organisation.objects.order_by("pk"):
        emails = sorted(set(
            Membership.objects.filter(organisation=org, role=Role.ADMIN, is_active=True, user__is_active=True)
            .exclude(user__email="").values_list("user__email", flat=True)
        ))
        if not emails:
            continue
        data = checkpoints.checkpoint_dumps(checkpoints.checkpoint_create(chain_keys=[f"org:{org.pk}"]))
        with translation.override(settings.LANGUAGE_CODE):
            message = EmailMessage(
                _("Amparo: today's audit checkpoint for %(org)s") % {"org": org.name},
                _(
                    "Attached is a signed record of where your organisation's audit trail stands today. "
                    "Keep these e-mails: if anyone ever edits or deletes the trail, comparing it with them "
                    "(`amparo audit verify --checkpoint FILE`) shows it."
                ),
                None, emails,
            )
        message.attach(f"audit-checkpoint-{org.slug}-{timezone.now():%Y%m%d}.json", data, "application/json")
        message.send(fail_silently=False)
        sent += 1
    return sent
