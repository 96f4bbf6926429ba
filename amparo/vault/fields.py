"""Model fields whose values are sealed with the row's organisation key before they reach the database."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from amparo.vault import crypto


class EncryptedTextField(models.TextField):
    """Text sealed with AES-256-GCM under the organisation's data key.

    The model must carry `organisation_id` (every tenant table does). Values are never
    searchable in SQL; use a blind index beside the field when finding equals is needed.
    """

    def __init__(self, *args: Any, org_field: str = "organisation_id", **kwargs: Any) -> None:
        self.org_field = org_field
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        if self.org_field != "organisation_id":
            kwargs["org_field"] = self.org_field
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def to_plain(self, value: Any) -> str:
        return "" if value is None else str(value)

    def from_plain(self, value: str) -> Any:
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        plain = self.to_plain(getattr(model_instance, self.attname))
        if plain == "":
            return ""
        org_id = getattr(model_instance, self.org_field)
        if org_id is None:
            raise ValueError(f"{model_instance!r} has no organisation; cannot seal {self.name}")
        return crypto.seal(plain, org_id=org_id, context=self.context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.from_plain("")
        return self.from_plain(crypto.unseal(value, context=self.context))

    def get_prep_value(self, value: Any) -> Any:
        # pre_save already sealed the value for saves; lookups on sealed columns make no sense.
        if isinstance(value, str) and (value == "" or value.startswith(crypto.PREFIX)):
            return value
        if value is None:
            return value
        raise TypeError(f"{self.name} is encrypted: it cannot be used in a query")


class EncryptedJSONField(EncryptedTextField):
    """A small JSON document (dict/list) sealed as one value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def to_plain(self, value: Any) -> str:
        if value in (None, "", {}, []):
            return ""
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def from_plain(self, value: str) -> Any:
        return json.loads(value) if value else {}

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
