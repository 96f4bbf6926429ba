from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.audit import checkpoints
from amparo.audit.models import AuditEvent
from amparo.audit.services import RekeyRefused, rekey, verify


class Command(BaseCommand):
    help = "The audit trail: verify its keyed hash chains (against a signed checkpoint), take a checkpoint, re-key, or show its latest events."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="Recompute every hash chain; exit 1 and say which rows were edited or deleted.")
        v.add_argument("--org", type=int, help="Only this organisation's chain (its id).")
        v.add_argument(
            "--checkpoint", action="append", default=[], metavar="FILE",
            help="Also compare with a signed checkpoint (repeatable): finds cut tails, renumbering and deleted chains.",
        )
        c = sub.add_parser("checkpoint", help="Write a signed checkpoint of every chain head (to FILE, or print it).")
        c.add_argument("--output", "-o", metavar="FILE", help="Write here instead of printing.")
        c.add_argument("--org", type=int, help="Only this organisation's chain (its id).")
        r = sub.add_parser("rekey", help="Key every chain with the active master key (after upgrading, or before retiring an old master key).")
        r.add_argument("--dry-run", action="store_true", help="Say how many events would be re-hashed and change nothing.")
        t = sub.add_parser("tail", help="Show the latest events.")
        t.add_argument("-n", type=int, default=20)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")(**options)

    def _verify(self, *, org: int | None = None, checkpoint: list[str], **_: Any) -> None:
        keys = [f"org:{org}"] if org else None
        problems = verify(chain_keys=keys)
        for path in checkpoint:
            try:
                data = checkpoints.checkpoint_load(Path(path))
            except checkpoints.CheckpointError as exc:
                raise CommandError(str(exc))
            found = checkpoints.checkpoint_verify(data)
            if keys is not None:
                found = [p for p in found if p.chain in keys or p.chain == "checkpoint"]
            problems += found
        if problems:
            for p in problems:
                self.stderr.write(str(p))
            if all("unkeyed hash" in p.message for p in problems):
                raise CommandError("The audit trail was written before hashes were keyed: run `amparo audit rekey` once.")
            raise CommandError(f"The audit trail was tampered with: {len(problems)} problem(s).")
        against = f", and nothing lost or rewritten since {len(checkpoint)} checkpoint(s)" if checkpoint else ""
        self.stdout.write(f"OK: {AuditEvent.objects.count()} events, every chain intact{against}.")

    def _checkpoint(self, *, output: str | None = None, org: int | None = None, **_: Any) -> None:
        data = checkpoints.checkpoint_create(chain_keys=[f"org:{org}"] if org else None)
        text = checkpoints.checkpoint_dumps(data)
        if output:
            Path(output).write_text(text)
            self.stdout.write(f"Wrote a checkpoint of {len(data['chains'])} chain(s) to {output}. Keep it off this server.")
        else:
            sys.stdout.write(text)

    def _rekey(self, *, dry_run: bool = False, **_: Any) -> None:
        try:
            changed = rekey(dry_run=dry_run)
        except RekeyRefused as exc:
            raise CommandError(f"Refused: the trail is already broken, and re-keying would hide it. {exc}")
        verb = "Would re-hash" if dry_run else "Re-hashed"
        self.stdout.write(f"{verb} {changed} events under the active master key.")
        if changed and not dry_run:
            self.stdout.write("Checkpoints taken before now no longer match: take a new one (`amparo audit checkpoint -o FILE`).")

    def _tail(self, *, n: int, **_: Any) -> None:
        for e in AuditEvent.objects.order_by("-created_at", "-seq")[:n]:
            self.stdout.write(f"{e.created_at:%Y-%m-%d %H:%M:%S} {e.chain_key:>8} #{e.seq} {e.actor_label or '-'} {e.action} {e.target_type}:{e.target_id} {','.join(e.fields)}")
