"""Schemathesis over the whole JSON API: operations, cases and failures, as a coordinator and as the public.

    python bench/api_schemathesis.py [--examples 15] [--postgres]

The same run as tests/api/test_schemathesis.py (tests/api/fuzz.py), on a throw-away SQLite
database (or a fresh PostgreSQL database with --postgres / AMPARO_DATABASE_URL) in a temporary
data directory, in-process through the WSGI app: nothing leaves the machine. Checks: no server
error, every status documented, every response inside its declared schema and content type.
Bounded: a fixed number of generated cases per operation with a fixed seed (derandomised).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=None, help="cases per operation and generation mode (default: the test's)")
    parser.add_argument("--postgres", action="store_true", help="use postgres://postgres@127.0.0.1:5432/amparo_bench_schemathesis")
    parser.add_argument("--verbose", action="store_true", help="print every finding with a curl line to reproduce it")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="amparo-bench-schemathesis-")
    os.environ["AMPARO_DATA_DIR"] = data_dir
    if args.postgres:
        os.environ["AMPARO_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/amparo_bench_schemathesis"
    os.environ.setdefault("AMPARO_DATABASE_URL", f"sqlite:///{data_dir}/bench.sqlite3")
    os.environ["AMPARO_MASTER_KEY"] = f"bench:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "amparo.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)

    from django.test import Client

    from amparo.accounts.models import Role
    from amparo.accounts.services import (
        api_token_create,
        membership_create,
        organisation_create,
        user_create,
    )
    from tests.api import fuzz

    lima = organisation_create(name="Colectiva Lima", slug="lima", department_code="15", reference_prefix="LIM")
    organisation_create(name="Asociación Arequipa", slug="arequipa", department_code="04", reference_prefix="AQP")
    carla = user_create(username="carla", password="bench-password-1234", email="carla@example.org", validate=False)
    membership = membership_create(user=carla, organisation=lima, role=Role.COORDINATOR, acting_user=None)
    _token, raw = api_token_create(membership=membership, name="schemathesis", acting_user=carla)
    headers = {"Authorization": f"Bearer {raw}"}
    path_values = fuzz.seed(client=Client(HTTP_AUTHORIZATION=headers["Authorization"]), organisation_slug=lima.slug)
    print(f"schemathesis over /api/v1/openapi.json on {connection.vendor}; migrated and seeded in {time.perf_counter() - t0:.1f} s")

    examples = args.examples or fuzz.MAX_EXAMPLES
    print(f"budget: {examples} positive + {examples} negative cases per operation, derandomised")
    findings = 0
    for report in (
        fuzz.run(identity="coordinator (bearer token)", headers=headers, public_only=False, path_values=path_values, max_examples=examples),
        fuzz.run(identity="anonymous public API", headers={}, public_only=True, path_values=path_values, max_examples=examples),
    ):
        print(report.line())
        for finding in report.findings:
            print(f"  - {finding.operation} → {finding.status} [{finding.check}]")
            if args.verbose:
                print("    " + finding.message.replace("\n", "\n    "))
                print("    " + finding.reproduce)
        findings += len(report.findings)
    if connection.vendor == "postgresql":
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
