from __future__ import annotations

from typing import Any

from django.core.management.commands import dbshell

from amparo.audit.guards import guard_decrypting_command


class Command(dbshell.Command):
    help = dbshell.Command.help + " Refused in production (it can bypass the audit trail's protections), audited always."

    def handle(self, **options: Any) -> None:
        guard_decrypting_command(command="dbshell", reads=["database (raw)"])
        return super().handle(**options)
