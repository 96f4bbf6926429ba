"""The backup file: a gzip'd tar of a consistent database snapshot, every encrypted blob, a
manifest of SHA-256 sums and a signed audit checkpoint, encrypted to age recipients.

    age -d -i backup-identity.txt amparo-backup-….tar.gz.age | tar xz

is all it takes to open one (Debian's `age` package): no Amparo needed. The master key is
never inside. Sealed fields and blobs stay sealed inside the archive too, so reading the
data takes both the age identity and the master key (or K of its escrow shares).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
from django.conf import settings
from django.db import connection

FORMAT = "amparo-backup/1"
NAME_RE = re.compile(r"^amparo-backup-(\d{8}T\d{6})Z\.tar\.gz\.age$")
MANIFEST = "manifest.json"
CHECKPOINT = "audit-checkpoint.json"

README = """Amparo backup ({created}).

Open it with age (Debian: apt install age):
    age -d -i IDENTITY_FILE THIS_FILE.tar.gz.age | tar xz
It holds {database} (the database), private/ (evidence files, still encrypted),
manifest.json (SHA-256 of every file, row counts) and audit-checkpoint.json.
Sealed fields and files are encrypted by the organisations' data keys, which only the
master key unwraps; the master key is NOT in this backup. Restore into an empty instance
with `amparo backup restore FILE --identity IDENTITY_FILE` and the master key in place.
"""


class BackupError(Exception):
    pass


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_name(at: datetime) -> str:
    return f"amparo-backup-{at.astimezone(UTC):%Y%m%dT%H%M%S}Z.tar.gz.age"


def parse_time(name: str) -> datetime | None:
    m = NAME_RE.match(name)
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC) if m else None


# -- recipients and identities --------------------------------------------------------------


def recipients(extra: list[str] | None = None) -> list[Any]:
    texts = list(extra or []) or list(settings.BACKUP_RECIPIENTS)
    if not extra and settings.BACKUP_RECIPIENTS_FILE:
        for line in Path(settings.BACKUP_RECIPIENTS_FILE).read_text().splitlines():
            if line.strip() and not line.strip().startswith("#"):
                texts.append(line.strip())
    if not texts:
        raise BackupError("No backup recipient: set AMPARO_BACKUP_RECIPIENTS (age1… public keys) or pass --recipient.")
    parsed = []
    for text in texts:
        try:
            parsed.append(pyrage.x25519.Recipient.from_str(text))
        except Exception:
            try:
                parsed.append(pyrage.ssh.Recipient.from_str(text))
            except Exception:
                raise BackupError(f"Not an age recipient: {text[:20]}…")
    return parsed


def identities(paths: list[str]) -> list[Any]:
    found = []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if line.strip().startswith("AGE-SECRET-KEY-"):
                found.append(pyrage.x25519.Identity.from_str(line.strip()))
    if not found:
        raise BackupError("No age identity (AGE-SECRET-KEY-…) in the identity file(s).")
    return found


# -- database snapshots ---------------------------------------------------------------------


def _tables() -> list[str]:
    from django.apps import apps

    return sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy})


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args() -> list[str]:
    db = settings.DATABASES["default"]
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args + ["-d", str(db["NAME"])]


def snapshot_database(target_dir: Path) -> tuple[str, dict[str, int]]:
    """A consistent copy of the database, and the row count of every table in that same copy."""
    q = connection.ops.quote_name
    if connection.vendor == "sqlite":
        if connection.in_atomic_block:
            # SQLite's backup step waits forever on a source its own connection is writing to.
            raise BackupError("A backup cannot be taken inside a database transaction.")
        path = target_dir / "database.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(path)
        with dest:
            connection.connection.backup(dest)  # SQLite's online backup API: one consistent copy
        counts = {t: dest.execute(f"SELECT COUNT(*) FROM {q(t)}").fetchone()[0] for t in _tables()}  # noqa: S608
        dest.close()
        return path.name, counts
    if connection.vendor == "postgresql":
        path = target_dir / "database.pgdump"
        # Count and dump from one exported snapshot, so the manifest describes exactly the dump.
        import psycopg

        db = settings.DATABASES["default"]
        with psycopg.connect(
            dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None, port=db.get("PORT") or None,
        ) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            counts = {t: conn.execute(f"SELECT COUNT(*) FROM {q(t)}").fetchone()[0] for t in _tables()}  # type: ignore[index]  # noqa: S608
            done = subprocess.run(
                ["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(path), *_pg_args()],
                env=_pg_env(), capture_output=True, text=True, check=False,
            )
            conn.rollback()
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        return path.name, counts
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


# -- writing --------------------------------------------------------------------------------


@dataclass
class Created:
    path: Path
    size: int
    sha256: str
    files: int
    missing: list[str] = field(default_factory=list)


def _private_files() -> Iterator[tuple[str, Path]]:
    root = Path(settings.PRIVATE_STORAGE_DIR)
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith((".tmp", ".rotating")):
            yield "private/" + path.relative_to(root).as_posix(), path


def create(*, directory: Path, recipient_texts: list[str] | None = None, checkpoint: str = "") -> Created:
    """Write one encrypted backup into `directory`. The caller holds the maintenance lock."""
    rcpts = recipients(recipient_texts)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    final = directory / file_name(now)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".work-") as work_name:
        work = Path(work_name)
        os.chmod(work, 0o700)
        db_name, counts = snapshot_database(work)
        entries: list[dict[str, Any]] = [{"path": db_name, "sha256": _sha256_file(work / db_name), "size": (work / db_name).stat().st_size}]
        files = list(_private_files())
        for arcname, path in files:
            entries.append({"path": arcname, "sha256": _sha256_file(path), "size": path.stat().st_size})
        from amparo.evidence.models import EvidenceFile

        present = {e["path"] for e in entries}
        missing = sorted(
            f"private/{name}" for name in EvidenceFile.objects.values_list("storage_name", flat=True) if f"private/{name}" not in present
        )
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "site": settings.SITE_URL,
            "database": {"vendor": connection.vendor, "file": db_name},
            "counts": counts,
            "files": entries,
            "missing": missing,
            "master_keys_needed": _master_key_ids(),
            "checkpoint": CHECKPOINT if checkpoint else "",
        }
        plain = work / "backup.tar.gz"
        with tarfile.open(plain, "w:gz") as tar:
            _add_bytes(tar, "README.txt", README.format(created=now.isoformat(), database=db_name).encode())
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            if checkpoint:
                _add_bytes(tar, CHECKPOINT, checkpoint.encode())
            tar.add(work / db_name, arcname=db_name)
            for arcname, path in files:
                tar.add(path, arcname=arcname)
        partial = final.with_name(final.name + ".partial")
        pyrage.encrypt_file(str(plain), str(partial), rcpts)
        os.chmod(partial, 0o600)
        os.replace(partial, final)
    return Created(final, final.stat().st_size, _sha256_file(final), len(files), missing)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _master_key_ids() -> list[str]:
    from amparo.vault.models import OrganisationKey

    return sorted(set(OrganisationKey.objects.filter(retired_at=None).values_list("master_key_id", flat=True)))


# -- reading --------------------------------------------------------------------------------


@dataclass
class Opened:
    root: Path
    manifest: dict[str, Any]
    problems: list[str]


@contextmanager
def opened(path: Path, *, identity_paths: list[str]) -> Iterator[Opened]:
    """Decrypt and unpack a backup into a private temporary folder, checking every SHA-256."""
    ids = identities(identity_paths)
    with tempfile.TemporaryDirectory(prefix="amparo-restore-") as work_name:
        work = Path(work_name)
        os.chmod(work, 0o700)
        plain = work / "backup.tar.gz"
        try:
            pyrage.decrypt_file(str(path), str(plain), ids)
        except Exception as exc:
            raise BackupError(f"{path.name} does not decrypt with the given identity ({type(exc).__name__}: {exc}).")
        root = work / "content"
        root.mkdir()
        try:
            with tarfile.open(plain, "r:gz") as tar:
                tar.extractall(root, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{path.name} is damaged: {exc}")
        plain.unlink()
        try:
            manifest = json.loads((root / MANIFEST).read_text())
        except (OSError, ValueError):
            raise BackupError(f"{path.name} has no readable manifest.")
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path.name} is not an Amparo backup ({manifest.get('format')!r}).")
        problems = []
        listed = set()
        for entry in manifest["files"]:
            listed.add(entry["path"])
            member = root / entry["path"]
            if not member.is_file():
                problems.append(f"{entry['path']}: listed in the manifest but missing")
            elif _sha256_file(member) != entry["sha256"]:
                problems.append(f"{entry['path']}: SHA-256 does not match the manifest")
        for extra in root.rglob("*"):
            rel = extra.relative_to(root).as_posix()
            if extra.is_file() and rel not in listed and rel not in {MANIFEST, CHECKPOINT, "README.txt"}:
                problems.append(f"{rel}: not in the manifest")
        problems += _check_snapshot(root, manifest)
        yield Opened(root, manifest, problems)


def _check_snapshot(root: Path, manifest: dict[str, Any]) -> list[str]:
    db = manifest["database"]
    path = root / db["file"]
    if not path.is_file():
        return []
    if db["vendor"] == "sqlite":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return ["the database snapshot fails SQLite's integrity check"]
            problems = []
            for table, expected in manifest["counts"].items():
                got = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                if got != expected:
                    problems.append(f"table {table}: {got} rows in the snapshot, manifest says {expected}")
            return problems
        finally:
            conn.close()
    done = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True, check=False)
    return [] if done.returncode == 0 else [f"the database dump does not read: {done.stderr.strip()[:300]}"]


# -- restoring ------------------------------------------------------------------------------


def instance_is_empty() -> list[str]:
    """Why this instance is not empty (an empty list means restore may fill it)."""
    reasons = []
    tables = connection.introspection.table_names()
    if tables:
        reasons.append(f"the database already has {len(tables)} tables")
    root = Path(settings.PRIVATE_STORAGE_DIR)
    if root.exists() and any(root.iterdir()):
        reasons.append(f"{root} is not empty")
    return reasons


def load_database(root: Path, manifest: dict[str, Any]) -> None:
    db = manifest["database"]
    if db["vendor"] != connection.vendor:
        raise BackupError(f"This backup holds a {db['vendor']} database; this instance runs {connection.vendor}.")
    source = root / db["file"]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        with src:
            src.backup(connection.connection)
        src.close()
        return
    connection.close()
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *_pg_args(), str(source)],
        env=_pg_env(), capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")


def load_files(root: Path) -> int:
    target = Path(settings.PRIVATE_STORAGE_DIR)
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    count = 0
    source = root / "private"
    if not source.exists():
        return 0
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True, mode=0o700)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(path, dest) if path.stat().st_dev == dest.parent.stat().st_dev else dest.write_bytes(path.read_bytes())
            os.chmod(dest, 0o600)
            count += 1
    return count
