from __future__ import annotations

from django.urls import path

from amparo.programmes import poster_views, views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("nuevo/", views.programme_create, name="programme_create"),
    path("<int:programme_id>/", views.programme_detail, name="programme_detail"),
    path("<int:programme_id>/informe.<str:fmt>", views.programme_report, name="programme_report"),
    path("<int:programme_id>/indicadores/", views.indicator_add, name="indicator_add"),
    path("actividades/", views.activity_list, name="activity_list"),
    path("actividades/nueva/", views.activity_create, name="activity_create"),
    path("lugares/", views.venue_list, name="venue_list"),
    path("lugares/nuevo/", views.venue_create, name="venue_create"),
    path("lugares/<int:venue_id>/", views.venue_edit, name="venue_edit"),
    path("lugares/<int:venue_id>/afiche.pdf", poster_views.venue_poster_pdf, name="venue_poster_pdf"),
    path("lugares/<int:venue_id>/qr.<str:kind>", poster_views.venue_qr, name="venue_qr"),
    path("lugares/<int:venue_id>/afiche/renovar/", poster_views.venue_poster_renew, name="venue_poster_renew"),
]
