from __future__ import annotations

from django.urls import path

from amparo.programmes import edit_views, views

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
    path("<int:programme_id>/editar/", edit_views.programme_edit, name="programme_edit"),
    path("<int:programme_id>/eliminar/", edit_views.programme_delete, name="programme_delete"),
    path("indicadores/<int:indicator_id>/editar/", edit_views.indicator_edit, name="indicator_edit"),
    path("indicadores/<int:indicator_id>/eliminar/", edit_views.indicator_delete, name="indicator_delete"),
    path("actividades/<int:activity_id>/editar/", edit_views.activity_edit, name="activity_edit"),
    path("actividades/<int:activity_id>/eliminar/", edit_views.activity_delete, name="activity_delete"),
]
