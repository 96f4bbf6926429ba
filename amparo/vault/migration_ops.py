"""Migration steps that seal a text column that used to be plain (and unseal it on the way back).

Staged like any risky change: the column first becomes a TextField (a sealed value is longer than
the plain one), then `SealColumn` seals every existing value, row by row, with the row's
organisation key and the column's context (`<table>.<column>`, as `EncryptedTextField` uses).
It reads and writes raw SQL, because the migration's model already unseals on read.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from amparo.vault import crypto


def _is_sealed(value: str, context: str) -> bool:
    # A plain value may start like a sealed one ("v1.…"): only opening it tells.
    if not value.startswith(crypto.PREFIX):
        return False
    try:
        crypto.unseal(value, context=context)
    except (crypto.DecryptionError, ValueError):
        return False
    return True


def _rows(schema_editor: Any, table: str, column: str, org_column: str) -> list[tuple[Any, str, Any]]:
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {qn(column)}, {qn(org_column)} FROM {qn(table)} WHERE {qn(column)} <> ''")  # noqa: S608 (names from the migration, not input)
        return list(cursor.fetchall())


def _write(schema_editor: Any, table: str, column: str, pk: Any, value: str) -> None:
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE id = %s", [value, pk])  # noqa: S608


class SealColumn(migrations.RunPython):
    """Seal every plain value of `table.column`; the reverse opens them again."""

    def __init__(self, table: str, column: str, *, org_column: str = "organisation_id") -> None:
        self.table, self.column, self.org_column = table, column, org_column
        super().__init__(self._seal, self._unseal, elidable=False)

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"

    def _seal(self, apps: Any, schema_editor: Any) -> None:
        for pk, value, org_id in _rows(schema_editor, self.table, self.column, self.org_column):
            if _is_sealed(value, self.context):
                continue
            if org_id is None:
                raise RuntimeError(f"{self.context} row {pk} has a value but no organisation: refusing to guess its key")
            _write(schema_editor, self.table, self.column, pk, crypto.seal(value, org_id=org_id, context=self.context))

    def _unseal(self, apps: Any, schema_editor: Any) -> None:
        for pk, value, _org_id in _rows(schema_editor, self.table, self.column, self.org_column):
            if _is_sealed(value, self.context):
                _write(schema_editor, self.table, self.column, pk, crypto.unseal(value, context=self.context))

    def describe(self) -> str:
        return f"Seal the values of {self.context}"
