from __future__ import annotations

from django.urls import path

from amparo.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("grafico/<slug:name>.<str:fmt>", views.dashboard_chart, name="dashboard_chart"),
    path("red/", views.network, name="network"),
    path("hitos/", views.milestones, name="milestones"),
    path("hitos/<int:pk>/borrar/", views.milestone_delete, name="milestone_delete"),
    path("compartir/", views.sharing, name="sharing"),
    path("exportar/", views.exports_page, name="exports"),
    path("exportar/registros.<str:fmt>", views.export_records, name="export_records"),
    path("exportar/observatorio.<str:fmt>", views.export_observatory, name="export_observatory"),
    path("exportar/red-registros.<str:fmt>", views.export_network_records, name="export_network_records"),
    path("exportar/informe.pdf", views.funder_report, name="funder_report"),
    # Public pages: no account needed, no trace kept (see apps.py). The network first: "red" is reserved.
    path("publico/red/", views.public_page, name="public_network"),
    path("publico/red/grafico/<slug:name>.<str:fmt>", views.public_chart, name="public_network_chart"),
    path("publico/<slug:slug>/", views.public_page, name="public_org"),
    path("publico/<slug:slug>/grafico/<slug:name>.<str:fmt>", views.public_chart, name="public_org_chart"),
]
