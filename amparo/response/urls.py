from __future__ import annotations

from django.urls import path

from amparo.response import views

app_name = "response"

urlpatterns = [
    path("tareas/", views.my_tasks, name="tasks"),
    path("recordatorios/<int:reminder_id>/descartar/", views.reminder_dismiss, name="reminder_dismiss"),
    path("pendientes/", views.overdue, name="overdue"),
    path("directorio/", views.directory, name="directory"),
    path("directorio/nuevo/", views.service_create, name="service_create"),
    path("directorio/<int:service_id>/", views.service_detail, name="service_detail"),
    path("directorio/<int:service_id>/editar/", views.service_edit, name="service_edit"),
    path("incidentes/<int:incident_id>/", views.incident_response, name="incident_response"),
    path("incidentes/<int:incident_id>/evidencia/", views.incident_evidence_add, name="incident_evidence_add"),
    path("evidencia/<uuid:evidence_uid>/", views.evidence_detail, name="evidence_detail"),
    path("evidencia/<uuid:evidence_uid>/descargar/", views.evidence_download, name="evidence_download"),
    path("evidencia/<uuid:evidence_uid>/verificar/", views.evidence_verify, name="evidence_verify"),
    path("derivaciones/", views.referral_list, name="referral_list"),
    path("derivaciones/nueva/", views.referral_create, name="referral_create"),
    path("derivaciones/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("derivaciones/<int:referral_id>/estado/", views.referral_status, name="referral_status"),
    path("derivaciones/<int:referral_id>/respuesta/", views.referral_answer, name="referral_answer"),
    path("derivaciones/<int:referral_id>/caso-legal/", views.referral_open_case, name="referral_open_case"),
    path("derivaciones/<int:referral_id>/valoracion/", views.referral_feedback, name="referral_feedback"),
    path("casos/", views.case_list, name="case_list"),
    path("casos/nuevo/", views.case_create, name="case_create"),
    path("casos/<int:case_id>/", views.case_detail, name="case_detail"),
    path("casos/<int:case_id>/rutas/", views.case_route_start, name="case_route_start"),
    path("casos/<int:case_id>/rutas/<int:route_id>/etapa/", views.case_route_advance, name="case_route_advance"),
    path("casos/<int:case_id>/eventos/", views.case_event_add, name="case_event_add"),
    path("casos/<int:case_id>/audiencias/", views.case_hearing_add, name="case_hearing_add"),
    path("casos/<int:case_id>/plazos/", views.case_deadline_add, name="case_deadline_add"),
    path("casos/<int:case_id>/abogada/", views.case_lawyer, name="case_lawyer"),
    path("casos/<int:case_id>/cerrar/", views.case_close, name="case_close"),
    path("casos/<int:case_id>/documentos/", views.case_document_add, name="case_document_add"),
    path("casos/<int:case_id>/documentos/<int:document_id>/", views.case_document_download, name="case_document_download"),
    path("casos/<int:case_id>/paquete/", views.case_bundle, name="case_bundle"),
    path("plazos/<int:deadline_id>/cumplido/", views.deadline_done, name="deadline_done"),
    path("seguridad/", views.security_list, name="security_list"),
    path("seguridad/nuevo/", views.security_create, name="security_create"),
    path("seguridad/<int:record_id>/", views.security_detail, name="security_detail"),
    path("seguridad/<int:record_id>/medidas/", views.security_measure_add, name="security_measure_add"),
    path("seguridad/<int:record_id>/actualizar/", views.security_update, name="security_update"),
]
