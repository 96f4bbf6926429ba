from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.commands import dumpdata

from amparo.audit.guards import guard_decrypting_command
from amparo.vault.fields import encrypted_fields


class Command(dumpdata.Command):
    help = dumpdata.Command.help + " Sealed fields come out decrypted: refused in production, audited always."

    def handle(self, *app_labels: str, **options: Any) -> None:
        models = []
        for label in app_labels or [a.label for a in apps.get_app_configs()]:
            app_label, _, model_name = label.partition(".")
            config = apps.get_app_config(app_label) if app_label in {a.label for a in apps.get_app_configs()} else None
            if config is None:
                continue
            for model in config.get_models():
                if not model_name or model._meta.model_name == model_name.lower():
                    models.append(model)
        reads = [f"{m._meta.label_lower}.{f.name}" for m in models for f in encrypted_fields(m)]
        guard_decrypting_command(command="dumpdata", reads=reads or [label for label in app_labels] or ["all"])
        super().handle(*app_labels, **options)
