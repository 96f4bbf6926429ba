"""Encryption at rest: what a stolen database dump reveals, and key rotation."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from amparo.records.models import Incident, Person
from amparo.vault import crypto, keyring
from amparo.vault.crypto import DecryptionError
from conftest import make_incident, make_person

pytestmark = pytest.mark.django_db

SECRETS = ["Rosa Quispe Huamán", "987654321", "45678912", "Jirón Huallaga 123", "VIH positivo",
           "Nos detuvieron sin motivo", "Placa 12345", "Llamar de noche"]


def raw_dump() -> str:
    """Every row of every table, as the database itself would hand them to a thief."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    parts = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
            parts.extend(row[0] for row in cur.fetchall())
    return "\n".join(parts)


def seed(personas):
    person = make_person(personas.org, personas.dora, legal_name="Rosa Quispe Huamán", phone="987654321",
                         id_number="45678912", address="Jirón Huallaga 123", hiv_status="VIH positivo", chosen_name="Rosa")
    make_incident(personas.org, personas.dora, persons=[person], contact_preference="Llamar de noche", consent_contact=True)
    return person


def test_a_raw_dump_of_the_database_reveals_no_identifying_or_narrative_value(personas):
    seed(personas)
    dump = raw_dump()
    assert "Colectiva Lima" in dump  # the dump is real and complete
    for secret in SECRETS:
        assert secret not in dump, secret
    # Nor in JSON-escaped form (PostgreSQL's row_to_json escapes non-ASCII differently).
    for secret in SECRETS:
        assert json.dumps(secret)[1:-1] not in dump


def test_sealed_values_read_back_through_the_models(personas):
    person = seed(personas)
    again = Person.objects.get(pk=person.pk)
    assert again.legal_name == "Rosa Quispe Huamán" and again.hiv_status == "VIH positivo"
    assert Incident.objects.get().narrative.startswith("Nos detuvieron")


def test_a_value_moved_to_another_column_or_organisation_does_not_decrypt(personas):
    person = seed(personas)
    with connection.cursor() as cur:
        cur.execute("SELECT legal_name FROM records_person WHERE id = %s", [person.pk])
        sealed = cur.fetchone()[0]
    with pytest.raises(DecryptionError):
        crypto.unseal(sealed, context="records_person.phone")


def test_sealed_columns_cannot_be_queried_in_clear(personas):
    seed(personas)
    with pytest.raises(TypeError):
        list(Person.objects.filter(legal_name="Rosa Quispe Huamán"))


def test_the_blind_index_finds_the_same_phone_in_any_format_within_one_organisation(personas):
    from amparo.records.selectors import person_find_for

    person = seed(personas)
    lima = personas.membership(personas.carla)
    assert list(person_find_for(membership=lima, phone="+51 987-654-321")) == [person]
    assert list(person_find_for(membership=lima, id_number="45.678.912")) == [person]
    other = personas.membership(personas.bruno, personas.other_org)
    assert list(person_find_for(membership=other, phone="987654321")) == []
    # Different organisations get different index values for the same phone.
    assert crypto.blind_index("987654321", org_id=personas.org.pk, kind="phone") != crypto.blind_index(
        "987654321", org_id=personas.other_org.pk, kind="phone")


def test_key_rotation_rewraps_every_key_and_loses_nothing(personas, settings, tmp_path):
    path = tmp_path / "master.keys"
    ring = keyring.load()
    keyring.write_file(path, list(ring.keys))
    settings.MASTER_KEY, settings.MASTER_KEY_FILE = "", str(path)
    keyring.forget()
    person = seed(personas)
    old_ids = keyring.load().ids()

    call_command("keys", "rotate", "--retire-old")
    crypto.forget_keys()
    keyring.forget()

    new_ring = keyring.load()
    assert new_ring.ids() != old_ids and len(new_ring.ids()) == 1
    assert Person.objects.get(pk=person.pk).legal_name == "Rosa Quispe Huamán"
    assert Incident.objects.get().narrative.startswith("Nos detuvieron")
    assert crypto.check_all() == []
    call_command("keys", "check")

    # With only the retired key, nothing unwraps any more: the old key is truly out of use.
    keyring.write_file(path, list(ring.keys))
    crypto.forget_keys()
    with pytest.raises(keyring.KeyringError):
        Person.objects.get(pk=person.pk)


def test_rotation_dry_run_changes_nothing(personas, settings, tmp_path):
    path = tmp_path / "master.keys"
    keyring.write_file(path, list(keyring.load().keys))
    settings.MASTER_KEY, settings.MASTER_KEY_FILE = "", str(path)
    keyring.forget()
    before = path.read_text()
    call_command("keys", "rotate", "--dry-run")
    assert path.read_text() == before


def test_keys_init_refuses_to_overwrite(settings, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "k"
    settings.MASTER_KEY, settings.MASTER_KEY_FILE = "", str(path)
    call_command("keys", "init")
    with pytest.raises(CommandError):
        call_command("keys", "init")
    call_command("keys", "init", "--if-missing")
    assert (path.stat().st_mode & 0o777) == 0o600
    keyring.forget()
