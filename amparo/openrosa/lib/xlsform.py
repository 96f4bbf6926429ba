"""Build the repository's XLSForms into XForms with pyxform.

Source of truth: `amparo/openrosa/xlsforms/<form_id>/survey.csv` and `settings.csv` (plain text,
so a change to a question is a readable diff), plus `fixed_choices.csv` for the lists that are
the forms' own. The lists that must never drift from Amparo (vocabularies, ubigeo, coded person
fields) are not written by hand: the caller passes them in (`ChoiceSet`), taken from the
database at build time. Older schema versions live under `<form_id>/history/<version>/` so a
phone that still carries one can be understood and its answers mapped.

The workbook is assembled with openpyxl with fixed timestamps, so the same sources give the
same .xlsx bytes (it can be downloaded, opened in a spreadsheet or uploaded to Kobo), and the
XForm is built from that workbook: what pyxform reads is exactly what a person would.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent / "xlsforms"
FORM_IDS = ("incident_interview", "raid_alarm", "follow_up_visit", "activity_tally")
BINARY_TYPES = {"image", "audio", "video", "file", "background-audio"}
LANG_ES = "Español (es)"
LANG_EN = "English (en)"
_FIXED_TIME = dt.datetime(2026, 1, 1)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


class FormSourceError(ValueError):
    pass


@dataclass(frozen=True)
class Choice:
    name: str
    label_es: str
    label_en: str


@dataclass
class ChoiceSet:
    """Generated lists (by list_name) and generated media files (CSV for big cascades)."""

    lists: dict[str, list[Choice]] = field(default_factory=dict)
    media: dict[str, bytes] = field(default_factory=dict)
    # Set by whoever caches choice sets, so derived values can be cached per set.
    serial: int = 0

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.lists):
            digest.update(name.encode())
            for choice in self.lists[name]:
                digest.update(f"\0{choice.name}\0{choice.label_es}\0{choice.label_en}".encode())
        for name in sorted(self.media):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.media[name]).digest())
        return digest.hexdigest()


@dataclass(frozen=True)
class BuiltForm:
    form_id: str
    title: str
    schema_version: str
    version: str
    xml: bytes
    xlsx: bytes
    media: dict[str, bytes]
    binary_fields: tuple[str, ...]
    encrypted: bool

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xml).hexdigest()  # noqa: S324 - OpenRosa's form hash is MD5


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise FormSourceError(f"missing form source {path}")
    with open(path, newline="", encoding="utf-8") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def schema_versions(form_id: str) -> list[str]:
    """Every schema version the repository knows for a form, newest first."""
    if form_id not in FORM_IDS:
        raise FormSourceError(f"unknown form {form_id!r}")
    current = _read_csv(SOURCE_DIR / form_id / "settings.csv")[0]["version"]
    history = SOURCE_DIR / form_id / "history"
    older = sorted((p.name for p in history.iterdir() if p.is_dir()), reverse=True) if history.exists() else []
    return [current, *older]


def _source_dir(form_id: str, schema_version: str | None) -> Path:
    versions = schema_versions(form_id)
    if schema_version is None or schema_version == versions[0]:
        return SOURCE_DIR / form_id
    if schema_version not in versions:
        raise FormSourceError(f"{form_id} has no schema version {schema_version}")
    return SOURCE_DIR / form_id / "history" / schema_version


def survey_rows(form_id: str, schema_version: str | None = None) -> list[dict[str, str]]:
    return _read_csv(_source_dir(form_id, schema_version) / "survey.csv")


def binary_fields(rows: list[dict[str, str]]) -> tuple[str, ...]:
    return tuple(row["name"] for row in rows if row.get("type", "").strip() in BINARY_TYPES)


def _used_lists(rows: list[dict[str, str]]) -> set[str]:
    used = set()
    for row in rows:
        parts = row.get("type", "").split()
        if len(parts) == 2 and parts[0] in {"select_one", "select_multiple"}:
            used.add(parts[1])
    return used


def _used_media(rows: list[dict[str, str]]) -> set[str]:
    return {
        row["type"].split()[1]
        for row in rows
        if row.get("type", "").startswith(("select_one_from_file ", "select_multiple_from_file "))
    }


def _workbook(sheets: dict[str, tuple[list[str], list[list[str]]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    wb.properties.creator = "Amparo"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    # Re-pack with fixed member timestamps so identical sources give identical bytes.
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the time of saving.
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, data)
    return fixed.getvalue()


def _version(schema: str, rows: list, settings: dict, choice_rows: list, media: dict[str, bytes], public_key: str) -> str:
    # The served version changes whenever anything the phone sees changes (questions, lists,
    # media, key), so Collect always notices; the schema part says which mapping applies.
    fingerprint = hashlib.sha256(
        json.dumps([rows, settings, choice_rows, sorted((n, hashlib.sha256(b).hexdigest()) for n, b in media.items()), public_key]).encode()
    ).hexdigest()[:8]
    return f"{schema}.{fingerprint}"


def schema_of(version: str) -> str:
    return version.split(".", 1)[0]


def planned_version(form_id: str, *, choices: ChoiceSet, public_key: str = "", schema_version: str | None = None) -> str:
    """The version `build` would give, without running pyxform (cheap: for the form list)."""
    return build(form_id, choices=choices, public_key=public_key, schema_version=schema_version, plan_only=True).version


def build(
    form_id: str, *, choices: ChoiceSet, public_key: str = "", schema_version: str | None = None, plan_only: bool = False
) -> BuiltForm:
    from pyxform.xls2xform import convert

    source = _source_dir(form_id, schema_version)
    rows = _read_csv(source / "survey.csv")
    settings = _read_csv(source / "settings.csv")[0]
    fixed = _read_csv(SOURCE_DIR / "fixed_choices.csv")

    used = _used_lists(rows)
    choice_rows: list[list[str]] = []
    for row in fixed:
        if row["list_name"] in used:
            choice_rows.append([row["list_name"], row["name"], row[f"label::{LANG_ES}"], row[f"label::{LANG_EN}"]])
    fixed_lists = {row["list_name"] for row in fixed}
    for list_name in sorted(used - fixed_lists):
        generated = choices.lists.get(list_name)
        if not generated:
            raise FormSourceError(f"{form_id} needs the choice list {list_name!r}, which was not supplied")
        choice_rows += [[list_name, c.name, c.label_es, c.label_en] for c in generated]
    media_names = _used_media(rows)
    missing_media = media_names - set(choices.media)
    if missing_media:
        raise FormSourceError(f"{form_id} needs media files {sorted(missing_media)}")
    media = {name: choices.media[name] for name in sorted(media_names)}

    schema = settings["version"]
    version = _version(schema, rows, settings, choice_rows, media, public_key)

    if plan_only:
        return BuiltForm(form_id, settings["form_title"], schema, version, b"", b"", media, binary_fields(rows), bool(public_key))
    survey_header = list(rows[0].keys())
    settings_header = [*settings.keys(), *(["public_key"] if public_key else [])]
    settings_row = [*(version if key == "version" else value for key, value in settings.items()), *([public_key] if public_key else [])]
    xlsx = _workbook(
        {
            "survey": (survey_header, [[row[h] or "" for h in survey_header] for row in rows]),
            "choices": (["list_name", "name", f"label::{LANG_ES}", f"label::{LANG_EN}"], choice_rows),
            "settings": (settings_header, [settings_row]),
        }
    )
    warnings: list[str] = []
    result = convert(xlsx, warnings=warnings, file_type=".xlsx", form_name=form_id)
    return BuiltForm(
        form_id=form_id,
        title=settings["form_title"],
        schema_version=schema,
        version=version,
        xml=result.xform.encode("utf-8"),
        xlsx=xlsx,
        media=media,
        binary_fields=binary_fields(rows),
        encrypted=bool(public_key),
    )


def external_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
