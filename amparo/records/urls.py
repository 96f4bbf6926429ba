from __future__ import annotations

from django.urls import path, re_path

from amparo.records import views

app_name = "records"

urlpatterns = [
    path("incidentes/", views.incident_list, name="incident_list"),
    path("incidentes/nuevo/", views.incident_create, name="incident_create"),
    path("incidentes/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("incidentes/<int:incident_id>/editar/", views.incident_edit, name="incident_edit"),
    path("incidentes/<int:incident_id>/gestion/", views.incident_manage, name="incident_manage"),
    path("incidentes/<int:incident_id>/eliminar/", views.incident_delete_view, name="incident_delete"),
    path("incidentes/<int:incident_id>/personas/", views.incident_person_add, name="incident_person_add"),
    path("personas/", views.person_list, name="person_list"),
    path("personas/<int:person_id>/", views.person_detail, name="person_detail"),
    path("personas/<int:person_id>/editar/", views.person_edit, name="person_edit"),
    # Incidents lived under /casos/ until "caso" came to mean only the legal case: bookmarks,
    # printed links and e-mails keep working.
    re_path(r"^casos/(?P<rest>.*)$", views.old_case_url_redirect),
]
