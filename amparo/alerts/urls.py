from __future__ import annotations

from django.urls import path

from amparo.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.home, name="home"),
    path("alarmas/", views.alarm_list, name="alarm_list"),
    path("alarmas/nueva/", views.alarm_create, name="alarm_create"),
    path("alarmas/<int:pk>/", views.alarm_detail, name="alarm_detail"),
    path("alarmas/<int:pk>/acuse/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path("alarmas/<int:pk>/cerrar/", views.alarm_close, name="alarm_close"),
    path("alarmas/<int:pk>/detenidas/", views.detained_add, name="detained_add"),
    path("detenidas/<int:pk>/liberada/", views.detained_release, name="detained_release"),
    path("turnos/", views.shift_list, name="shift_list"),
    path("turnos/<int:pk>/borrar/", views.shift_delete, name="shift_delete"),
    path("ajustes/", views.settings_edit, name="settings"),
    path("dispositivos/", views.devices, name="devices"),
    path("dispositivos/registrar/", views.device_register, name="device_register"),
    path("avisos/", views.alert_list, name="alert_list"),
    path("avisos/nuevo/", views.alert_create, name="alert_create"),
    path("avisos/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("avisos/<int:pk>/publicar/", views.alert_publish, name="alert_publish"),
    path("avisos/<int:pk>/rechazar/", views.alert_reject, name="alert_reject"),
    path("avisos/<int:pk>/retirar/", views.alert_withdraw, name="alert_withdraw"),
    path("consulta/", views.lookup, name="lookup"),
]
