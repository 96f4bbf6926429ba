"""What the benches that compare backends share: one child process per backend, each on a fresh
database (a temporary SQLite file, or a PostgreSQL database dropped and created again), and an
empty view beside the real URLs so the floor is measured through the same stack."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_each_backend(script: str, backends: str, *, name: str, child_args: list[str]) -> int:
    """Run `script --child CHILD_ARGS` once per backend in `backends` ("sqlite,postgres"), with its own
    data directory, master key and database (PostgreSQL: amparo_NAME_bench on 127.0.0.1:5432)."""
    for backend in backends.split(","):
        env = dict(os.environ)
        data_dir = tempfile.mkdtemp(prefix=f"amparo-{name}-bench-{backend}-")
        env["AMPARO_DATA_DIR"] = data_dir
        env["AMPARO_HUEY_IMMEDIATE"] = "0"
        env["AMPARO_MASTER_KEY"] = "mk-bench:" + base64.b64encode(secrets.token_bytes(32)).decode()
        if backend == "postgres":
            import psycopg

            database = f"amparo_{name}_bench"
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {database}")
                conn.execute(f"CREATE DATABASE {database}")
            env["AMPARO_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
        else:
            env["AMPARO_DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
        print(f"\n=== {backend} ===", flush=True)
        code = subprocess.call([sys.executable, script, "--child", *child_args], env=env, cwd=ROOT)
        if code:
            return code
    return 0


def install_empty_view() -> None:
    """An empty view at /__empty__/ beside the real URLs."""
    import types

    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import include, path

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("__empty__/", lambda request: HttpResponse("ok")), path("", include("amparo.urls"))]  # type: ignore[attr-defined]
    for name in ("handler400", "handler403", "handler404", "handler500"):
        setattr(module, name, getattr(__import__("amparo.urls", fromlist=[name]), name))
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"
