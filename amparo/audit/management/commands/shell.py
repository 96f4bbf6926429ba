from __future__ import annotations

from typing import Any

from django.core.management.commands import shell

from amparo.audit.guards import guard_decrypting_command


class Command(shell.Command):
    help = shell.Command.help + " It reads sealed data decrypted: refused in production, audited always."

    def handle(self, **options: Any) -> None:
        guard_decrypting_command(command="shell", reads=["anything (interactive shell)" if not options.get("command") else "script"])
        return super().handle(**options)
