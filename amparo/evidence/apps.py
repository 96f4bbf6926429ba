from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "amparo.evidence"
    label = "evidence"

    def ready(self) -> None:
        # Data-key rotation re-encrypts every stored file (see amparo.vault.registry).
        from amparo.evidence import storage
        from amparo.vault import registry

        registry.register_files(
            model="evidence.EvidenceFile", name_field="storage_name", path=storage.path_for, context=storage._context
        )
