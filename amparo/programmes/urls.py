from __future__ import annotations

from django.urls import path

from amparo.programmes import activity_views, edit_views, poster_views, views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("nuevo/", views.programme_create, name="programme_create"),
    path("<int:programme_id>/", views.programme_detail, name="programme_detail"),
    path("<int:programme_id>/indicadores/", views.indicator_add, name="indicator_add"),
    path("actividades/", views.activity_list, name="activity_list"),
    path("actividades/nueva/", views.activity_create, name="activity_create"),
    path("lugares/", views.venue_list, name="venue_list"),
    path("lugares/nuevo/", views.venue_create, name="venue_create"),
    path("lugares/<int:venue_id>/", views.venue_edit, name="venue_edit"),
    path("actividades/<int:activity_id>/", activity_views.activity_detail, name="activity_detail"),
    path("actividades/<int:activity_id>/hito/", activity_views.activity_mark_milestone, name="activity_mark_milestone"),
    path("actividades/<int:activity_id>/derivar/", activity_views.activity_referral_create, name="activity_referral_create"),
    path("actividades/<int:activity_id>/tratamiento/", activity_views.care_linkage_create, name="care_linkage_create"),
    path("tratamiento/", activity_views.care_linkage_list, name="care_linkage_list"),
    path("tratamiento/<int:linkage_id>/", activity_views.care_linkage_update, name="care_linkage_update"),
    path("<int:programme_id>/editar/", edit_views.programme_edit, name="programme_edit"),
    path("<int:programme_id>/eliminar/", edit_views.programme_delete, name="programme_delete"),
    path("indicadores/<int:indicator_id>/editar/", edit_views.indicator_edit, name="indicator_edit"),
    path("indicadores/<int:indicator_id>/eliminar/", edit_views.indicator_delete, name="indicator_delete"),
    path("actividades/<int:activity_id>/editar/", edit_views.activity_edit, name="activity_edit"),
    path("actividades/<int:activity_id>/eliminar/", edit_views.activity_delete, name="activity_delete"),
    path("lugares/<int:venue_id>/afiche.pdf", poster_views.venue_poster_pdf, name="venue_poster_pdf"),
    path("lugares/<int:venue_id>/qr.<str:kind>", poster_views.venue_qr, name="venue_qr"),
    path("lugares/<int:venue_id>/afiche/renovar/", poster_views.venue_poster_renew, name="venue_poster_renew"),
]
