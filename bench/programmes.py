"""How fast are a programme's page and its funder reports at 16 venues × 365 days of activities?

    python bench/programmes.py                       # SQLite in a temporary directory
    python bench/programmes.py --backends sqlite,postgres
    python bench/programmes.py --per-day 8 --samples 40

It builds one organisation with 16 venues (sealed addresses and contacts) and a testing campaign
over a year: every day several activities spread over the venues (testing days, outreach,
information sessions; now and then a police training or a session in the street), about
--per-day a day. The campaign has seven indicators: tests done (all sites), tests done at two
single venues, community reached, police trained (police trainings only), and two health
results (reactive, linked to care) that pass small-cell suppression.

Then it measures, in-process through the full middleware stack (Django's test client, as
bench/insights.py does; nothing leaves the machine), sequentially:

- an empty Django view (the floor, measured in the same run);
- the programme page for the coordinator (with the latest activities) and for the analyst;
- the same programme through the JSON API;
- the funder report of the programme's year, XLSX and PDF (sudo mode granted in the session beforehand).

It prints the queries each page makes, p50 / p95 in milliseconds and the ratio to the empty
view. Bounded in time: every measurement stops after --seconds even with fewer samples.
PostgreSQL uses the database amparo_programmes_bench on 127.0.0.1:5432 (dropped and recreated).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, install_empty_view, run_each_backend  # noqa: E402

VENUES = 16
DAYS = 365
YEAR_START = date(2026, 1, 1)


def parent(args: argparse.Namespace) -> int:
    return run_each_backend(__file__, args.backends, name="programmes",
                            child_args=["--per-day", str(args.per_day), "--samples", str(args.samples), "--seconds", str(args.seconds)])


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
    t0 = time.perf_counter()
    world = _world(per_day=args.per_day)
    print(f"seeded {world['activities']:,} activities at {VENUES} venues over {DAYS} days, {len(world['indicators'])} indicators "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)
    _measure(world, samples=args.samples, seconds=args.seconds)


def _world(*, per_day: int) -> dict[str, Any]:
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Role
    from amparo.accounts.services import (
        api_token_create,
        membership_create,
        organisation_create,
        user_create,
    )
    from amparo.places.models import District
    from amparo.programmes import services
    from amparo.programmes.models import Activity

    org = organisation_create(name="Bench", slug="bench", department_code="15", reference_prefix="BEN")
    users, memberships = {}, {}
    for role in (Role.COORDINATOR, Role.ANALYST, Role.DOCUMENTER):
        user = user_create(username=f"bench-{role}", password="bench password 123", validate=False)
        memberships[role] = membership_create(user=user, organisation=org, role=role, acting_user=None)
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        users[role] = user
    coordinator, planner = users[Role.COORDINATOR], memberships[Role.COORDINATOR]
    rng = random.Random(14)
    districts = list(District.objects.filter(department_id="15").order_by("code")[:12])
    kinds = ["sauna", "hotel", "bar", "street_corner"]
    venues = [
        services.venue_create(membership=planner, acting_user=coordinator, code_name=f"Lugar {i + 1:02d}", kind=kinds[i % 4],
                              district=districts[i % len(districts)], address=f"Jr. Bench {100 + i}", contact=f"9{i:08d}")
        for i in range(VENUES)
    ]
    programme = services.programme_create(membership=planner, acting_user=coordinator, kind="campaign", name="Campaña de pruebas",
                                          funder="Ministerio de Salud", starts_on=YEAR_START, ends_on=YEAR_START + timedelta(days=DAYS - 1))
    target = 10_000

    def indicator(name: str, measure: str, target: int, **extra: Any) -> Any:
        return services.indicator_create(membership=planner, acting_user=coordinator, programme=programme, name=name, measure=measure,
                                         target=target, **extra)

    indicators = [
        indicator("Pruebas de VIH en 16 lugares", "tests_done", target),
        indicator("Pruebas en el Lugar 01", "tests_done", 1000, venue=venues[0]),
        indicator("Pruebas en el Lugar 02", "tests_done", 1000, venue=venues[1]),
        indicator("Trabajadoras sexuales y mujeres trans alcanzadas", "community_reached", 20_000),
        indicator("Policías capacitados", "police_trained", 100, activity_kind="police_training"),
        indicator("Resultados reactivos", "tests_reactive", 200),
        indicator("Vinculadas a tratamiento", "linked_to_care", 150),
    ]
    # Raw bulk inserts through the ORM (sealed fields encrypted as in production), one day at a time.
    rows = []
    for day in range(DAYS):
        held_on = YEAR_START + timedelta(days=day)
        for _ in range(max(1, int(rng.gauss(per_day, per_day / 4)))):
            venue = rng.choice(venues) if rng.random() > 0.08 else None
            kind = rng.choices(["testing_day", "peer_outreach", "information_session", "police_training"], [5, 4, 2, 0.2])[0]
            done = rng.randint(3, 25) if kind == "testing_day" else 0
            reactive = sum(rng.random() < 0.04 for _ in range(done))
            confirmed = sum(rng.random() < 0.9 for _ in range(reactive))
            linked = sum(rng.random() < 0.8 for _ in range(confirmed))
            rows.append(Activity(
                organisation=org, programme=programme, kind=kind, held_on=held_on, venue=venue,
                district=venue.district if venue else districts[0], institution="Comisaría" if kind == "police_training" else "",
                participants_sex_workers=rng.randint(0, 20), participants_trans_women=rng.randint(0, 15),
                participants_police=rng.randint(10, 30) if kind == "police_training" else 0,
                condoms=rng.randint(0, 300), lubricants=rng.randint(0, 100), leaflets=rng.randint(0, 80),
                tests_done=done, tests_reactive=reactive, tests_confirmed=confirmed, linked_to_care=linked,
                notes="", commitments="", recorded_by=rng.choice([coordinator, users[Role.DOCUMENTER]]),
            ))
    with transaction.atomic():
        Activity.objects.bulk_create(rows, batch_size=1000)
    _token, raw = api_token_create(membership=planner, name="bench", acting_user=coordinator)
    return {"users": users, "programme": programme, "indicators": indicators, "activities": len(rows), "token": raw}


def _client_for(user: Any, *, sudo: bool = False) -> Any:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.sudo import SESSION_KEY as SUDO_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    if sudo:
        session[SUDO_KEY] = time.time() + 24 * 3600
    session.save()
    return client


def _fetch(client: Any, url: str, post: dict[str, Any] | None) -> Any:
    return client.get(url) if post is None else client.post(url, post)


def _queries(client: Any, url: str, post: dict[str, Any] | None = None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _fetch(client, url, post)
    return len(captured)


def _time(client: Any, url: str, samples: int, seconds: float, post: dict[str, Any] | None = None) -> list[float]:
    for _ in range(2):
        r = _fetch(client, url, post)
        assert r.status_code == 200, (url, r.status_code, r.content[:300])
    out: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(out) < samples and time.perf_counter() < deadline:
        t0 = time.perf_counter()
        _fetch(client, url, post)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _measure(world: dict[str, Any], *, samples: int, seconds: float) -> None:
    from django.test import Client

    from amparo.accounts.models import Role

    pk = world["programme"].pk
    coordinator = _client_for(world["users"][Role.COORDINATOR], sudo=True)
    analyst = _client_for(world["users"][Role.ANALYST])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    # The funder report of the programme's whole year: documentation, responses, the programme
    # (indicators, sites, activities and reach, people) and the milestones.
    programme = world["programme"]
    report = {"programme": str(pk), "date_from": programme.starts_on.isoformat(), "date_to": programme.ends_on.isoformat(),
              "language": "es", "context": "", "achievements": "", "challenges": ""}
    rows: list[tuple[str, Any, str, int, dict[str, Any] | None]] = [
        ("empty view", Client(), "/__empty__/", samples * 5, None),
        ("programme page, coordinator", coordinator, f"/programas/{pk}/", samples, None),
        ("programme page, analyst", analyst, f"/programas/{pk}/", samples, None),
        ("programme, JSON API", api, f"/api/v1/programmes/{pk}", samples, None),
        ("funder report XLSX", coordinator, "/informes/exportar/", max(5, samples // 2), {**report, "format": "xlsx"}),
        ("funder report PDF", coordinator, "/informes/exportar/", max(5, samples // 2), {**report, "format": "pdf"}),
    ]
    floor = None
    print(f"  {'view':<30} {'queries':>7} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'p50/empty':>10}")
    for label, client, url, n, post in rows:
        times = _time(client, url, n, seconds, post)
        queries = _queries(client, url, post)
        p50, p95 = _pct(times, 0.5), _pct(times, 0.95)
        floor = floor or p50
        print(f"  {label:<30} {queries:>7} {len(times):>4} {p50:>9.2f} {p95:>9.2f} {p50 / floor:>9.1f}x", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--per-day", type=int, default=8, help="activities a day, on average, over the 16 venues")
    parser.add_argument("--samples", type=int, default=30, help="requests per page (the empty view gets five times as many)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time budget for each measurement")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
