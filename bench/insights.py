"""Benchmark of the statistics pages: dashboard, public pages and API against an empty view.

    python bench/insights.py                      # 10k, 100k, 1M incidents on SQLite and PostgreSQL
    python bench/insights.py --sizes 10000,100000 --backends sqlite

For each backend and size it seeds incidents with bulk inserts (spread over ORGS organisations,
five years and ~200 districts), rebuilds the aggregates, then measures in-process requests
through the full middleware stack (Django's test client; nothing leaves the machine):

- an empty Django view (the floor, measured in the same run);
- the public page of one organisation and of the network (read one precomputed row);
- the public JSON API of the network;
- the dashboard of one organisation for its coordinator (raw) and analyst (protected), read
  from fresh aggregates and cached under their version; "cold" rows clear the cache before
  every request (the first view after a refresh); "filtered (live)" uses a violation filter,
  which the aggregates cannot answer, so the organisation's incidents are counted live.

It prints p50 / p95 in milliseconds and the ratio to the empty view. Bounded in time: every
measurement stops after MAX_SECONDS even if it has fewer samples. PostgreSQL uses the database
amparo_insights_bench on 127.0.0.1:5432 (dropped and recreated).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, install_empty_view, run_each_backend  # noqa: E402

ORGS = 10
MAX_SECONDS = 12.0


def parent(args: argparse.Namespace) -> int:
    return run_each_backend(__file__, args.backends, name="insights", child_args=["--sizes", args.sizes])


# --- Child: one backend --------------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    install_empty_view()

    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t0:.1f} s", flush=True)
    world = _world()
    seeded = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        t0 = time.perf_counter()
        _seed(world, seeded, size - seeded)
        seeded = size
        seed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        _refresh(world)
        refresh_s = time.perf_counter() - t0
        print(f"\n{size:,} incidents ({size // ORGS:,} per organisation): seeded in {seed_s:.1f} s, aggregates rebuilt in {refresh_s:.1f} s", flush=True)
        _measure(world)


def _world() -> dict:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Role
    from amparo.accounts.services import membership_create, organisation_create, user_create
    from amparo.insights import services
    from amparo.insights.models import SharingLevel
    from amparo.places.models import District
    from amparo.vocab.models import Term

    orgs = [organisation_create(name=f"Bench {i}", slug=f"bench-{i}", reference_prefix=f"B{i}") for i in range(ORGS)]
    users = {}
    for role in (Role.COORDINATOR, Role.ANALYST):
        user = user_create(username=f"bench-{role}", password="bench password 123", validate=False)
        membership_create(user=user, organisation=orgs[0], role=role, acting_user=None)
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        users[role] = user
    for org in orgs:
        services.sharing_update(organisation=org, acting_user=users[Role.COORDINATOR], level=SharingLevel.AGGREGATES, public_page=True)
    rng = random.Random(7)
    districts = list(District.objects.values_list("code", "province_id", "department_id"))
    lima = [d for d in districts if d[2] == "15"]
    picked = rng.sample(lima, 40) + rng.sample([d for d in districts if d[2] != "15"], 160)
    terms = {v: list(Term.objects.filter(vocabulary=v).values_list("pk", "is_state_agent")) for v in ("violation", "perpetrator", "place_type")}
    return {"orgs": orgs, "users": users, "districts": picked, "terms": terms, "rng": rng, "next_id": 1}


def _seed(world: dict, start: int, count: int) -> None:
    """Raw bulk inserts: incidents with explicit ids, then their violation and perpetrator links."""
    from django.db import connection, transaction
    from django.utils import timezone

    from amparo.records.models import Incident, IncidentPerpetrator, IncidentViolation

    rng, orgs, districts, terms = world["rng"], world["orgs"], world["districts"], world["terms"]
    creator = world["users"]["coordinator"].pk
    now = timezone.now()
    template = Incident(organisation=orgs[0], created_by_id=creator, occurred_on=date(2024, 1, 1), consent_store=True)
    fields = [f for f in Incident._meta.concrete_fields]
    columns = [f.column for f in fields]
    constant = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields if f.attname not in ("id",)}
    constant["created_at"] = constant["updated_at"] = now
    incident_table = connection.ops.quote_name(Incident._meta.db_table)
    placeholders = ", ".join(["%s"] * len(columns))
    insert_incident = f"INSERT INTO {incident_table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) VALUES ({placeholders})"
    link_sql = {
        model: f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} (organisation_id, incident_id, term_id) VALUES (%s, %s, %s)"
        for model in (IncidentViolation, IncidentPerpetrator)
    }
    day0 = date(2021, 1, 1).toordinal()
    batch = 5000
    done = 0
    while done < count:
        n = min(batch, count - done)
        incidents, violations, perpetrators = [], [], []
        for _ in range(n):
            pk = world["next_id"]
            world["next_id"] += 1
            org = orgs[pk % ORGS]
            code, province, department = districts[min(int(rng.expovariate(1 / 30)), len(districts) - 1)]
            perp = rng.choice(terms["perpetrator"])
            row = dict(constant)
            row.update(
                id=pk, organisation_id=org.pk, reference=f"B-{pk}", occurred_on=date.fromordinal(day0 + rng.randrange(1826)),
                district_id=code, province_id=province, department_id=department,
                place_type_id=rng.choice(terms["place_type"])[0], involves_state_agent=perp[1],
                consent_share_stats=rng.random() < 0.95, people_affected=1 + int(rng.expovariate(1.5)),
            )
            incidents.append([row[f.attname] for f in fields])
            for term in {rng.choice(terms["violation"])[0] for _ in range(rng.choice((1, 1, 2)))}:
                violations.append((org.pk, pk, term))
            perpetrators.append((org.pk, pk, perp[0]))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert_incident, incidents)
            cursor.executemany(link_sql[IncidentViolation], violations)
            cursor.executemany(link_sql[IncidentPerpetrator], perpetrators)
        done += n
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Incident._meta.db_table}', 'id'), %s)", [world["next_id"]])
            cursor.execute("ANALYZE")


def _refresh(world: dict) -> None:
    from amparo.insights import services

    for org in world["orgs"]:
        services.aggregates_refresh(organisation_id=org.pk, publish=False)
    services.summaries_publish()


def _client_for(user):  # type: ignore[no-untyped-def]
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def _time(client, url: str, samples: int, cold: bool = False) -> list[float]:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    for _ in range(3):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    out: list[float] = []
    deadline = time.perf_counter() + MAX_SECONDS
    while len(out) < samples and time.perf_counter() < deadline:
        if cold:
            cache.clear()  # the first view after a refresh: nothing cached yet
        t0 = time.perf_counter()
        client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _measure(world: dict) -> None:
    from django.test import Client

    anonymous = Client()
    coordinator = _client_for(world["users"]["coordinator"])
    analyst = _client_for(world["users"]["analyst"])
    slug = world["orgs"][0].slug
    rows = [
        ("empty view", anonymous, "/__empty__/", 300),
        ("public page, organisation", anonymous, f"/estadisticas/publico/{slug}/", 100),
        ("public page, network", anonymous, "/estadisticas/publico/red/", 100),
        ("public API, network", anonymous, "/api/v1/public/insights/network", 100),
        ("dashboard, coordinator", coordinator, "/estadisticas/", 30),
        ("dashboard, analyst", analyst, "/estadisticas/", 30),
        ("public page, cold cache", anonymous, f"/estadisticas/publico/{slug}/", 30),
        ("dashboard, analyst, cold", analyst, "/estadisticas/", 30),
        ("dashboard, filtered (live)", coordinator, "/estadisticas/?department=15&violation=arbitrary_detention&date_from=2024-01-01", 30),
    ]
    floor = None
    print(f"  {'view':<28} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'p50/empty':>10}")
    for label, client, url, samples in rows:
        times = _time(client, url, samples, cold="cold" in label)
        p50, p95 = _pct(times, 0.5), _pct(times, 0.95)
        floor = floor or p50
        print(f"  {label:<28} {len(times):>4} {p50:>9.2f} {p95:>9.2f} {p50 / floor:>9.1f}x", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--backend", default="")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
