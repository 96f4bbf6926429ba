"""Shared test fixtures: organisations and personas, each with the access written beside it.

- Lima ("org"): Alicia is its admin; Carla coordinates; Dora and Diana document (each sees
  only what she recorded or was assigned); Lucía is an allied lawyer (sees only what is
  referred or assigned to her); Ana is an analyst (aggregates only, no records).
- Arequipa ("other_org"): Bruno coordinates there. Nobody in Lima may see Arequipa's
  records, nor Bruno Lima's: every cross-organisation read is a 404.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from dataclasses import dataclass

import pytest


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("AMPARO_DATA_DIR", os.path.join(tempfile.gettempdir(), f"amparo-test-{os.getpid()}"))


# Nothing is skipped silently: a test that cannot run here (a tool or service missing) makes the run
# fail with its reason, so a machine without the tool cannot pass by checking less. Selecting tests
# with -m or -k deselects them; that is not a skip. AMPARO_ALLOW_SKIPS=1 lets a person exploring
# locally see skips without failing.
_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        _skips.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput") or not _skips or os.environ.get("AMPARO_ALLOW_SKIPS") == "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_sep("=", "tests were skipped: every test must run here (install what they need: make tools)", red=True)
        for line in _skips:
            reporter.write_line(f"SKIPPED {line}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def _one_request_at_a_time_on_sqlite() -> None:
    """On SQLite the test database lives in memory and Django's live server shares its one
    connection with every request thread. Two requests at once (an htmx lookup still running
    when the form is posted) then interleave on that connection and a savepoint vanishes
    ("no such savepoint"). Serve one request at a time there; Django closes each connection
    after its response when the server is not threaded, so the browser never waits on a
    kept-alive socket. PostgreSQL gives each thread its own connection and stays threaded."""
    from django.core.servers.basehttp import WSGIServer
    from django.db import connection
    from django.test.testcases import LiveServerThread

    if connection.vendor != "sqlite":
        return

    class OneRequestAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):  # type: ignore[no-untyped-def]
            # Requests run in the server thread, which already holds the shared connection.
            super().__init__(*args, **kwargs)

    LiveServerThread.server_class = OneRequestAtATime


@pytest.fixture(autouse=True, scope="session")
def _test_keys_and_storage(tmp_path_factory: pytest.TempPathFactory) -> None:
    from django.conf import settings

    from amparo.vault import crypto, keyring

    settings.MASTER_KEY = f"mk-test:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    settings.MASTER_KEY_FILE = ""
    settings.PRIVATE_STORAGE_DIR = tmp_path_factory.mktemp("private")
    # Argon2 is checked by its own test; elsewhere a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = True
    keyring.forget()
    crypto.forget_keys()


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> None:
    from amparo.vault import crypto

    crypto.forget_keys()


@pytest.fixture(autouse=True)
def _sqlite_audit_triggers(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Keep the audit trail's append-only triggers in place on SQLite, except while a
    transactional test's database is flushed (SQLite flushes with DELETE, which they refuse;
    PostgreSQL truncates, which row triggers do not see)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not (marker or transactional or "db" in request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    if transactional:
        _reload_reference_data()
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    from importlib import import_module

    triggers = import_module("amparo.audit.migrations.0002_append_only_triggers")
    with connection.cursor() as cur:
        for sql in triggers.SQLITE_FORWARD:
            cur.execute(sql)
    yield
    if transactional:
        with connection.cursor() as cur:
            for sql in triggers.SQLITE_REVERSE:
                cur.execute(sql)


# Data migrations that load reference data. A transactional test's flush empties their
# tables, so the next such test loads them again (each loader is idempotent).
REFERENCE_DATA = [
    ("amparo.places.migrations.0002_load_ubigeo", "load"),
    ("amparo.vocab.migrations.0002_seed_vocabularies", "seed"),
    ("amparo.response.migrations.0002_seed_national_services", "seed"),
]


def _reload_reference_data() -> None:
    from importlib import import_module

    from django.apps import apps

    from amparo.places.models import Department

    if Department.objects.exists():
        return
    for module_name, function in REFERENCE_DATA:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError:
            continue
        getattr(module, function)(apps, None)


PASSWORD = "correct horse battery staple"


@dataclass
class Personas:
    org: object
    other_org: object
    alicia: object  # admin, Lima
    carla: object  # coordinator, Lima
    dora: object  # documenter, Lima
    diana: object  # documenter, Lima
    lucia: object  # lawyer, Lima
    ana: object  # analyst, Lima
    bruno: object  # coordinator, Arequipa

    def membership(self, user: object, org: object | None = None):  # type: ignore[no-untyped-def]
        from amparo.accounts.models import Membership

        return Membership.objects.select_related("organisation", "user").get(user=user, organisation=org or self.org)


def make_user(username: str, org: object, role: str):  # type: ignore[no-untyped-def]
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.services import membership_create, user_create

    user = user_create(username=username, password=PASSWORD, email=f"{username}@example.org", validate=False)
    membership_create(user=user, organisation=org, role=role, acting_user=None)
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


@pytest.fixture
def personas(db) -> Personas:  # type: ignore[no-untyped-def]
    from amparo.accounts.models import Role
    from amparo.accounts.services import organisation_create

    org = organisation_create(name="Colectiva Lima", slug="lima", department_code="15", reference_prefix="LIM")
    other = organisation_create(name="Asociación Arequipa", slug="arequipa", department_code="04", reference_prefix="AQP")
    return Personas(
        org=org,
        other_org=other,
        alicia=make_user("alicia", org, Role.ADMIN),
        carla=make_user("carla", org, Role.COORDINATOR),
        dora=make_user("dora", org, Role.DOCUMENTER),
        diana=make_user("diana", org, Role.DOCUMENTER),
        lucia=make_user("lucia", org, Role.LAWYER),
        ana=make_user("ana", org, Role.ANALYST),
        bruno=make_user("bruno", other, Role.COORDINATOR),
    )


def login(client, user) -> None:  # type: ignore[no-untyped-def]
    """Sign in as a user who has passed the TOTP check (as after the real two-factor page)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def login_as(client):  # type: ignore[no-untyped-def]
    def _login(user):  # type: ignore[no-untyped-def]
        login(client, user)
        return client

    return _login


