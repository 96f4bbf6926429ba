from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "amparo.insights"
    label = "insights"
