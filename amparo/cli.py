"""The `amparo` console command: a front door to the management commands operators need.

    amparo serve [addr:port]     serve the site (development server; use gunicorn in production)
    amparo migrate               create or update the database
    amparo demo                  load synthetic demo data (two organisations, every role)
    amparo backup create/verify/restore   encrypted backups (age format); see docs/operations-keys.md
    amparo createorg / createuser / keys / audit / evidence …   see `amparo help`
"""

from __future__ import annotations

import os
import sys

ALIASES = {"serve": "runserver"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["help", "--commands"]
    if args[:2] == ["evidence", "verify"]:
        # Checking a bundle needs no settings, database or master key (a prosecutor's machine).
        from amparo.response.lib.verify_cli import standalone_main

        sys.exit(standalone_main(args[2:]))
    args[0] = ALIASES.get(args[0], args[0])
    if args[0] == "runserver" and "--noreload" not in args:
        args.append("--noreload")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amparo", *args])


if __name__ == "__main__":
    main()
