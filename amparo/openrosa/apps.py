from django.apps import AppConfig


class OpenrosaConfig(AppConfig):
    name = "amparo.openrosa"
    label = "openrosa"
