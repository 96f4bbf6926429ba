from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction

from amparo.vault import crypto, escrow, keyring

RESTORE_HINT = (
    "Put back the keyring file this database was made with (from the offline copy kept at installation), "
    "or rebuild it from the escrow shares with `amparo keys recover --key-id ID`, "
    "or point AMPARO_MASTER_KEY_FILE / AMPARO_MASTER_KEY at it. A new master key cannot read anything already stored."
)


def _stored_master_key_ids() -> set[str]:
    """Master key ids the database's wrapped keys need (empty when there is no schema yet)."""
    from amparo.vault.models import OrganisationKey

    try:
        return set(OrganisationKey.objects.filter(retired_at=None).values_list("master_key_id", flat=True).distinct())
    except DatabaseError:
        return set()


class Command(BaseCommand):
    help = (
        "Manage the master key that wraps every organisation's data keys: "
        "init | rotate | check | split | recover | rotate-data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="Create the master keyring file.")
        init.add_argument("--if-missing", action="store_true", help="Do nothing when the keyring exists and unwraps the database's keys.")
        rotate = sub.add_parser("rotate", help="Add a new master key and re-wrap every organisation key with it.")
        rotate.add_argument("--dry-run", action="store_true", help="Say what would change and change nothing.")
        rotate.add_argument("--retire-old", action="store_true", help="Afterwards re-key the audit trail and drop old master keys from the file.")
        sub.add_parser("check", help="Unwrap every organisation key; exit 1 on any problem.")
        split = sub.add_parser("split", help="Print the active master key as K-of-N SLIP-39 shares for trusted people to keep.")
        split.add_argument("--shares", type=int, required=True, help="How many shares (N, at most 16).")
        split.add_argument("--threshold", type=int, required=True, help="How many shares rebuild the key (K, 2..N).")
        split.add_argument("--qr-dir", help="Also write one QR code (SVG) per share into this folder.")
        recover = sub.add_parser("recover", help="Rebuild the master key from any K shares (one per line on standard input).")
        recover.add_argument("--key-id", required=True, help="The key id printed beside every share.")
        recover.add_argument("--output", help="Keyring file to write (default: AMPARO_MASTER_KEY_FILE). Refuses to overwrite.")
        recover.add_argument("--print", dest="print_env", action="store_true", help="Print an AMPARO_MASTER_KEY value instead of writing a file.")
        data = sub.add_parser("rotate-data", help="Re-seal everything of one organisation under a new data key (resumable).")
        data.add_argument("--org", required=True, help="The organisation's short name (slug).")
        data.add_argument("--batch-size", type=int, default=200)
        data.add_argument("--grace-seconds", type=float, default=None, help="Wait this long for running processes to move to the new key before retiring the old one (default 120).")
        data.add_argument("--pause", type=float, default=0.0, help="Seconds to rest between batches, to spare a busy server.")
        data.add_argument("--dry-run", action="store_true", help="Say how many values each data key seals and change nothing.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _init(self, *, if_missing: bool = False, **_: Any) -> None:
        path = keyring.keyring_path()
        if path is None:
            raise CommandError("The master key comes from AMPARO_MASTER_KEY; there is no file to create.")
        needed = _stored_master_key_ids()
        if path.exists():
            if not if_missing:
                raise CommandError(f"{path} exists already. Use `amparo keys rotate`.")
            missing = needed - set(keyring.load().ids())
            problems = [p for p in crypto.check_all() if "still wrapped by old" not in p] if needed else []
            if missing or problems:
                raise CommandError(
                    f"The keyring at {path} cannot unwrap this database's keys (it needs master key(s) "
                    f"{', '.join(sorted(needed))}). {RESTORE_HINT}"
                )
            return
        if needed:
            raise CommandError(
                f"This database holds keys wrapped by master key(s) {', '.join(sorted(needed))}, "
                f"and there is no keyring at {path}. Refusing to make a new one. {RESTORE_HINT}"
            )
        kid = keyring.init_file(path)
        self.stdout.write(f"Created master key {kid} in {path}. Keep a copy offline (or split it: `amparo keys split`): without it nothing can be decrypted.")

    def _rotate(self, *, dry_run: bool = False, retire_old: bool = False, **_: Any) -> None:
        path = keyring.keyring_path()
        if path is None or not path.exists():
            raise CommandError("Rotation writes the keyring file; set AMPARO_MASTER_KEY_FILE (keys in the environment are rotated by the operator).")
        old = keyring.load()
        from amparo.vault.models import OrganisationKey

        count = OrganisationKey.objects.filter(retired_at=None).count()
        if dry_run:
            self.stdout.write(f"Would add a new master key and re-wrap {count} organisation keys (active now: {old.active_id}).")
            return
        new_id = keyring.new_key_id()
        # 1. The new key joins the ring (old ones stay, so nothing is unreadable at any moment).
        keyring.write_file(path, [*old.keys, (new_id, keyring.new_key())])
        # 2. Every organisation key is re-wrapped in one transaction.
        with transaction.atomic():
            moved = crypto.rewrap_all()
        problems = crypto.check_all()
        if problems:
            raise CommandError("After rotation: " + "; ".join(problems))
        self.stdout.write(f"Active master key is now {new_id}; re-wrapped {moved} organisation keys.")
        if retire_old:
            from amparo.audit.services import RekeyRefused, rekey

            # The audit chain is keyed by a secret derived from the master key: move it too.
            try:
                rehashed = rekey()
            except RekeyRefused as exc:
                raise CommandError(f"Old master keys kept: the audit trail is broken and was not re-keyed ({exc}).")
            ring = keyring.load()
            keyring.write_file(path, [(new_id, ring.get(new_id))])
            self.stdout.write(f"Re-keyed {rehashed} audit events. Removed old master keys: {', '.join(k for k, _ in old.keys)}.")
            self.stdout.write("Split the new key again (`amparo keys split`) and take a new audit checkpoint: old shares and checkpoints no longer match.")

    def _check(self, **_: Any) -> None:
        problems = crypto.check_all()
        if problems:
            for p in problems:
                self.stderr.write(p)
            raise CommandError(f"{len(problems)} problem(s).")
        self.stdout.write(f"OK: every organisation key unwraps with the active master key {keyring.load().active_id}.")

    def _split(self, *, shares: int, threshold: int, qr_dir: str | None = None, **_: Any) -> None:
        ring = keyring.load()
        old = _stored_master_key_ids() - {ring.active_id}
        if old:
            raise CommandError(
                f"Some organisation keys are still wrapped by {', '.join(sorted(old))}; shares of the active key alone "
                "would not recover them. Run `amparo keys rotate` first."
            )
        try:
            parts = escrow.split(key=ring.active_key, shares=shares, threshold=threshold)
        except escrow.EscrowError as exc:
            raise CommandError(str(exc))
        from amparo.audit import services as audit

        audit.record(actor=None, action="keys.split", detail={"master_key": ring.active_id, "shares": shares, "threshold": threshold})
        out = self.stdout
        out.write(f"Master key {ring.active_id}: {shares} shares, any {threshold} rebuild it; fewer reveal nothing.")
        out.write("Give each share to a different trusted person, on paper. Never store them together, or on this server.\n")
        for part in parts:
            out.write(f"Share {part.number} of {shares} — key id {ring.active_id} — threshold {threshold}")
            out.write(part.words + "\n")
        if qr_dir:
            paths = escrow.write_qr_codes(parts, key_id=ring.active_id, directory=Path(qr_dir))
            out.write(f"Wrote {len(paths)} QR codes to {qr_dir}: print them, then delete the files.")

    def _recover(self, *, key_id: str, output: str | None = None, print_env: bool = False, **_: Any) -> None:
        lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
        try:
            key = escrow.recover(lines)
        except escrow.EscrowError as exc:
            raise CommandError(str(exc))
        if print_env:
            self.stdout.write(escrow.keyring_line(key_id, key))
            return
        path = Path(output) if output else keyring.keyring_path()
        if path is None:
            raise CommandError("Say where to write the keyring (--output FILE), or use --print.")
        if path.exists():
            raise CommandError(f"{path} exists already; refusing to overwrite a keyring. Move it away first.")
        keyring.write_file(path, [(key_id, key)])
        self.stdout.write(f"Rebuilt master key {key_id} into {path}.")
        if keyring.keyring_path() == path and _stored_master_key_ids():
            problems = crypto.check_all()
            self.stdout.write("It unwraps every organisation key." if not problems else "But: " + "; ".join(problems))

    def _rotate_data(
        self, *, org: str, batch_size: int, grace_seconds: float | None, pause: float = 0.0, dry_run: bool = False, **_: Any
    ) -> None:
        from amparo.accounts.models import Organisation
        from amparo.vault import rotation

        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation {org!r}.")
        if dry_run:
            for version, n in sorted(rotation.key_usage(org_id=organisation.pk).items()):
                self.stdout.write(f"data key version {version}: {n} sealed values and files")
            return

        def progress(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        from amparo.lib.locks import maintenance_lock

        with maintenance_lock():  # never while a backup copies files and database apart
            report = rotation.rotate_data_key(
                org_id=organisation.pk, batch_size=batch_size, grace_seconds=grace_seconds, progress=progress, pause_seconds=pause
            )
        if report.left:
            raise CommandError(f"{report.left} values still use an old key (written meanwhile); run the command again.")
        retired = ", ".join(f"v{v}" for v in report.retired) or "none"
        self.stdout.write(
            f"Done: {organisation.slug} seals with data key v{report.target_version}; re-sealed {report.values} values "
            f"and {report.files} files; retired {retired}."
        )
