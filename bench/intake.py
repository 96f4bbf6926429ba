"""Throughput of anonymous report submission, next to an empty Django view on the same server.

Starts Amparo under gunicorn on loopback with a fresh database (SQLite by default, or
--database-url), pre-solves proof-of-work challenges (a client's cost, not the server's),
then drives POST /api/v1/public/r/<org>/reports with concurrent clients for a bounded time,
and the empty view the same way. Prints accepted reports per second and p50/p99 latency for
both. Afterwards it checks that every accepted report is stored and decrypts to what was sent.

Then the flood phase, on a second fresh server with the real limits: 8 clients (threads of one
separate process, so together they hold about one core, as remote senders would not hold ours)
send reports as fast as they can solve proofs of work, starting with a stockpile they solved
while the form was quiet, while a ninth client sends an ordinary report every two seconds. It
prints the ninth's success rate and p95 (challenge, solving and sending, and a second round when
told its solution is outdated), what the flood got through, and the price the flood reached.
Run: python bench/intake.py [--seconds 10] [--clients 8] [--flood-seconds 60] [--flood-only]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
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


def _empty_database(url: str) -> None:
    """Start from an empty schema so migrations seed vocabularies and places again.

    Straight through psycopg: Amparo's own commands may write to the audit trail as they start,
    which an older schema left by an earlier run would refuse.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _report_body(solution: str, narrative: str) -> bytes:
    return json.dumps({
        "pow": solution, "violations": ["arbitrary_detention"], "occurred_on": "2025-06-02", "department": "15",
        "district": "Lince", "perpetrators": ["pnp_officer"], "narrative": narrative, "reporter": "victim",
        "consent_store": True,
    }).encode()


