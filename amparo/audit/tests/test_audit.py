"""The audit trail: append-only, hash-chained, and `amparo audit verify` finds tampering."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from amparo.audit.models import AuditEvent
from amparo.audit.services import record, verify
from conftest import login, make_incident

pytestmark = pytest.mark.django_db


def drop_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER audit_event_no_update")
            cur.execute("DROP TRIGGER audit_event_no_delete")
        else:
            # As an intruder with superuser rights would: switch triggers off for this transaction.
            cur.execute("SET LOCAL session_replication_role = replica")


def test_the_trail_refuses_updates_and_deletes(personas):
    event = record(actor=personas.carla, action="test.thing", organisation=personas.org)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET action = 'edited' WHERE id = %s", [event.pk])


def test_verify_passes_on_an_untouched_trail(personas):
    make_incident(personas.org, personas.dora)
    assert verify() == []
    call_command("audit", "verify")


def test_verify_names_an_edited_row(personas):
    make_incident(personas.org, personas.dora)
    target = AuditEvent.objects.filter(organisation=personas.org, action="incident.created").get()
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET actor_label = 'nadie' WHERE id = %s", [target.pk])
    problems = verify()
    assert len(problems) == 1 and problems[0].event_id == target.pk and "edited" in problems[0].message
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify")


def test_verify_names_a_deleted_row_in_the_middle_and_at_the_end(personas):
    for _ in range(3):
        make_incident(personas.org, personas.dora)
    events = list(AuditEvent.objects.filter(chain_key=f"org:{personas.org.pk}").order_by("seq"))
    drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    messages = [str(p) for p in verify()]
    assert any(f"missing events {events[2].seq}" in m for m in messages)
    assert any("deleted at the end" in m for m in messages)


def test_events_never_carry_sensitive_values(personas):
    make_incident(personas.org, personas.dora, narrative="Texto muy privado")
    for event in AuditEvent.objects.all():
        assert "privado" not in f"{event.fields}{event.detail}{event.action}"


def test_admins_read_their_organisations_trail_and_nobody_else_does(personas, client):
    make_incident(personas.org, personas.dora)
    make_incident(personas.other_org, personas.bruno, district="040101")
    login(client, personas.alicia)
    r = client.get("/auditoria/")
    assert r.status_code == 200
    events = list(r.context["page"])
    assert events and all(e.organisation_id == personas.org.pk for e in events)
    assert client.get("/auditoria/?verify=1").context["problems"] == []
    for user in (personas.carla, personas.dora, personas.ana, personas.lucia):
        login(client, user)
        assert client.get("/auditoria/").status_code == 403


def test_sign_in_is_recorded(personas, client):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.post("/cuenta/entrar/", {"username": "carla", "password": "correct horse battery staple"})
    device = TOTPDevice.objects.get(user=personas.carla)
    client.post("/cuenta/verificar/", {"token": f"{totp(device.bin_key):06d}"})
    assert AuditEvent.objects.filter(action="user.login", actor_id=personas.carla.pk).exists()
