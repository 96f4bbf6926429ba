from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "amparo.places"
    label = "places"
