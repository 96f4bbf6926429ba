"""`amparo members cut-off|lockdown|new-password`: the members page's emergency actions, for the operator."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts import services
from amparo.accounts.models import Membership, Organisation


class Command(BaseCommand):
    help = (
        "Emergency actions on members. cut-off: end every session, API token, field phone account and alarm browser "
        "of a member, with her password and two-factor devices (a phone or laptop was lost or seized). "
        "lockdown: sign every member of an organisation out and end its API tokens and alarm browsers. "
        "new-password: print a new password for a member who was cut off. Each is recorded in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        cut = sub.add_parser("cut-off", help="cut one member off everywhere")
        cut.add_argument("username")
        cut.add_argument("--org", required=True, help="the organisation's short name (slug)")
        cut.add_argument("--dry-run", action="store_true", help="say what would end and change nothing")
        lock = sub.add_parser("lockdown", help="sign everyone in an organisation out")
        lock.add_argument("--org", required=True)
        lock.add_argument("--dry-run", action="store_true", help="say what would end and change nothing")
        password = sub.add_parser("new-password", help="print a new password for a member (shown once)")
        password.add_argument("username")
        password.add_argument("--org", required=True)

    def handle(self, *args: Any, action: str, **o: Any) -> None:
        organisation = Organisation.objects.filter(slug=o["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the short name {o['org']!r}.")
        if action == "lockdown":
            counts = services.organisation_lockdown(organisation=organisation, acting_user=None, dry_run=o["dry_run"])
            self._report(counts, dry_run=o["dry_run"])
            return
        membership = Membership.objects.filter(organisation=organisation, user__username=o["username"]).select_related("user", "organisation").first()
        if membership is None:
            raise CommandError(f"{o['username']!r} is not a member of {organisation.slug}.")
        try:
            if action == "cut-off":
                self._report(services.member_cut_off(membership=membership, acting_user=None, dry_run=o["dry_run"]), dry_run=o["dry_run"])
            else:
                self.stdout.write(services.member_password_issue(membership=membership, acting_user=None))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))

    def _report(self, counts: dict[str, int], *, dry_run: bool) -> None:
        verb = "Would end" if dry_run else "Ended"
        self.stdout.write(f"{verb}: every session; " + ", ".join(f"{name} {count}" for name, count in counts.items()) + ".")
