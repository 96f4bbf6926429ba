"""Commands that would print decrypted data: refused in production, audited everywhere."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from amparo.audit.models import AuditEvent
from conftest import make_person

pytestmark = pytest.mark.django_db


def test_dumpdata_is_refused_in_production(personas, settings, monkeypatch):
    make_person(personas.org, personas.carla)
    settings.PRODUCTION = True
    monkeypatch.delenv("AMPARO_OPERATOR_REASON", raising=False)
    out = io.StringIO()
    with pytest.raises(CommandError, match="refused in production"):
        call_command("dumpdata", "records.person", stdout=out)
    assert "Rosa" not in out.getvalue()


def test_shell_and_dbshell_are_refused_in_production(settings, monkeypatch, db):
    settings.PRODUCTION = True
    monkeypatch.delenv("AMPARO_OPERATOR_REASON", raising=False)
    with pytest.raises(CommandError, match="refused in production"):
        call_command("shell", "-c", "print(1)")
    with pytest.raises(CommandError, match="refused in production"):
        call_command("dbshell")


def test_dumpdata_writes_an_audit_event_naming_the_sealed_fields_it_read(personas, settings):
    make_person(personas.org, personas.carla)
    settings.PRODUCTION = False
    out = io.StringIO()
    call_command("dumpdata", "records.person", stdout=out)
    assert "Rosa Quispe" in out.getvalue()  # development: the data comes out…
    event = AuditEvent.objects.filter(action="data.read_by_command").latest("pk")  # …and the trail says so
    assert event.target_id == "dumpdata"
    assert "records.person.legal_name" in event.fields and "records.person.id_number" in event.fields


def test_a_stated_reason_lets_an_operator_read_in_production_and_is_recorded(personas, settings, monkeypatch):
    make_person(personas.org, personas.carla)
    settings.PRODUCTION = True
    monkeypatch.setenv("AMPARO_OPERATOR_REASON", "court order 123")
    call_command("dumpdata", "records.person", stdout=io.StringIO())
    event = AuditEvent.objects.filter(action="data.read_by_command").latest("pk")
    assert event.detail["reason"] == "court order 123"


def test_shell_is_audited_in_development(db, settings, capsys):
    settings.PRODUCTION = False
    call_command("shell", "-c", "print('hola')")
    assert AuditEvent.objects.filter(action="data.read_by_command", target_id="shell").exists()
