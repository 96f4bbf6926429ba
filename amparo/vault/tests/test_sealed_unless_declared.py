"""Sealed unless declared: every text column of every model is sealed with the organisation's key,
or is a closed set of choices, or is declared plain (`plain_text`) as coded, a pseudonym, a digest,
public, account or system data, with a reason. A raw dump of the database, after every sealed
column of every model was filled with a marker, shows none of them."""

from __future__ import annotations

import datetime
import itertools
import json
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from amparo.vault import crypto
from amparo.vault.fields import EncryptedJSONField, EncryptedTextField, encrypted_fields
from amparo.vault.plain import Plain
from amparo.vault.tests.test_encryption import raw_dump

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def amparo_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("amparo.")]


def plain_columns(model: type[models.Model]) -> list[str]:
    """The text columns of a model that are neither sealed nor a closed set of choices."""
    return [
        f.name for f in model._meta.concrete_fields
        if isinstance(f, TEXT_FIELDS) and not isinstance(f, EncryptedTextField) and not f.choices
    ]


def test_every_plain_text_column_of_every_model_is_declared_with_a_reason():
    undeclared, stale, unexplained = [], [], []
    for model in amparo_models():
        declared: dict[str, Any] = getattr(model, "plain_text", {})
        columns = plain_columns(model)
        undeclared += [f"{model._meta.label}.{name}" for name in columns if name not in declared]
        stale += [f"{model._meta.label}.{name}" for name in declared if name not in columns]
        unexplained += [
            f"{model._meta.label}.{name}" for name, (kind, reason) in declared.items()
            if not isinstance(kind, Plain) or len(reason.split()) < 2
        ]
    assert undeclared == [], "seal these (EncryptedTextField) or declare them in the model's plain_text"
    assert stale == [], "declared plain but sealed, a closed set, or gone"
    assert unexplained == []


def test_the_free_text_named_in_the_issue_is_sealed():
    for label, name in [
        ("response.Deadline", "title"), ("response.Hearing", "purpose"), ("response.CaseRoute", "forum"),
        ("insights.Milestone", "title"), ("openrosa.SubmissionAttachment", "name"), ("evidence.CustodyEvent", "purpose"),
        ("accounts.ApiToken", "name"), ("accounts.Invitation", "email"),
    ]:
        assert isinstance(apps.get_model(label)._meta.get_field(name), EncryptedTextField), (label, name)


def test_only_public_account_and_system_data_lives_in_models_without_an_organisation():
    # A model without an organisation cannot seal (there is no key): none of its columns may
    # hold the organisations' records, so each is declared public, account, system, digest or coded.
    for model in amparo_models():
        if any(f.name == "organisation" for f in model._meta.concrete_fields):
            continue
        assert encrypted_fields(model) == [], model


# -- the raw dump ---------------------------------------------------------------------------


# Optional foreign keys a model's CHECK constraints require (a referral has a target and a subject).
ALSO_FILL = {"response.Referral": {"lawyer", "incident"}, "alerts.DetainedPerson": {"incident"},
             "programmes.CareLinkage": {"consent_recorded_by"}}
SET = {"response.Referral": {"consent_given": True},
       "programmes.CareLinkage": {"consent_given": True, "consent_method": "verbal", "consent_recorded_at": timezone.now()}}


