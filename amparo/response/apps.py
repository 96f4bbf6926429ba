from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "amparo.response"
    label = "response"
