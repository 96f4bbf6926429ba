from __future__ import annotations

from django.urls import path

from amparo.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.funder_report, name="funder_report"),
    path("exportar/", views.funder_report_export, name="funder_report_export"),
]
