"""Throughput of anonymous report submission, next to an empty Django view on the same server.

Starts Amparo under gunicorn on loopback with a fresh database (SQLite by default, or
--database-url), pre-solves proof-of-work challenges (a client's cost, not the server's),
then drives POST /api/v1/public/r/<org>/reports with concurrent clients for a bounded time,
and the empty view the same way. Prints accepted reports per second and p50/p99 latency for
both. Afterwards it checks that every accepted report is stored and decrypts to what was sent.
Run: python bench/intake.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amparo.intake import testing  # noqa: E402
from amparo.intake.lib import pow  # noqa: E402

NARRATIVE = "Bench report {marker}: nos detuvieron en la avenida sin motivo y nos quitaron el celular."


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def presolve(host: str, port: int, slug: str, count: int, deadline: float) -> list[str]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    solutions = []
    while len(solutions) < count and time.monotonic() < deadline:
        status, body = _request(conn, "GET", f"/api/v1/public/r/{slug}/challenge")
        assert status == 200, body
        challenge = json.loads(body)
        number = pow.solve(challenge=challenge["challenge"], salt=challenge["salt"], maxnumber=challenge["maxnumber"])
        solutions.append(pow.solution_payload(challenge, number))
    conn.close()
    return solutions


def drive(host: str, port: int, clients: int, seconds: float, make_request) -> tuple[list[float], dict[int, int], float]:  # type: ignore[no-untyped-def]
    """Run `clients` threads, each sending requests back to back until time is up."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while time.monotonic() < stop_at:
            request = make_request()
            if request is None:
                break
            method, path, body = request
            start = time.perf_counter()
            try:
                status, _ = _request(conn, method, path, body)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
                status = 0
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


VERIFY = """
import json, sys
from amparo.intake.models import Report
markers = set(json.load(open(sys.argv[-1])))
found, unreadable = set(), 0
for report in Report.objects.filter(organisation__slug="lima").iterator():
    try:
        text = report.narrative
    except Exception:
        unreadable += 1
        continue
    marker = text.split(" ")[2].rstrip(":")
    found.add(marker)
print(json.dumps({"stored": Report.objects.count(), "decrypted": len(found), "unreadable": unreadable,
                  "missing": len(markers - found), "unexpected": len(found - markers)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed phase (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--database-url", default="", help="an existing PostgreSQL database to EMPTY and use, e.g. postgres://postgres@127.0.0.1:5432/amparo_intake_bench")
    parser.add_argument("--pow-maxnumber", type=int, default=5000, help="proof-of-work size for the bench (default 5000)")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 120.0)

    data_dir = Path(tempfile.mkdtemp(prefix="amparo-bench-intake-"))
    env = testing.with_empty_view(
        testing.environment(data_dir, database_url=args.database_url, extra={
            # Budgets are per organisation per window; the bench measures the server, not the limiter.
            "AMPARO_INTAKE_RATE_REPORTS": "100000000",
            "AMPARO_INTAKE_POW_BUSY_THRESHOLD": "100000000",
            "AMPARO_INTAKE_POW_MAXNUMBER": str(args.pow_maxnumber),
        }),
        data_dir,
    )
    if args.database_url:
        # Start from an empty schema so migrations seed vocabularies and places again.
        testing.manage(env, "shell", "-c", "from django.db import connection\nwith connection.cursor() as c:\n    c.execute('DROP SCHEMA public CASCADE; CREATE SCHEMA public')")
    print(f"Preparing a fresh database in {data_dir}…", flush=True)
    testing.prepare(env)
    command = [
        sys.executable, "-m", "gunicorn", "amparo.wsgi", "-b", "127.0.0.1:{port}",
        "-w", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread", "--log-level", "warning",
    ]
    server = testing.start(env, command=command, log_path=data_dir / "server.log")
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    try:
        print(f"Pre-solving proof-of-work challenges (maxnumber {args.pow_maxnumber})…", flush=True)
        budget = int(args.seconds * 200) + 100
        solutions = presolve(host, port, "lima", budget, time.monotonic() + 60)
        print(f"  {len(solutions)} challenges solved", flush=True)
        markers: list[str] = []
        lock = threading.Lock()

        def next_report():  # type: ignore[no-untyped-def]
            with lock:
                if not solutions:
                    return None
                solution = solutions.pop()
                marker = uuid.uuid4().hex[:12]
                markers.append(marker)
            body = {
                "pow": solution, "violations": ["arbitrary_detention", "robbery"], "occurred_on": "2025-06-02",
                "department": "15", "district": "Lince", "perpetrators": ["pnp_officer"],
                "narrative": NARRATIVE.format(marker=marker), "reporter": "victim", "consent_store": True,
                "consent_share_stats": True, "contact": "Signal, de noche",
            }
            return "POST", "/api/v1/public/r/lima/reports", json.dumps(body).encode()

        # Warm up both paths (imports, connections, keys) before timing.
        drive(host, port, 2, 1.0, lambda: ("GET", "/bench/empty/", None))
        report_lat, report_status, report_time = drive(host, port, args.clients, args.seconds, next_report)
        empty_lat, empty_status, empty_time = drive(host, port, args.clients, args.seconds, lambda: ("GET", "/bench/empty/", None))

        accepted = report_status.get(201, 0)
        print(f"\nLoopback, gunicorn {args.workers} workers × {args.threads} threads, {args.clients} clients, "
              f"{args.seconds:.0f} s per phase, {'PostgreSQL' if args.database_url else 'SQLite'}:")
        print(f"  {'':28} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}   statuses")
        empty_rps = sum(empty_status.values()) / empty_time
        report_rps = accepted / report_time
        print(f"  {'empty Django view':28} {empty_rps:9.1f} {pct(empty_lat, 50):9.2f} {pct(empty_lat, 99):9.2f}   {empty_status}")
        print(f"  {'report submission (API)':28} {report_rps:9.1f} {pct(report_lat, 50):9.2f} {pct(report_lat, 99):9.2f}   {report_status}")
        print(f"  submission / empty view: throughput {report_rps / empty_rps:.3f}×, p50 latency {pct(report_lat, 50) / pct(empty_lat, 50):.1f}×")
        if not solutions:
            print("  note: ran out of pre-solved challenges before the time was up")
        from amparo.intake.lib import receipts

        start = time.perf_counter()
        for _ in range(5):
            receipts.hash_passphrase("sol luna mar cafe tela")
        argon_ms = (time.perf_counter() - start) / 5 * 1000
        cores = os.cpu_count() or 1
        print(f"  one Argon2id passphrase hash here: {argon_ms:.0f} ms (by design) → at most ≈ {cores * 1000 / argon_ms:.0f} submissions/s on {cores} cores")
    finally:
        server.stop()

    sent = data_dir / "markers.json"
    sent.write_text(json.dumps(markers))
    check = json.loads(testing.manage(env, "shell", "-c", VERIFY.replace("sys.argv[-1]", repr(str(sent)))).strip().splitlines()[-1])
    print(f"\nAfter the run: {check['stored']} reports stored, {check['decrypted']} decrypted, "
          f"{check['unreadable']} unreadable, {check['missing']} sent but missing (incl. refused), {check['unexpected']} unexpected.")
    ok = check["stored"] == accepted and check["decrypted"] == accepted and check["unreadable"] == 0 and check["unexpected"] == 0
    print("Every accepted report is stored and decrypts: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
