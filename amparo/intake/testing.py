"""Run a real Amparo server on loopback for browser tests and the intake benchmark.

A fresh data directory, database, master key and organisation each time; the server's
own output (access log included) goes to a file the caller can search.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(data_dir: Path, *, database_url: str = "", extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DJANGO_"))}
    env.update({
        "AMPARO_DATA_DIR": str(data_dir),
        "AMPARO_SECRET_KEY": secrets.token_urlsafe(40),
        "AMPARO_MASTER_KEY": f"test:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "AMPARO_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'amparo.sqlite3'}",
        "AMPARO_HUEY_IMMEDIATE": "1",
        "PYTHONPATH": str(PROJECT_DIR),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args], env=env, cwd=PROJECT_DIR,
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(env: dict[str, str], *, slugs: tuple[str, ...] = ("lima",)) -> None:
    """Migrate and create one organisation per slug."""
    manage(env, "migrate", "--noinput", "-v", "0")
    code = (
        "from amparo.accounts.services import organisation_create\n"
        f"for slug in {list(slugs)!r}:\n"
        "    organisation_create(name='Colectiva ' + slug.title(), slug=slug, department_code='15')\n"
    )
    manage(env, "shell", "-c", code)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(env: dict[str, str], *, command: list[str] | None = None, port: int | None = None, log_path: Path) -> Server:
    """Start `runserver` (or the given command, with {port} filled in) and wait until it answers."""
    port = port or free_port()
    argv = [a.replace("{port}", str(port)) for a in command] if command else [
        sys.executable, str(PROJECT_DIR / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading",
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(argv, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/static/intake/report.css", timeout=2):  # noqa: S310 (loopback only)
                return Server(url=url, process=process, log_path=log_path, env=env)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start in time")


def with_empty_view(env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """Serve the project plus an empty view at /bench/empty/, the benchmarks' yardstick."""
    (data_dir / "amparo_bench_urls.py").write_text(
        "from django.http import HttpResponse\n"
        "from django.urls import path\n\n"
        "from amparo.urls import urlpatterns as project_urlpatterns\n\n\n"
        "def empty(request):\n"
        "    return HttpResponse(b'')\n\n\n"
        "urlpatterns = [path('bench/empty/', empty), *project_urlpatterns]\n"
    )
    (data_dir / "amparo_bench_settings.py").write_text(
        "from amparo.settings import *  # noqa: F403\n\nROOT_URLCONF = 'amparo_bench_urls'\n"
    )
    return {**env, "DJANGO_SETTINGS_MODULE": "amparo_bench_settings", "PYTHONPATH": f"{data_dir}{os.pathsep}{env['PYTHONPATH']}"}
