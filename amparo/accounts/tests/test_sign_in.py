"""Signing in: password, then TOTP; throttling; sessions; invitations; members admin."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import ApiToken, Invitation, Membership, Role
from conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key):06d}"


def test_it_requires_the_totp_code_after_the_password(personas, client):
    r = client.post("/cuenta/entrar/", {"username": "carla", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/cuenta/verificar/"
    assert client.get("/incidentes/").status_code == 302
    r = client.post("/cuenta/verificar/", {"token": "000000" if code_for(personas.carla) != "000000" else "111111"})
    assert r.status_code == 400
    # django-otp throttles after a wrong code; a person would wait a moment.
    TOTPDevice.objects.filter(user=personas.carla).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    r = client.post("/cuenta/verificar/", {"token": code_for(personas.carla)})
    assert r.status_code == 302
    assert client.get("/incidentes/").status_code == 200


def test_a_new_account_enrols_with_a_qr_code_before_anything_else(personas, client):
    TOTPDevice.objects.filter(user=personas.dora).delete()
    client.post("/cuenta/entrar/", {"username": "dora", "password": PASSWORD})
    r = client.get("/cuenta/verificar/")
    assert r.status_code == 302 and r["Location"] == "/cuenta/verificar/configurar/"
    r = client.get("/cuenta/verificar/configurar/")
    assert r.status_code == 200 and b"<svg" in r.content
    device = TOTPDevice.objects.get(user=personas.dora, confirmed=False)
    r = client.post("/cuenta/verificar/configurar/", {"token": f"{totp(device.bin_key):06d}"})
    assert r.status_code == 302
    assert TOTPDevice.objects.get(user=personas.dora).confirmed
    assert client.get("/incidentes/").status_code == 200


def test_wrong_passwords_lock_the_account_for_a_while(personas, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        r = client.post("/cuenta/entrar/", {"username": "carla", "password": "wrong"})
    r = client.post("/cuenta/entrar/", {"username": "carla", "password": PASSWORD})
    assert r.status_code in (403, 429)
    assert "/cuenta/verificar/" not in r.get("Location", "")


def test_bad_login_input_is_a_clear_400(personas, client):
    r = client.post("/cuenta/entrar/", {"username": "", "password": ""})
    assert r.status_code == 400
    r = client.post("/cuenta/entrar/", {"username": "x" * 500, "password": "y"})
    assert r.status_code == 400


def test_sign_out_everywhere_ends_every_session(personas, client, django_user_model):
    from django.test import Client

    other_device = Client()
    login(other_device, personas.carla)
    login(client, personas.carla)
    assert other_device.get("/incidentes/").status_code == 200
    r = client.post("/cuenta/seguridad/salir-de-todo/")
    assert r.status_code == 302
    assert other_device.get("/incidentes/").status_code == 302
    assert client.get("/incidentes/").status_code == 302


def test_sessions_expire_when_idle():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE <= 60 * 60


def test_passwords_are_hashed_with_argon2_in_the_real_settings():
    from amparo import settings as real

    assert real.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_an_admin_invites_a_member_who_joins_with_a_role(personas, client):
    login(client, personas.alicia)
    r = client.post("/cuenta/organizacion/invitar/", {"email": "nueva@example.org", "role": "documenter"})
    assert r.status_code == 200
    link = r.context["link"]
    client.logout()
    from django.conf import settings

    assert link.startswith(settings.SITE_URL + "/cuenta/invitacion/")  # AMPARO_SITE_URL, not the request's host
    token_path = link.removeprefix(settings.SITE_URL)
    r = client.post(token_path, {"username": "nueva", "password": "una frase larga y segura", "password2": "una frase larga y segura"})
    assert r.status_code == 302 and r["Location"] == "/cuenta/verificar/configurar/"
    assert Membership.objects.get(user__username="nueva").role == Role.DOCUMENTER
    assert Invitation.objects.get().accepted_at is not None
    # The link works once.
    client.logout()
    assert client.get(token_path).status_code == 404


def test_invitation_bad_input_is_a_clear_400(personas, client):
    login(client, personas.alicia)
    assert client.post("/cuenta/organizacion/invitar/", {"email": "not-an-email", "role": "documenter"}).status_code == 400
    assert client.post("/cuenta/organizacion/invitar/", {"email": "a@b.org", "role": "boss"}).status_code == 400
    assert Invitation.objects.count() == 0


def test_only_admins_manage_members(personas, client):
    for user in (personas.carla, personas.dora, personas.lucia, personas.ana):
        login(client, user)
        assert client.get("/cuenta/organizacion/").status_code == 403
        assert client.post("/cuenta/organizacion/invitar/", {"email": "a@b.org", "role": "admin"}).status_code == 403


def test_an_admin_cannot_touch_another_organisations_members(personas, client):
    other = Membership.objects.get(user=personas.bruno)
    login(client, personas.alicia)
    assert client.post(f"/cuenta/organizacion/miembros/{other.pk}/rol/", {"role": "analyst"}).status_code == 404
    assert client.post(f"/cuenta/organizacion/miembros/{other.pk}/desactivar/").status_code == 404
    other.refresh_from_db()
    assert other.role == Role.COORDINATOR and other.is_active


def test_an_admin_edits_the_organisations_settings(personas, client):
    login(client, personas.alicia)
    assert client.post("/cuenta/organizacion/ajustes/", {"name": "Colectiva Lima Norte", "department_code": "15"}).status_code == 302
    personas.org.refresh_from_db()
    assert personas.org.name == "Colectiva Lima Norte"
    assert client.post("/cuenta/organizacion/ajustes/", {"name": "", "department_code": "99"}).status_code == 400
    login(client, personas.carla)
    assert client.post("/cuenta/organizacion/ajustes/", {"name": "X", "department_code": ""}).status_code == 403


def test_an_admin_changes_roles_but_keeps_one_admin(personas, client):
    login(client, personas.alicia)
    carla = Membership.objects.get(user=personas.carla)
    client.post(f"/cuenta/organizacion/miembros/{carla.pk}/rol/", {"role": "analyst"})
    carla.refresh_from_db()
    assert carla.role == Role.ANALYST
    own = Membership.objects.get(user=personas.alicia)
    r = client.post(f"/cuenta/organizacion/miembros/{own.pk}/rol/", {"role": "documenter"})
    assert r.status_code == 400 and "administr" in r.content.decode().lower()
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    assert client.post(f"/cuenta/organizacion/miembros/{carla.pk}/rol/", {"role": "boss"}).status_code == 400


def test_removed_members_lose_access_at_once(personas, client):
    from django.test import Client

    dora_client = Client()
    login(dora_client, personas.dora)
    login(client, personas.alicia)
    dora = Membership.objects.get(user=personas.dora)
    client.post(f"/cuenta/organizacion/miembros/{dora.pk}/desactivar/")
    assert dora_client.get("/incidentes/").status_code == 403


def test_a_member_of_two_organisations_switches_between_them(personas, client):
    from amparo.accounts.services import membership_create

    membership_create(user=personas.carla, organisation=personas.other_org, role=Role.ANALYST, acting_user=None)
    login(client, personas.carla)
    client.post("/organizacion/cambiar/", {"organisation": personas.org.pk})
    assert client.get("/incidentes/").status_code == 200
    client.post("/organizacion/cambiar/", {"organisation": personas.other_org.pk})
    assert client.get("/incidentes/").status_code == 403  # analyst in Arequipa
    client.post("/organizacion/cambiar/", {"organisation": personas.org.pk})
    assert client.get("/incidentes/").status_code == 200
    # Switching into an organisation one does not belong to does nothing.
    third = __import__("amparo.accounts.services", fromlist=["x"]).organisation_create(name="Otra", slug="otra")
    client.post("/organizacion/cambiar/", {"organisation": third.pk})
    assert client.get("/incidentes/").status_code == 200


def test_api_tokens_are_shown_once_and_stored_hashed(personas, client):
    login(client, personas.carla)
    r = client.post("/cuenta/seguridad/tokens/", {"name": "app aliada"})
    raw = r.context["raw"]
    token = ApiToken.objects.get()
    assert raw not in token.token_hash and token.prefix == raw[:12]
    assert client.post("/cuenta/seguridad/tokens/", {"name": ""}).status_code == 400
    client.post(f"/cuenta/seguridad/tokens/{token.pk}/revocar/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_next_redirects_stay_on_this_site(personas, client):
    client.post("/cuenta/entrar/?next=https://evil.example/", {"username": "carla", "password": PASSWORD, "next": "https://evil.example/"})
    r = client.post("/cuenta/verificar/", {"token": code_for(personas.carla)})
    assert r["Location"] == "/"


def test_exports_bundles_and_deletions_ask_for_the_password_again(personas, client):
    from conftest import make_incident

    incident = make_incident(personas.org, personas.carla)
    login(client, personas.carla)
    back = f"/incidentes/{incident.pk}/"
    r = client.post(f"/incidentes/{incident.pk}/eliminar/", {"back": back})
    assert r.status_code == 302 and r["Location"].startswith("/cuenta/confirmar/?next=")
    assert incident.__class__.objects.filter(pk=incident.pk).exists()
    r = client.post("/cuenta/confirmar/", {"password": "wrong", "next": back})
    assert r.status_code == 400
    r = client.post("/cuenta/confirmar/", {"password": PASSWORD, "next": back})
    assert r.status_code == 302 and r["Location"] == back
    assert client.post(f"/incidentes/{incident.pk}/eliminar/").status_code == 302
    assert not incident.__class__.objects.filter(pk=incident.pk).exists()


def test_the_confirmation_only_returns_to_this_site(personas, client):
    login(client, personas.carla)
    r = client.post("/cuenta/confirmar/", {"password": PASSWORD, "next": "//evil.example/"})
    assert r["Location"] == "/"
