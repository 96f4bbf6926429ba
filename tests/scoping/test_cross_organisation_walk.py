"""Every URL pattern and every API path, with another organisation's ids, for every role.

Arequipa holds one record of every kind; Lima (the callers' organisation) holds none, so any
answer other than "not found", "not allowed" or a sign-in redirect would be Arequipa's data.
Every request is made as GET and as POST (the API: as its declared methods), and the database
must be exactly as before: no row added, changed or removed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from amparo.web.middleware import is_anonymous_route
from conftest import login
from tests.api import fuzz

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(600)]

ROLES = ("alicia", "carla", "dora", "lucia", "ana")  # admin, coordinator, documenter, lawyer, analyst
REFUSED = {403, 404, 405}
# Shared reference data and device-authenticated phone routes are not an organisation's records.
NOT_TENANT_DATA = ("vocabularios/", "lugares/", "odk/<slug:slug>/", "cuenta/", "i18n/", "static/", "admin/")
# Path parts that choose a format or a chart, not a record.
FORMAT_KWARGS = {"fmt": "csv", "kind": "png", "name": "by_month", "form_id": "interview"}
# Columns that record use, not content: a sign-in, a token's last call.
TOUCHED_ON_USE = {"last_login", "last_used_at"}
# Tables a request may touch without changing anyone's records.
BOOKKEEPING = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _snapshot() -> dict[str, str]:
    state = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in BOOKKEEPING or model._meta.proxy:
            continue
        columns = [f.column for f in model._meta.concrete_fields if f.column not in TOUCHED_ON_USE]
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)} FROM "{table}" ORDER BY 1')  # noqa: S608 - names from the models
            rows = cursor.fetchall()
        state[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return state


@pytest.fixture
def arequipa(personas) -> dict[str, list[Any]]:  # type: ignore[no-untyped-def]
    """One record of every kind in Arequipa, made by Bruno through the API and the services."""
    from amparo.accounts.models import ApiToken, Membership
    from amparo.accounts.services import api_token_create, invitation_create
    from amparo.intake.models import Report
    from amparo.openrosa.services import collector_create

    bruno = personas.bruno
    membership = personas.membership(bruno, personas.other_org)
    _token, raw = api_token_create(membership=membership, name="walk", acting_user=bruno)
    values = fuzz.seed(client=Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), organisation_slug=personas.other_org.slug,
                       region="04", district="040101")
    invitation, _raw = invitation_create(organisation=personas.other_org, email="nueva@example.org", role="documenter", acting_user=bruno)
    collector, _issued = collector_create(organisation=personas.other_org, label="Teléfono", owner=bruno, acting_user=bruno)
    report = Report.objects.create(organisation=personas.other_org, reporter="victim", narrative="x", channel="web")
    from amparo.places.models import District
    from amparo.programmes.services import venue_create

    venue = venue_create(membership=membership, acting_user=bruno, code_name="Hotel Misti", kind="hotel", district=District.objects.get(pk="040101"))
    values.update({
        "membership_id": [Membership.objects.get(user=bruno).pk], "token_id": list(ApiToken.objects.values_list("pk", flat=True)),
        "invitation_id": [invitation.pk], "collector_id": [collector.pk], "report_id": [report.pk],
        "venue_id": [venue.pk],
        "pk": sorted({*values["alarm_id"], *values["alert_id"], *values["detained_id"], 1}),
        "evidence_uid": ["00000000-0000-4000-8000-000000000000"],
    })
    return values


def _urls(values: dict[str, list[Any]]) -> Iterator[str]:
    for route in _patterns(get_resolver().url_patterns):
        if route.startswith("api/") or "<" not in route or route.startswith(NOT_TENANT_DATA) or is_anonymous_route("/" + route):
            continue
        names = [n for n in re.findall(r"<(?:\w+:)?(\w+)>", route) if n not in FORMAT_KWARGS]
        if not names:
            continue  # the organisation's own page in another format (a QR code, a CSV)
        url = "/" + route
        for converter_name in re.findall(r"<(?:\w+:)?\w+>", route):
            name = re.sub(r"<(?:\w+:)?(\w+)>", r"\1", converter_name)
            value = FORMAT_KWARGS.get(name)
            if value is None:
                value = (values.get(name) or [1])[0]
            url = url.replace(converter_name, str(value), 1)
        yield url


def test_no_page_shows_or_changes_another_organisations_records(personas, arequipa) -> None:
    leaks, walked = [], 0
    for role in ROLES:
        client = Client()
        login(client, getattr(personas, role))
        before_role = _snapshot()
        for url in _urls(arequipa):
            walked += 1
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                location = response.get("Location", "")
                if response.status_code in REFUSED or (response.status_code == 302 and "/cuenta/" in location):
                    continue
                leaks.append(f"{role} {method.upper()} {url} → {response.status_code} {location}")
        assert _snapshot() == before_role, f"{role} changed the database"
    assert leaks == []
    assert walked >= 5 * 50  # every role, every page with an id


def test_no_api_path_shows_or_changes_another_organisations_records(personas, arequipa) -> None:
    from amparo.accounts.services import api_token_create

    schema = Client().get("/api/v1/openapi.json").json()
    leaks, walked = [], 0
    for role in ROLES:
        user = getattr(personas, role)
        _token, raw = api_token_create(membership=personas.membership(user), name="walk", acting_user=user)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        before_role = _snapshot()
        for path, item in schema["paths"].items():
            if "{" not in path or "/public/" in path or path.startswith(("/api/v1/vocabularies/", "/api/v1/places/")):
                continue  # public routes and shared reference data
            walked += 1
            url = path
            for name in re.findall(r"\{(\w+)\}", path):
                url = url.replace("{" + name + "}", str((arequipa.get(name) or [1])[0]))
            for method in item:
                response = client.generic(method.upper(), url, "{}", content_type="application/json")
                if response.status_code in REFUSED or (response.status_code == 422 and method != "get" and _refused_body_only(response)):
                    continue
                leaks.append(f"{role} {method.upper()} {url} → {response.status_code} {response.content[:200]!r}")
        assert _snapshot() == before_role, f"{role} changed the database"
    assert leaks == []
    assert walked >= 5 * 25  # every role, every path with an id


def _refused_body_only(response: Any) -> bool:
    """A 422 for the empty body, given before the record was looked up: says nothing about it."""
    return response.json()["error"]["code"] == "validation"
