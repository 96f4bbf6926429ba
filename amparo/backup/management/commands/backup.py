from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from amparo.backup import archive, services
from amparo.backup.models import BackupRun


class Command(BaseCommand):
    help = "Encrypted backups (age format): create | list | verify | restore | prune."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Write an encrypted backup of the database and every evidence file.")
        create.add_argument("--recipient", action="append", default=[], help="age public key (age1…); default AMPARO_BACKUP_RECIPIENTS.")
        create.add_argument("--output-dir", help="Folder to write into (default AMPARO_BACKUP_DIR).")
        create.add_argument(
            "--nightly", action="store_true",
            help="The whole nightly round (backup, prune, alerts, checkpoint e-mails), for a systemd timer.",
        )
        sub.add_parser("list", help="Backups in the backup folder, and how the last runs went.")
        for name, text in (
            ("verify", "Decrypt a backup and check every SHA-256 and the database snapshot, without restoring."),
            ("restore", "Fill an EMPTY instance (new database, empty data folder) from a backup, then check it whole."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("file")
            p.add_argument("--identity", "-i", action="append", required=True, help="age identity file (AGE-SECRET-KEY-…).")
        prune = sub.add_parser("prune", help="Delete backups beyond 7 daily, 4 weekly and 12 monthly.")
        prune.add_argument("--dry-run", action="store_true", help="Say what would be deleted and delete nothing.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except archive.BackupError as exc:
            raise CommandError(str(exc))

    def _create(self, *, recipient: list[str], output_dir: str | None = None, nightly: bool = False, **_: Any) -> None:
        started = time.monotonic()
        if nightly:
            from amparo.backup.tasks import nightly as nightly_round

            status = nightly_round()
            self.stdout.write(f"Nightly backup: {status} ({time.monotonic() - started:.1f} s).")
            if status != BackupRun.Status.OK:
                raise CommandError("The nightly backup failed; admins were told. See `amparo backup list`.")
            return
        run = services.backup_create(recipients=recipient or None, directory=Path(output_dir) if output_dir else None)
        where = Path(output_dir) if output_dir else services.backup_dir()
        self.stdout.write(
            f"Wrote {where / run.file_name} ({run.size} bytes, {filesizeformat(run.size)}) in {time.monotonic() - started:.1f} s; "
            f"SHA-256 {run.sha256}."
        )
        if run.error:
            self.stderr.write(f"Warning: {run.error}")

    def _list(self, **_: Any) -> None:
        for at, path in services.backup_list():
            self.stdout.write(f"{at:%Y-%m-%d %H:%M} UTC  {filesizeformat(path.stat().st_size):>10}  {path.name}")
        for run in BackupRun.objects.order_by("-started_at")[:10]:
            self.stdout.write(f"run {run.started_at:%Y-%m-%d %H:%M} {run.kind:<8} {run.status:<8} {run.file_name or ''} {run.error[:200]}")
        notice = services.backup_notice()
        if notice:
            self.stderr.write(str(notice.message))

    def _verify(self, *, file: str, identity: list[str], **_: Any) -> None:
        with archive.opened(Path(file), identity_paths=identity) as content:
            manifest = content.manifest
            for problem in content.problems:
                self.stderr.write(problem)
            if content.problems:
                raise CommandError(f"{Path(file).name}: {len(content.problems)} problem(s).")
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"OK: {Path(file).name} from {manifest['created_at']}: {manifest['database']['vendor']} snapshot of {rows} rows "
            f"and {len(manifest['files']) - 1} files, every SHA-256 matches."
        )
        if manifest.get("missing"):
            self.stderr.write(f"Note: {len(manifest['missing'])} files were already missing when it was made.")
        self.stdout.write(f"Restoring it needs master key(s): {', '.join(manifest['master_keys_needed']) or '(none)'}.")

    def _restore(self, *, file: str, identity: list[str], **_: Any) -> None:
        started = time.monotonic()
        restored = services.backup_restore(path=Path(file), identity_paths=identity)
        report = restored.report
        for problem in report.problems:
            self.stderr.write(problem)
        summary = (
            f"{sum(restored.manifest['counts'].values())} rows, {restored.files} files restored in {time.monotonic() - started:.1f} s; "
            f"{report.sealed_values} sealed values and {report.files} evidence files decrypt; {report.audit_events} audit events."
        )
        if report.problems:
            raise CommandError(f"Restored, but {len(report.problems)} problem(s): {summary}")
        self.stdout.write(f"OK: {summary} The audit trail verifies, against the backup's checkpoint too, and every count matches.")
        self.stdout.write("Next: `amparo migrate` (if this version is newer), then start the services.")

    def _prune(self, *, dry_run: bool = False, **_: Any) -> None:
        doomed = services.backup_prune(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {len(doomed)} backups: {', '.join(p.name for p in doomed) or 'none'}.")
