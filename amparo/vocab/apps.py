from django.apps import AppConfig


class VocabConfig(AppConfig):
    name = "amparo.vocab"
    label = "vocab"
