"""Key escrow (SLIP-39 shares), data-key rotation, and the guard on `keys init --if-missing`."""

from __future__ import annotations

import base64
import io
import itertools
import secrets

import pytest
import shamir_mnemonic
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from amparo.evidence.services import evidence_check, evidence_store
from amparo.records.models import Person
from amparo.response.tests.factories import PDF  # a real PDF, as the sanitizer keeps it
from amparo.vault import crypto, escrow, keyring, rotation
from amparo.vault.models import OrganisationKey
from conftest import make_incident, make_person

pytestmark = pytest.mark.django_db



# -- escrow ---------------------------------------------------------------------------------


def test_any_three_of_five_shares_rebuild_the_master_key():
    key = secrets.token_bytes(32)
    shares = escrow.split(key=key, shares=5, threshold=3)
    assert len(shares) == 5 and all(len(s.words.split()) == 33 for s in shares)
    for chosen in itertools.combinations(shares, 3):
        assert escrow.recover([s.words for s in chosen]) == key


def test_two_of_five_shares_reveal_nothing_usable():
    key = secrets.token_bytes(32)
    shares = escrow.split(key=key, shares=5, threshold=3)
    for chosen in itertools.combinations(shares, 2):
        with pytest.raises(escrow.EscrowError):
            escrow.recover([s.words for s in chosen])
    # The share values are uniformly random on their own: two splits of the same key share
    # nothing, and no share carries the key's bytes.
    again = escrow.split(key=key, shares=5, threshold=3)
    for a, b in zip(shares[:2], again[:2], strict=True):
        assert a.words != b.words
    for s in shares:
        value = shamir_mnemonic.share.Share.from_mnemonic(s.words).value
        assert key not in value and key[:8] not in value
    # A share from another split does not complete the set either: SLIP-39 checks it belongs.
    stranger = escrow.split(key=secrets.token_bytes(32), shares=5, threshold=3)[0]
    with pytest.raises(escrow.EscrowError):
        escrow.recover([shares[0].words, shares[1].words, stranger.words])


def test_keys_split_and_recover_round_trip_through_the_commands(personas, tmp_path, monkeypatch, settings):
    out = io.StringIO()
    call_command("keys", "split", "--shares", "5", "--threshold", "3", "--qr-dir", str(tmp_path / "qr"), stdout=out)
    text = out.getvalue()
    lines = [line for line in text.splitlines() if len(line.split()) == 33]
    assert len(lines) == 5
    assert len(list((tmp_path / "qr").glob("*.svg"))) == 5
    ring = keyring.load()
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join([lines[4], lines[0], lines[2]]) + "\n"))
    target = tmp_path / "master.keys"
    call_command("keys", "recover", "--key-id", ring.active_id, "--output", str(target), stdout=io.StringIO())
    kid, b64 = target.read_text().splitlines()[-1].split(" ")
    assert kid == ring.active_id and base64.b64decode(b64) == ring.active_key
    monkeypatch.setattr("sys.stdin", io.StringIO(lines[1] + "\n" + lines[3] + "\n"))
    with pytest.raises(CommandError, match="do not rebuild"):
        call_command("keys", "recover", "--key-id", ring.active_id, "--output", str(tmp_path / "other.keys"))
    assert not (tmp_path / "other.keys").exists()


# -- guards ---------------------------------------------------------------------------------


def _use_keyring_file(settings, path) -> None:  # type: ignore[no-untyped-def]
    settings.MASTER_KEY, settings.MASTER_KEY_FILE = "", str(path)
    keyring.forget()
    crypto.forget_keys()


def test_init_if_missing_refuses_when_the_database_holds_keys_and_the_keyring_is_gone(personas, settings, tmp_path):
    make_person(personas.org, personas.carla)  # the database now holds wrapped data keys
    _use_keyring_file(settings, tmp_path / "master.keys")
    with pytest.raises(CommandError, match="Refusing to make a new one.*keys recover"):
        call_command("keys", "init", "--if-missing")
    assert not (tmp_path / "master.keys").exists()


