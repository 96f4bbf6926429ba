"""Speed of the Response pages, the API and the evidence bundle, next to an empty Django view.

    python bench/response.py [--cases 400] [--rounds 20]

Runs on a throw-away SQLite database (or AMPARO_DATABASE_URL) in a temporary data directory,
in-process through Django's test client (nothing leaves the machine), and prints absolute
times (median and 90th percentile, milliseconds) and the ratio to an empty view measured in
the same run. Bounded: seeding is bulk, each page is requested a fixed number of times.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import secrets
import statistics
import sys
import tempfile
import time
import types
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400, help="legal cases to seed (each with an incident, a referral, deadlines)")
    parser.add_argument("--rounds", type=int, default=20, help="requests per page")
    parser.add_argument("--files", type=int, default=5, help="evidence files in the bundled case")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="amparo-bench-response-")
    os.environ["AMPARO_DATA_DIR"] = data_dir
    os.environ.setdefault("AMPARO_DATABASE_URL", f"sqlite:///{data_dir}/bench.sqlite3")
    os.environ["AMPARO_MASTER_KEY"] = f"bench:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "amparo.settings"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import clear_url_caches, path

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["testserver"]

    # An empty view beside the real URLs: the yardstick for every figure below.
    def empty(request):  # type: ignore[no-untyped-def]
        return HttpResponse("")

    import amparo.urls

    urls = types.ModuleType("bench_response_urls")
    urls.urlpatterns = [path("__empty__/", empty), *amparo.urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules["bench_response_urls"] = urls
    settings.ROOT_URLCONF = "bench_response_urls"
    clear_url_caches()

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    seeded = seed(args.cases, args.files)
    print(f"seeded {args.cases} cases, {seeded['incidents']} incidents, {seeded['referrals']} referrals, "
          f"{seeded['deadlines']} deadlines, {args.files} evidence files in {time.perf_counter() - t0:.1f} s")

    client = Client()
    login(client, seeded["carla"])
    api = {"HTTP_AUTHORIZATION": f"Bearer {seeded['token']}"}
    case_id = seeded["bundle_case"]

    def measure(label: str, fn, rounds: int = args.rounds) -> float:  # type: ignore[no-untyped-def]
        fn()  # warm-up
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            response = fn()
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        median = statistics.median(times)
        p90 = sorted(times)[max(0, int(round(0.9 * len(times))) - 1)]
        results.append((label, median, p90))
        return median

    results: list[tuple[str, float, float]] = []
    base = measure("empty Django view", lambda: client.get("/__empty__/"))
    measure("my tasks", lambda: client.get("/respuesta/tareas/"))
    measure("case list (page 1)", lambda: client.get("/respuesta/casos/"))
    measure("case list, overdue only", lambda: client.get("/respuesta/casos/?vencidos=1"))
    measure("case detail", lambda: client.get(f"/respuesta/casos/{case_id}/"))
    measure("referral list", lambda: client.get("/respuesta/derivaciones/"))
    measure("directory search (Lima, legal aid)", lambda: client.get("/respuesta/directorio/?department=15&need=legal_aid"))
    measure("overdue + response times", lambda: client.get("/respuesta/pendientes/"))
    measure("API GET /cases", lambda: client.get("/api/v1/cases", **api))
    measure("API GET /tasks", lambda: client.get("/api/v1/tasks", **api))
    bundle_rounds = max(3, args.rounds // 4)
    last: dict[str, bytes] = {}

    def bundle():  # type: ignore[no-untyped-def]
        response = client.post(f"/respuesta/casos/{case_id}/paquete/")
        last["zip"] = response.content
        return response

    measure(f"evidence bundle ({args.files} files)", bundle, rounds=bundle_rounds)

    from amparo.response.lib.bundle import verify_bundle

    class Ok:
        status_code = 200

    def verify():  # type: ignore[no-untyped-def]
        assert verify_bundle(io.BytesIO(last["zip"])).ok
        return Ok()

    measure("verify the bundle offline", verify, rounds=bundle_rounds)

    print(f"\n{'what':42} {'median ms':>10} {'p90 ms':>9} {'× empty':>9}")
    for label, median, p90 in results:
        print(f"{label:42} {median:10.2f} {p90:9.2f} {median / base:9.1f}")
    print(f"\nbundle size: {len(last['zip']) / 1024:.0f} KiB; database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")


def login(client, user) -> None:  # type: ignore[no-untyped-def]
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def seed(n_cases: int, n_files: int) -> dict:
    import random

    from django.db import transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Role
    from amparo.accounts.services import (
        api_token_create,
        membership_create,
        organisation_create,
        user_create,
    )
    from amparo.records.models import Incident, IncidentPerson, Person
    from amparo.response import services
    from amparo.response.models import (
        CaseEvent,
        CaseIncident,
        CasePerson,
        CaseRoute,
        Deadline,
        LegalCase,
        Referral,
    )

    rng = random.Random(7)
    org = organisation_create(name="Colectiva Lima", slug="lima", department_code="15", reference_prefix="LIM")
    users = {}
    for name, role in (("carla", Role.COORDINATOR), ("lucia", Role.LAWYER), ("dora", Role.DOCUMENTER)):
        users[name] = user_create(username=name, password="bench-password-123", validate=False)
        membership_create(user=users[name], organisation=org, role=role, acting_user=None)
        TOTPDevice.objects.create(user=users[name], name="bench", confirmed=True)
    carla, lucia = users["carla"], users["lucia"]
    membership = carla.memberships.get(organisation=org)
    now = timezone.now()
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [Person(organisation=org, code_name=f"P{i:05d}", created_by=users["dora"]) for i in range(n_cases)]
        )
        incidents = Incident.objects.bulk_create([
            Incident(organisation=org, reference=f"LIM-2025-{i:05d}", occurred_on=date(2025, 1, 1) + timedelta(days=i % 300),
                     department_id="15", consent_store=True, consent_legal_action=True, created_by=users["dora"])
            for i in range(n_cases)
        ])
        IncidentPerson.objects.bulk_create([IncidentPerson(organisation=org, incident=i, person=p) for i, p in zip(incidents, people, strict=True)])
        referrals = Referral.objects.bulk_create([
            Referral(organisation=org, incident=i, lawyer=lucia, status=rng.choice(["sent", "accepted", "completed"]),
                     consent_given=True, consent_method="verbal", assigned_to=carla, created_by=carla,
                     sent_at=now - timedelta(days=rng.randint(1, 60)), follow_up_on=now.date() + timedelta(days=rng.randint(-10, 10)))
            for i in incidents
        ])
        cases = LegalCase.objects.bulk_create([
            LegalCase(organisation=org, reference=f"CASO-2025-{k:04d}", title=f"Caso {k}", lawyer=lucia, opened_on=date(2025, 6, 1), created_by=carla)
            for k in range(n_cases)
        ])
        CaseIncident.objects.bulk_create([CaseIncident(organisation=org, case=c, incident=i) for c, i in zip(cases, incidents, strict=True)])
        CasePerson.objects.bulk_create([CasePerson(organisation=org, case=c, person=p) for c, p in zip(cases, people, strict=True)])
        routes = CaseRoute.objects.bulk_create([
            CaseRoute(organisation=org, case=c, route="criminal", stage="preliminary", started_on=date(2025, 6, 2), stage_changed_at=now)
            for c in cases
        ])
        CaseEvent.objects.bulk_create([
            CaseEvent(organisation=org, case=r.case, route=r, kind="stage_changed", stage="preliminary", occurred_at=now, created_by=carla)
            for r in routes
        ])
        deadlines = Deadline.objects.bulk_create([
            Deadline(organisation=org, case=c, title="Plazo", due_at=now + timedelta(days=rng.randint(-20, 30)), assigned_to=lucia, created_by=carla)
            for c in cases for _ in range(3)
        ])
    _token, raw = api_token_create(membership=membership, name="bench", acting_user=carla)
    bundle_case = cases[0]
    import io

    import pikepdf
    from django.core.files.uploadedfile import SimpleUploadedFile

    for k in range(n_files):
        # A real PDF of about 200 kB (the sanitizer refuses what is not one).
        document = pikepdf.new()
        document.add_blank_page(page_size=(100, 100))
        document.pages[0].Contents = document.make_stream(b"% " + secrets.token_hex(100_000).encode())
        out = io.BytesIO()
        document.save(out, compress_streams=False)
        pdf = out.getvalue()
        services.case_document_add(case=bundle_case, membership=membership, acting_user=carla,
                                   uploaded=SimpleUploadedFile(f"informe-{k}.pdf", pdf), kind="medical")
    return {"carla": carla, "token": raw, "bundle_case": bundle_case.pk, "incidents": len(incidents),
            "referrals": len(referrals), "deadlines": len(deadlines)}


if __name__ == "__main__":
    main()