def _once(host: str, port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request on its own connection, as a phone coming back after a while would open one."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        return _request(conn, method, path, body)
    finally:
        conn.close()


def _solve_fresh(host: str, port: int, slug: str) -> tuple[str, int]:
    status, body = _once(host, port, "GET", f"/api/v1/public/r/{slug}/challenge")
    assert status == 200, body
    challenge = json.loads(body)
    number = pow.solve(challenge=challenge["challenge"], salt=challenge["salt"], maxnumber=challenge["maxnumber"])
    return pow.solution_payload(challenge, number), challenge["maxnumber"]


def _flooder(host: str, port: int, slug: str, clients: int, seconds: float, stockpile: int, results) -> None:  # type: ignore[no-untyped-def]
    """Runs in its own process: `clients` threads pre-solve a stockpile, then send without pause.

    At a lower CPU priority: remote senders solve on their own machines, so this machine's two
    cores go first to the server and to the ninth client's phone; the flood gets every idle cycle.
    """
    os.nice(10)
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    piles: list[list[str]] = []

    def prepare() -> None:
        pile = [_solve_fresh(host, port, slug)[0] for _ in range(stockpile)]
        with lock:
            piles.append(pile)

    threads = [threading.Thread(target=prepare) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(("ready", None))
    stop_at = time.monotonic() + seconds
    highest = [0]

    def flood(pile: list[str]) -> None:
        while time.monotonic() < stop_at:
            try:
                if pile:
                    solution, kind = pile.pop(), "stockpiled"
                else:
                    solution, maxnumber = _solve_fresh(host, port, slug)
                    kind = "fresh"
                    highest[0] = max(highest[0], maxnumber)
                status, answer = _once(host, port, "POST", f"/api/v1/public/r/{slug}/reports", _report_body(solution, "Avalancha de reportes falsos"))
                code = json.loads(answer).get("error", {}).get("code", "") if status >= 400 else ""
            except (OSError, http.client.HTTPException, ValueError) as exc:
                kind, status, code = "error", 0, type(exc).__name__
            with lock:
                key = f"{kind} {status}{' ' + code if code else ''}"
                statuses[key] = statuses.get(key, 0) + 1

    threads = [threading.Thread(target=flood, args=(pile,)) for pile in piles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(("done", {"statuses": statuses, "highest_maxnumber": highest[0]}))


def flood_phase(args: argparse.Namespace) -> bool:
    """8 clients flood, a ninth sends ordinary reports; True when the ninth met the goal."""
    data_dir = Path(tempfile.mkdtemp(prefix="amparo-bench-flood-"))
    env = testing.environment(data_dir, database_url=args.database_url, extra={
        # The real limits: only the base work is set, to the production default unless told.
        "AMPARO_INTAKE_POW_MAXNUMBER": str(args.flood_pow_maxnumber),
        "AMPARO_INTAKE_RATE_REPORTS": str(args.flood_budget),
    })
    if args.database_url:
        _empty_database(args.database_url)
    print(f"\nFlood phase: preparing a fresh database in {data_dir}…", flush=True)
    testing.prepare(env)
    server = testing.start(env, command=[
        sys.executable, "-m", "gunicorn", "amparo.wsgi", "-b", "127.0.0.1:{port}",
        "-w", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread", "--log-level", "warning",
    ], log_path=data_dir / "server.log")
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    flood = context.Process(target=_flooder, args=(host, port, "lima", args.flood_clients, args.flood_seconds, args.stockpile, results))
    ninth: list[tuple[bool, float, float, int]] = []  # accepted, whole report seconds, sending seconds, rounds
    try:
        flood.start()
        assert results.get(timeout=300)[0] == "ready"
        print(f"  {args.flood_clients} flood clients each hold {args.stockpile} solutions solved while the form was quiet; "
              f"flooding for {args.flood_seconds:.0f} s, a ninth client sends a report every 2 s…", flush=True)
        stop_at = time.monotonic() + args.flood_seconds
        while time.monotonic() < stop_at - 1:
            started = time.perf_counter()
            accepted, sending, rounds = False, 0.0, 0
            for rounds in (1, 2, 3):  # noqa: B007 - the number of rounds is recorded below  # a second round when the price climbed between challenge and sending
                solution, _ = _solve_fresh(host, port, "lima")
                sent = time.perf_counter()
                status, answer = _once(host, port, "POST", "/api/v1/public/r/lima/reports", _report_body(solution, "Reporte ordinario durante la avalancha"))
                sending += time.perf_counter() - sent
                if status == 201:
                    accepted = True
                    break
                if status != 409:
                    break
            whole = time.perf_counter() - started
            ninth.append((accepted, whole, sending, rounds))
            time.sleep(max(0.0, 2.0 - whole))
        kind, flood_result = results.get(timeout=120)
        flood.join(timeout=30)
        status, body = _once(host, port, "GET", "/api/v1/public/r/lima/challenge")
        price_after = json.loads(body)["maxnumber"] // args.flood_pow_maxnumber
    finally:
        if flood.is_alive():
            flood.terminate()
        server.stop()

    accepted = [r for r in ninth if r[0]]
    wholes = [r[1] for r in ninth]
    rate = len(accepted) / len(ninth) if ninth else 0.0
    statuses = flood_result["statuses"]
    flood_in = sum(n for key, n in statuses.items() if " 201" in key)
    budget = f"a hard budget of {args.flood_budget} per 10 min" if args.flood_budget else "no budget, a growing price"
    print(f"\nFlood, {'PostgreSQL' if args.database_url else 'SQLite'}, {budget}, base work {args.flood_pow_maxnumber}, "
          f"gunicorn {args.workers} workers × {args.threads} threads, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end (other work on the machine slows the ninth's solving):")
    print(f"  flood ({args.flood_clients} clients, one process at nice 10): {flood_in} reports accepted in {args.flood_seconds:.0f} s; by kind and answer: {dict(sorted(statuses.items()))}")
    print(f"  price reached: {flood_result['highest_maxnumber'] // args.flood_pow_maxnumber}× the base work (still {price_after}× right after)")
    print(f"  ninth client: {len(accepted)}/{len(ninth)} ordinary reports accepted ({rate:.0%}), "
          f"p50 {pct(wholes, 50):.2f} s, p95 {pct(wholes, 95):.2f} s (challenge + solving + sending), "
          f"sending alone p95 {pct([r[2] for r in ninth], 95):.2f} s, second rounds {sum(1 for r in ninth if r[3] > 1)}")
    goal = bool(ninth) and rate == 1.0 and pct(wholes, 95) < 3.0
    print("  goal (every ordinary report accepted, p95 under 3 s): " + ("met" if goal else "NOT MET"))
    return goal


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
    parser.add_argument("--flood-seconds", type=float, default=60.0, help="length of the flood phase (default 60)")
    parser.add_argument("--flood-clients", type=int, default=8, help="clients flooding the form (default 8)")
    parser.add_argument("--stockpile", type=int, default=25, help="solutions each flood client solves before the flood (default 25)")
    parser.add_argument("--flood-pow-maxnumber", type=int, default=50_000, help="base work in the flood phase (default: production's 50000)")
    parser.add_argument("--flood-only", action="store_true", help="run only the flood phase")
    parser.add_argument("--flood-budget", type=int, default=0, help="for comparison: a hard budget per 10 minutes, as before (e.g. 120); default none")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 120.0)
    args.flood_seconds = min(args.flood_seconds, 300.0)
    if args.flood_only:
        return 0 if flood_phase(args) else 1

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
        _empty_database(args.database_url)
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
    goal = flood_phase(args)
    return 0 if ok and goal else 1


if __name__ == "__main__":
    sys.exit(main())
