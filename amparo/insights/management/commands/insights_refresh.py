"""Rebuild every organisation's aggregates and every published summary (after an import or the demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from amparo.accounts.models import Organisation
from amparo.insights import services


class Command(BaseCommand):
    help = "Rebuild statistics aggregates and the protected public/network summaries."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--dry-run", action="store_true", help="List the organisations that would be rebuilt.")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        orgs = list(Organisation.objects.order_by("pk").values_list("pk", "name"))
        for pk, name in orgs:
            if options["dry_run"]:
                self.stdout.write(f"would rebuild {name}")
                continue
            rows = services.aggregates_refresh(organisation_id=pk, publish=False)
            self.stdout.write(f"{name}: {rows} aggregate rows")
        if not options["dry_run"]:
            services.summaries_publish()
            self.stdout.write(self.style.SUCCESS("Published summaries rebuilt."))
