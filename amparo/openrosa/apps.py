from django.apps import AppConfig


class OpenrosaConfig(AppConfig):
    name = "amparo.openrosa"
    label = "openrosa"

    def ready(self) -> None:
        # Data-key rotation re-seals attachments still waiting in the database (see amparo.vault.registry).
        from amparo.openrosa.services import _attachment_context
        from amparo.vault import registry

        registry.register_bytes(
            model="openrosa.SubmissionAttachment", field="sealed", context=lambda org_id: _attachment_context()
        )
