from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

ROOT = Path(__file__).resolve().parents[3]


class Command(BaseCommand):
    help = "Fail when a committed .mo catalogue is out of date with its .po file (run `make messages`)."

    def handle(self, *args: Any, **options: Any) -> None:
        if shutil.which("msgfmt") is None:
            self.stdout.write("msgfmt is not installed; catalogue freshness not checked.")
            return
        stale = []
        for po in sorted(ROOT.rglob("locale/*/LC_MESSAGES/django.po")):
            mo = po.with_suffix(".mo")
            with tempfile.NamedTemporaryFile(suffix=".mo") as tmp:
                subprocess.run(["msgfmt", "--check-format", "-o", tmp.name, str(po)], check=True, capture_output=True)
                if not mo.exists() or Path(tmp.name).read_bytes() != mo.read_bytes():
                    stale.append(str(po.relative_to(ROOT.parent)))
        if stale:
            raise CommandError("Out-of-date catalogues (run `make messages`): " + ", ".join(stale))
        self.stdout.write("Catalogues are compiled and up to date.")
