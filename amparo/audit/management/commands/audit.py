from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.audit.models import AuditEvent
from amparo.audit.services import verify


class Command(BaseCommand):
    help = "The audit trail: verify its hash chains, or show its latest events."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="Recompute every hash chain; exit 1 and say which rows were edited or deleted.")
        v.add_argument("--org", type=int, help="Only this organisation's chain (its id).")
        t = sub.add_parser("tail", help="Show the latest events.")
        t.add_argument("-n", type=int, default=20)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            keys = [f"org:{options['org']}"] if options.get("org") else None
            problems = verify(chain_keys=keys)
            if problems:
                for p in problems:
                    self.stderr.write(str(p))
                raise CommandError(f"The audit trail was tampered with: {len(problems)} problem(s).")
            self.stdout.write(f"OK: {AuditEvent.objects.count()} events, every chain intact.")
        else:
            for e in AuditEvent.objects.order_by("-created_at", "-seq")[: options["n"]]:
                self.stdout.write(f"{e.created_at:%Y-%m-%d %H:%M:%S} {e.chain_key:>8} #{e.seq} {e.actor_label or '-'} {e.action} {e.target_type}:{e.target_id} {','.join(e.fields)}")