def make_incident(org, user, **overrides):  # type: ignore[no-untyped-def]
    """A complete incident with sensible defaults, through the real service."""
    from datetime import date

    from amparo.records.services import incident_create

    fields = {
        "occurred_on": date(2025, 3, 14),
        "violation_codes": ["arbitrary_detention"],
        "perpetrator_codes": ["pnp_officer"],
        "district": "150101",
        "place_type": "street",
        "narrative": "Nos detuvieron sin motivo en la avenida.",
        "perpetrator_details": "Placa 12345, patrullero PL-1234",
        "people_affected": 1,
        "consent_store": True,
        "consent_share_stats": True,
    }
    fields.update(overrides)
    return incident_create(organisation=org, acting_user=user, **fields)


def make_person(org, user, **overrides):  # type: ignore[no-untyped-def]
    from amparo.records.services import person_create

    fields = {"code_name": "Mariposa", "phone": "+51 987 654 321", "legal_name": "Rosa Quispe Huamán", "id_number": "45678912"}
    fields.update(overrides)
    return person_create(organisation=org, acting_user=user, **fields)


def organisation_keys_cached() -> None:
    """Put the organisation keys created in this test into the key cache.

    On a server the keys were committed long before a page reads a sealed column, and the cache
    holds them; a test never commits, so its keys would be fetched again for every sealed value
    and a query count would grow with the rows for a reason production does not have.
    """
    from django.db import connection

    for _savepoints, callback, _robust in list(connection.run_on_commit):
        if getattr(callback, "__qualname__", "").startswith("_remember."):
            callback()
