from __future__ import annotations

from django.urls import path

from amparo.openrosa import views

app_name = "openrosa"

# Staff screens first: their fixed prefix can never be taken for an organisation's slug path.
urlpatterns = [
    path("gestion/telefonos/", views.phones, name="phones"),
    path("gestion/telefonos/<int:collector_id>/reemitir/", views.phone_reissue, name="phone_reissue"),
    path("gestion/telefonos/<int:collector_id>/revocar/", views.phone_revoke, name="phone_revoke"),
    path("gestion/formularios/<slug:form_id>.xlsx", views.form_xlsx, name="form_xlsx"),
    path("gestion/formularios/<slug:form_id>/", views.form_settings, name="form_settings"),
    path("gestion/clave/", views.form_key_rotate, name="form_key_rotate"),
    path("gestion/envios/", views.submissions, name="submissions"),
    path("gestion/envios/<int:submission_id>/", views.submission_detail, name="submission_detail"),
    path("gestion/envios/<int:submission_id>/registrar/", views.submission_retry, name="submission_retry"),
    path("gestion/envios/<int:submission_id>/atendido/", views.submission_handled, name="submission_handled"),
    # What ODK Collect / KoboCollect call, given the server URL /odk/<slug>.
    path("<slug:slug>/formList", views.form_list, name="form_list"),
    path("<slug:slug>/submission", views.submission, name="submission"),
    path("<slug:slug>/forms/<slug:form_id>/<str:version>/form.xml", views.form_xml, name="form_xml"),
    path("<slug:slug>/forms/<slug:form_id>/<str:version>/manifest", views.form_manifest, name="form_manifest"),
    path("<slug:slug>/forms/<slug:form_id>/<str:version>/media/<str:filename>", views.form_media, name="form_media"),
]