def test_init_if_missing_refuses_a_keyring_that_cannot_unwrap_the_database(personas, settings, tmp_path):
    make_person(personas.org, personas.carla)
    path = tmp_path / "master.keys"
    keyring.write_file(path, [("mk-wrong", keyring.new_key())])
    _use_keyring_file(settings, path)
    with pytest.raises(CommandError, match="cannot unwrap"):
        call_command("keys", "init", "--if-missing")


def test_init_if_missing_creates_a_keyring_for_an_empty_database(db, settings, tmp_path):
    OrganisationKey.objects.all().delete()
    _use_keyring_file(settings, tmp_path / "master.keys")
    call_command("keys", "init", "--if-missing", stdout=io.StringIO())
    assert (tmp_path / "master.keys").exists()
    call_command("keys", "init", "--if-missing", stdout=io.StringIO())  # and then leaves it alone


# -- data-key rotation ----------------------------------------------------------------------


def _raw_column(model, field: str) -> list[str]:  # type: ignore[no-untyped-def]
    column = model._meta.get_field(field).column
    with connection.cursor() as cur:
        cur.execute(f"SELECT {connection.ops.quote_name(column)} FROM {model._meta.db_table}")  # noqa: S608
        return [row[0] for row in cur.fetchall() if row[0]]


def test_rotating_a_data_key_re_seals_every_value_and_file_and_retires_the_old_key(personas):
    person = make_person(personas.org, personas.carla)
    incident = make_incident(personas.org, personas.dora)
    evidence = evidence_store(organisation=personas.org, uploaded=PDF, acting_user=personas.dora, incident=incident, original_name="acta.pdf")
    other = make_person(personas.other_org, personas.bruno, legal_name="Otra Persona")
    old = OrganisationKey.objects.get(organisation=personas.org, purpose="data")
    other_before = _raw_column(Person, "legal_name")

    report = rotation.rotate_data_key(org_id=personas.org.pk, grace_seconds=0, batch_size=2)

    new = OrganisationKey.objects.get(organisation=personas.org, purpose="data", retired_at=None)
    assert new.version == old.version + 1 and report.retired == [old.version] and report.left == 0
    old.refresh_from_db()
    assert old.retired_at is not None and bytes(old.wrapped_key) == b""
    assert rotation.key_usage(org_id=personas.org.pk)[old.version] == 0
    assert report.values > 5 and report.files == 1
    crypto.forget_keys()
    assert Person.objects.get(pk=person.pk).legal_name == "Rosa Quispe Huamán"
    evidence.refresh_from_db()
    assert evidence_check(evidence=evidence) == PDF and evidence.original_name == "acta.pdf"
    # Arequipa's data did not move.
    assert Person.objects.get(pk=other.pk).legal_name == "Otra Persona"
    assert {v for v in _raw_column(Person, "legal_name") if crypto.sealed_key_pk(v) != new.pk} == set(other_before) - {
        v for v in other_before if crypto.sealed_key_pk(v) == old.pk
    }
    # The search index key is not a data key: finding a person by phone still works.
    assert Person.objects.filter(organisation=personas.org, phone_index=person.phone_index).exists()


def test_a_second_rotation_makes_yet_another_key(personas):
    make_person(personas.org, personas.carla)
    rotation.rotate_data_key(org_id=personas.org.pk, grace_seconds=0)
    rotation.rotate_data_key(org_id=personas.org.pk, grace_seconds=0)
    versions = list(OrganisationKey.objects.filter(organisation=personas.org, purpose="data", retired_at=None).values_list("version", flat=True))
    assert versions == [3]
    call_command("keys", "check", stdout=io.StringIO())


def test_retiring_an_old_master_key_re_keys_the_audit_trail(personas, settings, tmp_path):
    make_incident(personas.org, personas.dora)
    ring = keyring.load()
    path = tmp_path / "master.keys"
    keyring.write_file(path, list(ring.keys))
    _use_keyring_file(settings, path)
    call_command("keys", "rotate", "--retire-old", stdout=io.StringIO())
    new = keyring.load()
    assert new.ids() != ring.ids() and len(new.ids()) == 1
    from amparo.audit.models import AuditEvent
    from amparo.audit.services import verify

    assert verify() == []
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {new.active_id}
