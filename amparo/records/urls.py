from __future__ import annotations

from django.urls import path

from amparo.records import views

app_name = "records"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("nuevo/", views.incident_create, name="incident_create"),
    path("<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("<int:incident_id>/editar/", views.incident_edit, name="incident_edit"),
    path("<int:incident_id>/gestion/", views.incident_manage, name="incident_manage"),
    path("<int:incident_id>/eliminar/", views.incident_delete_view, name="incident_delete"),
    path("<int:incident_id>/personas/", views.incident_person_add, name="incident_person_add"),
    path("personas/", views.person_list, name="person_list"),
    path("personas/<int:person_id>/", views.person_detail, name="person_detail"),
    path("personas/<int:person_id>/editar/", views.person_edit, name="person_edit"),
]
