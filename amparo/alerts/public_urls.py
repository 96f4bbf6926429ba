"""Public routes, included at the root so they sit under /alertas/ and /emergencia/ (anonymous prefixes)."""

from __future__ import annotations

from django.urls import path

from amparo.alerts import public_views as views

app_name = "alerts_public"

urlpatterns = [
    path("alertas/sw.js", views.service_worker, name="service_worker"),
    path("alertas/confirmar/<str:token>/", views.confirm, name="confirm"),
    path("alertas/baja/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("alertas/<slug:org>/", views.subscribe, name="subscribe"),
    path("alertas/<slug:org>/<str:region>.atom", views.region_feed, name="feed"),
    path("emergencia/<str:token>/", views.emergency, name="emergency"),
]
