from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts.services import organisation_create


class Command(BaseCommand):
    help = "Create an organisation (a tenant) with its own encryption keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug", default="")
        parser.add_argument("--region", default="", help="INEI department code, e.g. 15 for Lima")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            org = organisation_create(name=o["name"], slug=o["slug"], department_code=o["region"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(f"Created organisation {org.name} ({org.slug}), id {org.pk}.")
