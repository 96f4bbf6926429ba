from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "amparo.records"
    label = "records"