class Builder:
    """Makes one row of any model, filling what is required with neutral values, every sealed
    column with a marker, and reusing the personas' organisation and user for foreign keys."""

    def __init__(self, personas: Any) -> None:
        self.personas = personas
        self.made: dict[type[models.Model], models.Model] = {}
        self.markers: dict[str, str] = {}
        self.counter = itertools.count(1)

    def marker(self, model: type[models.Model], field: models.Field) -> str:
        value = f"MARCA{next(self.counter):03d}-{model._meta.model_name}-{field.name}-Ñandú"
        self.markers[f"{model._meta.label}.{field.name}"] = value
        return value

    def row(self, model: type[models.Model]) -> models.Model:
        from amparo.accounts.models import Membership, Organisation, User

        if model is Organisation:
            return self.personas.org
        if model is User:
            return self.personas.carla
        if model is Membership:
            return Membership.objects.get(user=self.personas.carla, organisation=self.personas.org)
        if model in self.made:
            return self.made[model]
        obj = model()
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            if isinstance(field, EncryptedJSONField):
                setattr(obj, field.attname, {"nota": self.marker(model, field)})
            elif isinstance(field, EncryptedTextField):
                setattr(obj, field.attname, self.marker(model, field))
            elif field.is_relation:
                if field.name == "organisation" or not field.null or field.name in ALSO_FILL.get(model._meta.label, ()):
                    setattr(obj, field.name, self.row(field.related_model))
            elif field.has_default() or field.null or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            else:
                setattr(obj, field.attname, self.value(field))
        for name, value in SET.get(model._meta.label, {}).items():
            setattr(obj, name, value)
        obj.save()
        self.made[model] = obj
        return obj

    def value(self, field: models.Field) -> Any:
        if field.choices:
            return field.choices[0][0]
        n = next(self.counter)
        if isinstance(field, models.EmailField):
            return f"x{n}@example.org"
        if isinstance(field, models.CharField | models.TextField):
            return f"c{n}"[: field.max_length or 40]
        if isinstance(field, models.BooleanField):
            return False
        if isinstance(field, models.DecimalField):
            return Decimal(1)
        if isinstance(field, models.IntegerField):
            return 1
        if isinstance(field, models.DateTimeField):
            return timezone.now()
        if isinstance(field, models.DateField):
            return datetime.date(2026, 1, 1)
        if isinstance(field, models.TimeField):
            return datetime.time(12, 0)
        if isinstance(field, models.UUIDField):
            return uuid.uuid4()
        if isinstance(field, models.BinaryField):
            return b"x"
        if isinstance(field, models.JSONField):
            return {}
        raise NotImplementedError(f"{field.model._meta.label}.{field.name}: {type(field).__name__}")


@pytest.mark.django_db
def test_a_raw_dump_shows_no_value_of_any_sealed_column_of_any_model(personas):
    builder = Builder(personas)
    sealed_models = [m for m in amparo_models() if encrypted_fields(m)]
    for model in sealed_models:
        builder.row(model)
    expected = {f"{m._meta.label}.{f.name}" for m in sealed_models for f in encrypted_fields(m)}
    assert set(builder.markers) == expected  # every sealed column of every model got its marker
    for model in sealed_models:  # and reads back through the model
        again = model.objects.get(pk=builder.made[model].pk)
        for field in encrypted_fields(model):
            value = getattr(again, field.attname)
            assert builder.markers[f"{model._meta.label}.{field.name}"] in (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    dump = raw_dump()
    assert personas.org.name in dump  # the dump is real
    found = [m for m in builder.markers.values() if m in dump or json.dumps(m)[1:-1] in dump or m.split("-")[0] in dump]
    assert found == []


@pytest.mark.django_db
def test_sealing_a_column_that_was_plain_seals_old_values_and_leaves_sealed_ones(personas):
    from django.db import connection as conn

    from amparo.response.models import Deadline
    from amparo.vault.migration_ops import SealColumn

    builder = Builder(personas)
    deadline = builder.row(Deadline)
    other = builder.row(apps.get_model("response.Hearing"))
    with conn.cursor() as cursor:  # as the column held it before this release
        cursor.execute("UPDATE response_deadline SET title = %s WHERE id = %s", ["v1.Presentar apelación", deadline.pk])
        cursor.execute("SELECT purpose FROM response_hearing WHERE id = %s", [other.pk])
        sealed_before = cursor.fetchone()[0]
    step = SealColumn("response_deadline", "title")
    # What RunPython hands the step (SQLite's real schema editor cannot open inside a test's transaction).
    editor = SimpleNamespace(connection=conn, quote_name=conn.ops.quote_name)
    step._seal(apps, editor)
    SealColumn("response_hearing", "purpose")._seal(apps, editor)
    with conn.cursor() as cursor:
        cursor.execute("SELECT title FROM response_deadline WHERE id = %s", [deadline.pk])
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT purpose FROM response_hearing WHERE id = %s", [other.pk])
        assert cursor.fetchone()[0] == sealed_before  # already sealed: untouched
    assert stored.startswith(crypto.PREFIX) and "apelación" not in stored
    assert Deadline.objects.get(pk=deadline.pk).title == "v1.Presentar apelación"
    step._unseal(apps, editor)
    with conn.cursor() as cursor:
        cursor.execute("SELECT title FROM response_deadline WHERE id = %s", [deadline.pk])
        assert cursor.fetchone()[0] == "v1.Presentar apelación"


def test_the_dump_helper_reads_the_database_in_use():
    assert connection.vendor in ("sqlite", "postgresql")
