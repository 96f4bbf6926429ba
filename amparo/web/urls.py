from __future__ import annotations

from django.urls import path

from amparo.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("organizacion/cambiar/", views.switch_organisation, name="switch_organisation"),
]
