from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amparo.vault import crypto, keyring


class Command(BaseCommand):
    help = "Manage the master key that wraps every organisation's data keys: init | rotate | check."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="Create the master keyring file.")
        init.add_argument("--if-missing", action="store_true", help="Do nothing when the keyring exists.")
        rotate = sub.add_parser("rotate", help="Add a new master key and re-wrap every organisation key with it.")
        rotate.add_argument("--dry-run", action="store_true", help="Say what would change and change nothing.")
        rotate.add_argument("--retire-old", action="store_true", help="Afterwards drop old master keys from the file.")
        sub.add_parser("check", help="Unwrap every organisation key; exit 1 on any problem.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")(**options)

    def _init(self, *, if_missing: bool = False, **_: Any) -> None:
        path = keyring.keyring_path()
        if path is None:
            raise CommandError("The master key comes from AMPARO_MASTER_KEY; there is no file to create.")
        if path.exists():
            if if_missing:
                return
            raise CommandError(f"{path} exists already. Use `amparo keys rotate`.")
        kid = keyring.init_file(path)
        self.stdout.write(f"Created master key {kid} in {path}. Keep a copy offline: without it nothing can be decrypted.")

    def _rotate(self, *, dry_run: bool = False, retire_old: bool = False, **_: Any) -> None:
        path = keyring.keyring_path()
        if path is None or not path.exists():
            raise CommandError("Rotation writes the keyring file; set AMPARO_MASTER_KEY_FILE (keys in the environment are rotated by the operator).")
        old = keyring.load()
        from amparo.vault.models import OrganisationKey

        count = OrganisationKey.objects.count()
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
            ring = keyring.load()
            keyring.write_file(path, [(new_id, ring.get(new_id))])
            self.stdout.write(f"Removed old master keys: {', '.join(k for k, _ in old.keys)}.")

    def _check(self, **_: Any) -> None:
        problems = crypto.check_all()
        if problems:
            for p in problems:
                self.stderr.write(p)
            raise CommandError(f"{len(problems)} problem(s).")
        self.stdout.write(f"OK: every organisation key unwraps with the active master key {keyring.load().active_id}.")
