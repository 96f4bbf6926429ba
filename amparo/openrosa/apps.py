from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenrosaConfig(AppConfig):
    name = "amparo.openrosa"
    label = "openrosa"

    def ready(self) -> None:
        from amparo.accounts import cutoff
        from amparo.openrosa.services import collectors_release

        cutoff.register(cutoff.Access(name="field_phones", label=_("field phone accounts"), release=collectors_release))
