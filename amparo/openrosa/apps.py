from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenrosaConfig(AppConfig):
    name = "amparo.openrosa"
    label = "openrosa"

    def ready(self) -> None:
        from amparo.accounts import cutoff
        from amparo.openrosa.services import _attachment_context, collectors_release
        from amparo.vault import registry

        cutoff.register(cutoff.Access(name="field_phones", label=_("field phone accounts"), release=collectors_release))
        # Data-key rotation re-seals attachments still waiting in the database (see amparo.vault.registry).
        registry.register_bytes(
            model="openrosa.SubmissionAttachment", field="sealed", context=lambda org_id: _attachment_context()
        )
