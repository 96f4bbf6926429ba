"""Data-key rotation: re-seal everything an organisation keeps under a new data key.

It runs with the site up, in small committed batches, and can be killed at any moment:
its only state is in the data itself (each sealed value names its key in its header), so
running it again picks up where it stopped. The new key is made first and becomes the one
every process seals with (within `crypto.ACTIVE_KEY_TTL_SECONDS`); older keys are retired
— their wrapped copy erased — only after a full pass finds nothing left that uses them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from amparo.vault import crypto, registry
from amparo.vault.fields import encrypted_fields
from amparo.vault.models import OrganisationKey

Progress = Callable[[str], None]


@dataclass
class RotationReport:
    target_version: int
    values: int = 0
    files: int = 0
    batches: int = 0
    left: int = 0
    retired: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Column:
    model: type[models.Model]
    column: str
    org_column: str
    context: Callable[[int], str]
    binary: bool


def _constant(context: str) -> Callable[[int], str]:
    return lambda _org_id: context


def _sealed_columns() -> list[_Column]:
    """Every sealed column of every model: text fields by their class, bytes by registration."""
    columns: list[_Column] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for f in encrypted_fields(model):
            org = next((c for c in model._meta.concrete_fields if c.attname == f.org_field), None)
            if org is None:
                raise RuntimeError(f"{model._meta.label}.{f.name}: its organisation ({f.org_field}) is not a column")
            columns.append(_Column(model, str(f.column), str(org.column), _constant(f.context), binary=False))
    for entry in registry.SEALED_BYTES:
        model = apps.get_model(entry.model)
        org = model._meta.get_field("organisation")
        column = str(model._meta.get_field(entry.field).column)  # type: ignore[union-attr]
        columns.append(_Column(model, column, str(org.column), entry.context, binary=True))  # type: ignore[union-attr]
    return columns


def _key_pk_of(value: Any, *, binary: bool) -> int | None:
    if value is None:
        return None
    if binary:
        raw = bytes(value)
        return crypto.key_pk_of(raw) if raw else None
    text = str(value)
    return crypto.sealed_key_pk(text) if text else None


def _reseal(value: Any, *, binary: bool, org_id: int, context: str, key_pk: int) -> Any:
    if binary:
        plain = crypto.decrypt_bytes(bytes(value), context=context)  # type: ignore[call-overload]
        return crypto.encrypt_bytes(plain, org_id=org_id, context=context, key_pk=key_pk)
    return crypto.seal(crypto.unseal(str(value), context=context), org_id=org_id, context=context, key_pk=key_pk)


def _batches(col: _Column, org_id: int, size: int) -> Iterator[list[tuple[Any, Any]]]:
    q = connection.ops.quote_name
    table, pk = q(col.model._meta.db_table), q(str(col.model._meta.pk.column))  # type: ignore[union-attr]
    # Names come from model metadata, quoted; values are parameters.
    sql = f"SELECT {pk}, {q(col.column)} FROM {table} WHERE {q(col.org_column)} = %s AND {pk} > %s ORDER BY {pk}"  # noqa: S608
    last: Any = 0 if isinstance(col.model._meta.pk, models.AutoField | models.BigAutoField) else ""
    while True:
        with connection.cursor() as cur:
            cur.execute(f"{sql} LIMIT {int(size)}", [org_id, last])
            rows = cur.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _sweep_columns(
    org_id: int, target: int, stale: set[int], size: int, report: RotationReport, progress: Progress, pause: float = 0.0
) -> int:
    """Re-seal values still under a stale key. Returns how many it found (0: nothing left)."""
    found = 0
    q = connection.ops.quote_name
    for col in _sealed_columns():
        context = col.context(org_id)
        table, pk = q(col.model._meta.db_table), q(str(col.model._meta.pk.column))  # type: ignore[union-attr]
        update = f"UPDATE {table} SET {q(col.column)} = %s WHERE {pk} = %s AND {q(col.column)} = %s"  # noqa: S608
        for rows in _batches(col, org_id, size):
            todo = [
                (row_pk, bytes(value) if col.binary else value)
                for row_pk, value in rows
                if _key_pk_of(value, binary=col.binary) in stale
            ]
            if not todo:
                continue
            found += len(todo)
            with transaction.atomic(), connection.cursor() as cur:
                for row_pk, value in todo:
                    new = _reseal(value, binary=col.binary, org_id=org_id, context=context, key_pk=target)
                    # Compare-and-set: a value edited meanwhile is left for the next pass.
                    cur.execute(update, [new, row_pk, value])
                    report.values += cur.rowcount
            report.batches += 1
            progress(f"batch {report.batches}: {col.model._meta.label}.{col.column} re-sealed {len(todo)}")
            if pause:
                time.sleep(pause)
    return found


def _sweep_files(org_id: int, target: int, stale: set[int], report: RotationReport, progress: Progress) -> int:
    found = 0
    for entry in registry.SEALED_FILES:
        model = apps.get_model(entry.model)
        names = model._default_manager.filter(organisation_id=org_id).values_list(entry.name_field, flat=True)
        for name in names.iterator():
            path = entry.path(name)
            try:
                blob = path.read_bytes()
            except FileNotFoundError:
                continue
            if crypto.key_pk_of(blob) not in stale:
                continue
            found += 1
            context = entry.context(name)
            plain = crypto.decrypt_bytes(blob, context=context)
            tmp = path.with_name(path.name + ".rotating")
            tmp.write_bytes(crypto.encrypt_bytes(plain, org_id=org_id, context=context, key_pk=target))
            os.replace(tmp, path)  # atomic: a kill leaves either the old file or the new one
            report.files += 1
            report.batches += 1
            progress(f"batch {report.batches}: file {name} re-encrypted")
    return found


def rotate_data_key(
    *,
    org_id: int,
    batch_size: int = 200,
    grace_seconds: float | None = None,
    progress: Progress = lambda _: None,
    dry_run: bool = False,
    pause_seconds: float = 0.0,
) -> RotationReport:
    """Move everything of one organisation to a new data key; resume a rotation that was cut short."""
    grace = 2 * crypto.ACTIVE_KEY_TTL_SECONDS if grace_seconds is None else grace_seconds
    keys = list(OrganisationKey.objects.filter(organisation_id=org_id, purpose=OrganisationKey.Purpose.DATA, retired_at=None).order_by("version"))
    if dry_run:
        return RotationReport(target_version=(keys[-1].version + 1) if len(keys) <= 1 else keys[-1].version, left=len(keys))
    if len(keys) <= 1:  # nothing in progress: start one
        with transaction.atomic():
            from amparo.audit import services as audit

            target_key = crypto.create_org_key(org_id=org_id, purpose=OrganisationKey.Purpose.DATA)
            audit.record(actor=None, action="keys.data_rotation_started", organisation_id=org_id, detail={"version": target_key.version})
        progress(f"new data key version {target_key.version}")
    else:
        target_key = keys[-1]
        progress(f"resuming rotation to data key version {target_key.version}")
    stale = {k.pk for k in OrganisationKey.objects.filter(organisation_id=org_id, purpose=OrganisationKey.Purpose.DATA).exclude(pk=target_key.pk)}
    report = RotationReport(target_version=target_key.version)
    _sweep_columns(org_id, target_key.pk, stale, batch_size, report, progress, pause_seconds)
    _sweep_files(org_id, target_key.pk, stale, report, progress)
    # Processes that cached the old key may still seal with it for a while: wait them out,
    # then one more pass must find nothing before the old keys go.
    waited = (timezone.now() - target_key.created_at).total_seconds()
    if waited < grace:
        progress(f"waiting {grace - waited:.0f} s for every process to move to the new key")
        time.sleep(grace - waited)
    _sweep_columns(org_id, target_key.pk, stale, batch_size, report, progress)
    _sweep_files(org_id, target_key.pk, stale, report, progress)
    left = _count_stale(org_id, stale)
    report.left = left
    if left == 0:
        with transaction.atomic():
            from amparo.audit import services as audit

            retiring = list(
                OrganisationKey.objects.select_for_update().filter(pk__in=stale, retired_at=None).order_by("version")
            )
            for key in retiring:
                key.retired_at, key.wrapped_key = timezone.now(), b""
                key.save(update_fields=["retired_at", "wrapped_key"])
            report.retired = [k.version for k in retiring]
            audit.record(
                actor=None, action="keys.data_rotated", organisation_id=org_id,
                detail={"version": target_key.version, "retired": report.retired, "values": report.values, "files": report.files},
            )
        crypto.forget_keys()
    return report


def _sealed_key_pks(org_id: int) -> Iterator[int | None]:
    """The data key (its row id) of every sealed value and file of an organisation, one per item
    (a read-only pass; the one walk behind `key_usage` and the stale count)."""
    for col in _sealed_columns():
        for rows in _batches(col, org_id, 1000):
            for _pk, value in rows:
                yield _key_pk_of(value, binary=col.binary)
    for entry in registry.SEALED_FILES:
        model = apps.get_model(entry.model)
        for name in model._default_manager.filter(organisation_id=org_id).values_list(entry.name_field, flat=True).iterator():
            try:
                with open(entry.path(name), "rb") as fh:
                    head = fh.read(8)
            except FileNotFoundError:
                continue
            if len(head) == 8:
                yield crypto.key_pk_of(head)


def _count_stale(org_id: int, stale: set[int]) -> int:
    """Values and files still sealed under a stale key."""
    return sum(1 for key_pk in _sealed_key_pks(org_id) if key_pk in stale)


def key_usage(*, org_id: int) -> dict[int, int]:
    """How many sealed values and files each data key version of an organisation seals now."""
    versions = dict(OrganisationKey.objects.filter(organisation_id=org_id, purpose=OrganisationKey.Purpose.DATA).values_list("pk", "version"))
    usage: dict[int, int] = {v: 0 for v in versions.values()}
    for key_pk in _sealed_key_pks(org_id):
        if key_pk in versions:
            usage[versions[key_pk]] += 1
    return usage
