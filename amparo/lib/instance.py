"""Whole Amparo instances in subprocesses (their own data directory and database), for drills.

Backup restore drills and the data-key rotation kill test run the `amparo` command as an
operator would, against instances that share nothing with the test process but the master
key. On PostgreSQL (when AMPARO_DATABASE_URL points at one) each instance gets its own
database named after that URL's, plus a suffix.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parents[2]


def new_master_key() -> str:
    return f"mk-drill:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def _postgres_admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True)


def fresh_database_url(suffix: str, data_dir: Path) -> str:
    """An empty database for one instance: a new SQLite file, or a new PostgreSQL database."""
    base = os.environ.get("AMPARO_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{data_dir / 'amparo.sqlite3'}"
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    with _postgres_admin(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def drop_database(url: str) -> None:
    if url.startswith(("postgres://", "postgresql://")):
        name = urlsplit(url).path.lstrip("/")
        with _postgres_admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Instance:
    data_dir: Path
    database_url: str
    env: dict[str, str] = field(repr=False)

    def run(self, *args: str, stdin: str | None = None, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "amparo", *args], env=self.env, cwd=PROJECT_DIR, input=stdin,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"amparo {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "amparo", *args], env=self.env, cwd=PROJECT_DIR,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def python(self, code: str) -> str:
        """Run Python inside the instance (Django set up), as an operator's script would."""
        done = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code], env=self.env, cwd=PROJECT_DIR,
            capture_output=True, text=True, timeout=600, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"script failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def drop(self) -> None:
        drop_database(self.database_url)


def new_instance(data_dir: Path, *, suffix: str, master_key: str, extra: dict[str, str] | None = None) -> Instance:
    data_dir.mkdir(parents=True, exist_ok=True)
    url = fresh_database_url(suffix, data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "amparo.settings",
        "AMPARO_DATA_DIR": str(data_dir),
        "AMPARO_SECRET_KEY": secrets.token_urlsafe(40),
        "AMPARO_MASTER_KEY": master_key,
        "AMPARO_DATABASE_URL": url,
        "AMPARO_HUEY_IMMEDIATE": "1",
        "AMPARO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": str(PROJECT_DIR),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return Instance(data_dir, url, env)
