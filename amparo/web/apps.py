from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "amparo.web"
    label = "web"
