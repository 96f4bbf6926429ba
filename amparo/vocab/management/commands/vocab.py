from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amparo.vocab.seed import sync


class Command(BaseCommand):
    help = "Controlled vocabularies: `sync` adds terms from the shipped fixture (never overwrites edits)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync"])

    def handle(self, *args: Any, **o: Any) -> None:
        self.stdout.write(f"Added {sync()} new terms.")
