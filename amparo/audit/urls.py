from __future__ import annotations

from django.urls import path

from amparo.audit import views

app_name = "audit"

urlpatterns = [path("", views.trail, name="trail")]
