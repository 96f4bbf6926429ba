from __future__ import annotations

from django.urls import path

from amparo.accounts import views

app_name = "accounts"

urlpatterns = [
    path("entrar/", views.login_view, name="login"),
    path("salir/", views.logout_view, name="logout"),
    path("verificar/", views.two_factor, name="two_factor"),
    path("verificar/configurar/", views.two_factor_enrol, name="two_factor_enrol"),
    path("confirmar/", views.sudo_confirm, name="sudo"),
    path("seguridad/", views.security, name="security"),
    path("seguridad/salir-de-todo/", views.sign_out_everywhere_view, name="sign_out_everywhere"),
    path("seguridad/tokens/", views.api_token_create_view, name="api_token_create"),
    path("seguridad/tokens/<int:token_id>/revocar/", views.api_token_revoke_view, name="api_token_revoke"),
    path("organizacion/", views.members, name="members"),
    path("organizacion/invitar/", views.invite, name="invite"),
    path("organizacion/ajustes/", views.organisation_settings, name="organisation_settings"),
    path("organizacion/invitaciones/<int:invitation_id>/revocar/", views.invitation_revoke_view, name="invitation_revoke"),
    path("organizacion/miembros/<int:membership_id>/rol/", views.member_role, name="member_role"),
    path("organizacion/miembros/<int:membership_id>/desactivar/", views.member_deactivate, name="member_deactivate"),
    path("organizacion/miembros/<int:membership_id>/cortar-acceso/", views.member_cut_off, name="member_cut_off"),
    path("organizacion/miembros/<int:membership_id>/nueva-clave/", views.member_password, name="member_password"),
    path("organizacion/bloqueo/", views.organisation_lockdown, name="organisation_lockdown"),
    path("invitacion/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
