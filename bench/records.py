"""How fast are the incident pages with 100,000 incidents? Measured next to an empty Django view.

    python bench/records.py                      # SQLite in a temporary directory
    python bench/records.py --postgres           # PostgreSQL on 127.0.0.1:5432 (database amparo_bench_records)
    python bench/records.py --incidents 20000 --requests 50

It seeds the database with the `amparo demo` generator (bulk, sealed fields encrypted as in
production), starts gunicorn on loopback with one sync worker, signs in a coordinator by writing
a TOTP-verified session directly, then requests the pages sequentially and prints p50 / p95 / mean
in milliseconds and the ratio to the empty view (same middleware, same server, same run).
Pages are requested round-robin (one request each per round) so a busy machine slows all alike.
Bounded: at most --requests rounds or --seconds seconds, and the whole run under --total-seconds.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--incidents", type=int, default=100_000)
    p.add_argument("--people", type=int, default=0, help="default: 60%% of --incidents")
    p.add_argument("--requests", type=int, default=100, help="requests per page (after 3 warm-up requests)")
    p.add_argument("--seconds", type=float, default=120.0, help="time budget for measuring all the pages")
    p.add_argument("--total-seconds", type=float, default=280.0, help="the whole run stays under this (page budgets shrink to fit)")
    p.add_argument("--postgres", action="store_true", help="use PostgreSQL instead of SQLite")
    p.add_argument("--postgres-db", default="amparo_bench_records")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (and PostgreSQL database)")
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def recreate_postgres_db(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres_db(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@dataclass
class Result:
    name: str
    path: str
    times_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times_ms)


def fetch(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    # A fresh connection per request: gunicorn's sync worker closes it after each response anyway.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Page:
    name: str
    paths: list[str]
    expect: bytes = b""  # checked during warm-up: the page really shows what it should


def measure(pages: list[Page], *, port: int, cookie: str, requests: int, budget: float) -> list[Result]:
    """Round-robin over the pages, so a busy machine slows every page alike rather than whichever ran then."""
    for page in pages:
        for i in range(3):
            path = page.paths[i % len(page.paths)]
            status, body = fetch(port, path, cookie)
            if status != 200:
                raise SystemExit(f"{page.name}: {path} answered {status}, not 200 — is the session valid?\n{body[:500]!r}")
            if page.expect and page.expect not in body:
                raise SystemExit(f"{page.name}: {path} does not contain {page.expect!r}")
    results = [Result(page.name, page.paths[0], []) for page in pages]
    deadline = time.perf_counter() + budget
    for i in range(requests):
        for page, result in zip(pages, results, strict=True):
            path = page.paths[i % len(page.paths)]
            start = time.perf_counter()
            status, _ = fetch(port, path, cookie)
            result.times_ms.append((time.perf_counter() - start) * 1000)
            if status != 200:
                raise SystemExit(f"{page.name}: {path} answered {status}")
        if time.perf_counter() > deadline:
            break
    return results


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="amparo-bench-records-"))
    db_url = (
        f"postgres://postgres@127.0.0.1:5432/{args.postgres_db}" if args.postgres else f"sqlite:///{tmp / 'bench.sqlite3'}"
    )
    env = {
        **os.environ,
        "AMPARO_DATA_DIR": str(tmp),
        "AMPARO_DATABASE_URL": db_url,
        "AMPARO_MASTER_KEY": f"bench:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "AMPARO_PRODUCTION": "",
        "AMPARO_DEBUG": "",
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.postgres:
            recreate_postgres_db(args.postgres_db)
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore
        from django.core.management import call_command
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from amparo.accounts.middleware import ACTIVE_ORG_SESSION_KEY
        from amparo.accounts.models import Role
        from amparo.records.management.commands.demo import demo_accounts_create, demo_records_load
        from amparo.records.models import Incident, IncidentViolation, Person
        from amparo.records.views import PAGE_SIZE

        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_s = time.perf_counter() - t
        t = time.perf_counter()
        accounts = demo_accounts_create()
        people = args.people or int(args.incidents * 0.6)
        counts = demo_records_load(accounts=accounts, incidents=args.incidents, people=people, seed=1)
        if args.postgres:
            # Autovacuum would gather statistics soon after a bulk load; do it now so plans are realistic.
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seed_s = time.perf_counter() - t
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'} ({settings.DATABASES['default']['NAME']})")
        print(f"migrate {migrate_s:.1f} s; seeded {Incident.objects.count():,} incidents, {Person.objects.count():,} people, "
              f"{IncidentViolation.objects.count():,} violation links in {seed_s:.1f} s  {counts}")

        lima = accounts[0]
        coordinator = lima.one(Role.COORDINATOR)
        org = lima.organisation
        device = TOTPDevice.objects.get(user=coordinator)
        session = SessionStore()
        session[SESSION_KEY] = str(coordinator.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = coordinator.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[ACTIVE_ORG_SESSION_KEY] = org.pk
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

        visible = Incident.objects.filter(organisation=org)
        total = visible.count()
        pages_total = max(1, -(-total // PAGE_SIZE))
        deep = max(1, pages_total * 3 // 4)
        filtered = visible.filter(violation_links__term__code="arbitrary_detention", department_id="15")
        filtered_total = filtered.count()
        filtered_pages = max(1, -(-filtered_total // PAGE_SIZE))
        filtered_deep = max(1, filtered_pages * 3 // 4)
        detail_ids = list(visible.order_by("?").values_list("pk", flat=True)[:50])
        query = "violation=arbitrary_detention&department=15"

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "amparo.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        ready_by = time.perf_counter() + 30
        while True:
            try:
                fetch(port, "/bench/empty/", cookie)
                break
            except OSError:
                if time.perf_counter() > ready_by or server.poll() is not None:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)

        # A slow seed (a busy machine) leaves less time for the pages, never more than --total-seconds overall.
        budget = max(10.0, min(args.seconds, args.total_seconds - (time.perf_counter() - started) - 15))
        first_ref = visible.order_by("-occurred_on", "-pk").values_list("reference", flat=True)[0].encode()
        pages = [
            Page("empty Django view", ["/bench/empty/"]),
            Page("incident list, page 1", ["/incidentes/"], first_ref),
            Page(f"incident list, page {deep} of {pages_total}", [f"/incidentes/?page={deep}"]),
            Page(f"list filtered ({filtered_total:,} rows), page 1", [f"/incidentes/?{query}"]),
            Page(f"list filtered, page {filtered_deep} of {filtered_pages}", [f"/incidentes/?{query}&page={filtered_deep}"]),
            Page("incident detail", [f"/incidentes/{pk}/" for pk in detail_ids]),
            Page("incident detail, decrypted (audited)", [f"/incidentes/{pk}/?mostrar=1" for pk in detail_ids], b"Relato ficticio"),
        ]
        results = measure(pages, port=port, cookie=cookie, requests=args.requests, budget=budget)
        base = results[0]
        print()
        print(f"Logged-in coordinator of '{org.slug}' ({total:,} incidents visible); gunicorn, 1 sync worker, loopback; "
              f"sequential requests, round-robin over the pages; at most {args.requests} rounds or {budget:.0f} s.")
        print(f"{'page':<44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'p50 ×empty':>11} {'mean ×empty':>12}")
        for r in results:
            print(f"{r.name:<44} {len(r.times_ms):>4} {r.p50:>8.1f} {r.p95:>8.1f} {r.mean:>8.1f} "
                  f"{r.p50 / base.p50:>11.1f} {r.mean / base.mean:>12.1f}")
        print(f"\ntotal {time.perf_counter() - started:.0f} s")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            if args.postgres:
                from django.db import connections

                connections.close_all()
                drop_postgres_db(args.postgres_db)
        else:
            print(f"kept {tmp}" + (f" and database {args.postgres_db}" if args.postgres else ""))


if __name__ == "__main__":
    main()
