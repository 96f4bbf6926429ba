from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "amparo.response"
    label = "response"

    def ready(self) -> None:
        # Data-key rotation re-seals each organisation's bundle signing key (see amparo.vault.registry).
        from amparo.response.services import _signing_context
        from amparo.vault import registry

        registry.register_bytes(model="response.SigningKey", field="sealed_private_key", context=_signing_context)
