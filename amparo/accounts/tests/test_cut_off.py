"""Cutting a member off in one action, and locking an organisation down.

Dora's phone was seized at a raid: it holds an open session, an API token, the authenticator app,
her saved password, a field phone account and a browser that receives alarms. Alicia (admin)
cuts her off from the members page; every one of those stops working at once. Bruno (Arequipa)
can do nothing to Lima's members, nor Carla (coordinator, not admin).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts import services
from amparo.accounts.models import ApiToken
from amparo.alerts.models import StaffDevice
from amparo.audit.models import AuditEvent
from amparo.openrosa import services as odk
from conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def _everything_dora_holds(personas):  # type: ignore[no-untyped-def]
    membership = personas.membership(personas.dora)
    _token, raw = services.api_token_create(membership=membership, name="tableta", acting_user=personas.dora)
    collector, _issued = odk.collector_create(organisation=personas.org, label="Teléfono 3", owner=personas.dora, acting_user=personas.alicia)
    StaffDevice.objects.create(organisation=personas.org, membership=membership, subscription="{}", subscription_index="x" * 64)
    assert Client().get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    phone = Client()
    login(phone, personas.dora)
    assert phone.get("/incidentes/").status_code == 200
    return membership, raw, collector, phone


def _admin(personas) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    login(client, personas.alicia)
    client.post("/cuenta/confirmar/", {"password": PASSWORD})  # sudo mode
    return client


def test_an_admin_cuts_a_member_off_everywhere_in_one_action(personas):
    membership, raw_token, collector, phone = _everything_dora_holds(personas)
    admin = _admin(personas)

    page = admin.get(f"/cuenta/organizacion/miembros/{membership.pk}/cortar-acceso/")
    assert page.status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1  # the confirmation changes nothing
    text = page.content.decode()
    assert "cuentas de teléfonos de campo: 1" in text and "Tokens de la API: 1" in text

    done = admin.post(f"/cuenta/organizacion/miembros/{membership.pk}/cortar-acceso/")
    assert done.status_code == 200 and "dora" in done.content.decode()

    # The seized phone's session, token, authenticator, password, field account and alarm browser.
    assert phone.get("/incidentes/").status_code == 302
    assert Client().get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {raw_token}").status_code == 401
    assert not TOTPDevice.objects.filter(user=personas.dora).exists()
    personas.dora.refresh_from_db()
    assert not personas.dora.has_usable_password()
    assert Client().post("/cuenta/entrar/", {"username": "dora", "password": PASSWORD}).status_code == 400  # refused
    collector.refresh_from_db()
    assert collector.revoked_at is not None and collector.revoked_by == personas.alicia
    assert not StaffDevice.objects.filter(membership=membership).exists()
    # She keeps her role, and the admin keeps working.
    membership.refresh_from_db()
    assert membership.is_active and membership.role == "documenter"
    assert admin.get("/cuenta/organizacion/").status_code == 200

    event = AuditEvent.objects.get(action="membership.cut_off")
    assert event.actor_id == personas.alicia.pk
    assert event.detail == {"api_tokens": 1, "two_factor_devices": 1, "password": 1, "field_phones": 1, "alarm_browsers": 1}


def test_a_new_password_handed_over_in_person_lets_her_back_with_new_two_factor(personas):
    membership, *_ = _everything_dora_holds(personas)
    admin = _admin(personas)
    admin.post(f"/cuenta/organizacion/miembros/{membership.pk}/cortar-acceso/")
    assert "Dar una nueva contraseña" in admin.get("/cuenta/organizacion/").content.decode()

    page = admin.post(f"/cuenta/organizacion/miembros/{membership.pk}/nueva-clave/")
    assert page.status_code == 200
    raw = page.context["raw"]
    assert len(raw) == 23 and raw in page.content.decode()
    dora = Client()
    assert dora.post("/cuenta/entrar/", {"username": "dora", "password": raw}).status_code == 302
    response = dora.get("/cuenta/verificar/")
    assert response.status_code == 302 and response["Location"] == "/cuenta/verificar/configurar/"
    assert AuditEvent.objects.filter(action="membership.password_issued", actor_id=personas.alicia.pk).count() == 1


def test_cutting_off_needs_the_password_again(personas):
    membership = personas.membership(personas.dora)
    client = Client()
    login(client, personas.alicia)
    response = client.post(f"/cuenta/organizacion/miembros/{membership.pk}/cortar-acceso/")
    assert response.status_code == 302 and response["Location"].startswith("/cuenta/confirmar/")
    assert TOTPDevice.objects.filter(user=personas.dora).exists()


def test_only_an_admin_of_the_same_organisation_may_cut_off(personas):
    membership = personas.membership(personas.dora)
    carla = Client()
    login(carla, personas.carla)
    carla.post("/cuenta/confirmar/", {"password": PASSWORD})
    assert carla.post(f"/cuenta/organizacion/miembros/{membership.pk}/cortar-acceso/").status_code == 403
    assert carla.post("/cuenta/organizacion/bloqueo/").status_code == 403
    from amparo.accounts.models import Role
    from conftest import make_user

    arequipa_admin = make_user("beatriz", personas.other_org, Role.ADMIN)
    other = Client()
    login(other, arequipa_admin)
    other.post("/cuenta/confirmar/", {"password": PASSWORD})
    assert other.post(f"/cuenta/organizacion/miembros/{membership.pk}/cortar-acceso/").status_code == 404
    assert TOTPDevice.objects.filter(user=personas.dora).exists()
    assert not AuditEvent.objects.filter(action="membership.cut_off").exists()


def test_an_admin_cannot_cut_herself_off(personas):
    admin = _admin(personas)
    own = personas.membership(personas.alicia)
    response = admin.post(f"/cuenta/organizacion/miembros/{own.pk}/cortar-acceso/")
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=personas.alicia).exists()


def test_it_rejects_get_for_a_new_password(personas):
    admin = _admin(personas)
    assert admin.get(f"/cuenta/organizacion/miembros/{personas.membership(personas.dora).pk}/nueva-clave/").status_code == 405


def test_a_lockdown_signs_everyone_out_and_ends_tokens_but_not_field_phones(personas):
    membership, raw_token, collector, phone = _everything_dora_holds(personas)
    bruno = Client()
    login(bruno, personas.bruno)  # Arequipa is not locked down
    admin = _admin(personas)

    confirm = admin.get("/cuenta/organizacion/bloqueo/")
    assert confirm.status_code == 200 and "integrantes que cierran sesión: 6" in confirm.content.decode().lower()
    response = admin.post("/cuenta/organizacion/bloqueo/")
    assert response.status_code == 302 and response["Location"] == "/cuenta/entrar/"

    assert phone.get("/incidentes/").status_code == 302
    assert admin.get("/cuenta/organizacion/").status_code == 302
    assert bruno.get("/incidentes/").status_code == 200
    assert Client().get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {raw_token}").status_code == 401
    assert not StaffDevice.objects.filter(organisation=personas.org).exists()
    # Passwords and authenticators stay: everyone signs in again with both.
    assert TOTPDevice.objects.filter(user=personas.dora).exists()
    collector.refresh_from_db()
    assert collector.revoked_at is None
    event = AuditEvent.objects.get(action="organisation.lockdown")
    assert event.detail == {"members_signed_out": 6, "api_tokens": 1, "alarm_browsers": 1}


def test_the_command_cuts_off_and_locks_down_with_a_dry_run_first(personas, capsys):
    membership, raw_token, collector, phone = _everything_dora_holds(personas)
    call_command("members", "cut-off", "dora", "--org", "lima", "--dry-run")
    assert "Would end" in capsys.readouterr().out
    assert phone.get("/incidentes/").status_code == 200 and TOTPDevice.objects.filter(user=personas.dora).exists()
    assert not AuditEvent.objects.filter(action="membership.cut_off").exists()

    call_command("members", "cut-off", "dora", "--org", "lima")
    assert "field_phones 1" in capsys.readouterr().out
    assert phone.get("/incidentes/").status_code == 302
    assert AuditEvent.objects.get(action="membership.cut_off").actor_id is None

    call_command("members", "new-password", "dora", "--org", "lima")
    assert len(capsys.readouterr().out.strip()) == 23

    call_command("members", "lockdown", "--org", "lima")
    assert AuditEvent.objects.filter(action="organisation.lockdown").count() == 1
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("members", "cut-off", "bruno", "--org", "lima")
