"""`amparo evidence verify bundle.zip` — check an evidence bundle's signature and fingerprints.

Needs neither the database nor the master key (no system checks, no queries).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.response.lib import verify_cli


class Command(BaseCommand):
    help = "Evidence tools. `verify BUNDLE.zip` checks an evidence bundle offline."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check an evidence bundle (signature, fingerprints)")
        verify_cli.add_arguments(verify)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "verify":
            raise CommandError(f"unknown action {options['action']}")
        code = verify_cli.run(options["bundle"], options["fingerprint"], options["json"], self.stdout, self.stderr)  # type: ignore[arg-type]
        if code:
            raise SystemExit(code)
