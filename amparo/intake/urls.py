from __future__ import annotations

from django.urls import path

from amparo.intake import views

app_name = "intake"

urlpatterns = [
    # Public, anonymous (the middleware strips addresses from /r/ and forbids caching).
    path("r/<slug:org_slug>/", views.report, name="report"),
    path("r/<slug:org_slug>/seguimiento/", views.followup, name="followup"),
    path("r/<slug:org_slug>/seguimiento/agregar/", views.followup_add, name="followup_add"),
    path("r/<slug:org_slug>/seguimiento/retirar/", views.followup_withdraw, name="followup_withdraw"),
    # Staff.
    path("triaje/", views.triage_queue, name="triage_queue"),
    path("triaje/<int:report_id>/", views.triage_detail, name="triage_detail"),
    path("triaje/<int:report_id>/aceptar/", views.triage_accept, name="triage_accept"),
    path("triaje/<int:report_id>/unir/", views.triage_merge, name="triage_merge"),
    path("triaje/<int:report_id>/spam/", views.triage_spam, name="triage_spam"),
    path("triaje/<int:report_id>/deshacer/", views.triage_undo, name="triage_undo"),
    path("triaje/<int:report_id>/responder/", views.triage_reply, name="triage_reply"),
    path("triaje/<int:report_id>/archivos/<int:file_id>/", views.triage_file, name="triage_file"),
    path("triaje/formulario/", views.form_settings, name="form_settings"),
    path("triaje/formulario/qr.<str:kind>", views.qr_code, name="qr_code"),
    path("triaje/formulario/afiche/", views.poster_page, name="poster"),
    path("triaje/formulario/afiche.pdf", views.poster_pdf, name="poster_pdf"),
]
