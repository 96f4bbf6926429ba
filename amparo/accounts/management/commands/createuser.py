from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amparo.accounts.models import Organisation, Role
from amparo.accounts.services import membership_create, user_create


class Command(BaseCommand):
    help = "Create a staff account and give it a role in an organisation. The password is asked for (or read from AMPARO_NEW_PASSWORD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--network-admin", action="store_true", help="May edit the shared vocabularies.")

    def handle(self, *args: Any, **o: Any) -> None:
        import os

        try:
            org = Organisation.objects.get(slug=o["org"])
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation with slug {o['org']!r}.")
        password = os.environ.get("AMPARO_NEW_PASSWORD") or getpass.getpass("Password: ")
        try:
            with transaction.atomic():
                user = user_create(username=o["username"], password=password, email=o["email"], is_network_admin=o["network_admin"])
                membership_create(user=user, organisation=org, role=o["role"], acting_user=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(f"Created {user.username} as {o['role']} in {org.slug}. Two-factor set-up is asked at first sign-in.")
