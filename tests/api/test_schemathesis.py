"""Schemathesis against the generated OpenAPI schema: no server error, no response outside
the schema, no status the schema does not document — as a coordinator and as the public.

Runs in-process through the WSGI app (see tests/api/fuzz.py) on whichever database the suite
uses. Figures: `python bench/api_schemathesis.py`.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api import fuzz

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def coordinator_token(personas) -> str:  # type: ignore[no-untyped-def]
    from amparo.accounts.services import api_token_create

    _token, raw = api_token_create(membership=personas.membership(personas.carla), name="schemathesis", acting_user=personas.carla)
    return raw


def _report(report: fuzz.Report) -> str:
    lines = [report.line()]
    for f in report.findings:
        lines.append(f"- {f.operation} → {f.status} [{f.check}] {f.message[:400]}\n  {f.reproduce}")
    return "\n".join(lines)


def test_the_api_keeps_its_schema_for_a_coordinator(personas, coordinator_token, settings) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {coordinator_token}"}
    path_values = fuzz.seed(client=Client(HTTP_AUTHORIZATION=headers["Authorization"]), organisation_slug=personas.org.slug)
    report = fuzz.run(identity="coordinator", headers=headers, public_only=False, path_values=path_values,
                      max_examples=fuzz.MAX_EXAMPLES)
    assert report.operations > 40
    assert not report.findings, _report(report)


def test_the_public_api_keeps_its_schema(personas, coordinator_token) -> None:  # type: ignore[no-untyped-def]
    path_values = fuzz.seed(client=Client(HTTP_AUTHORIZATION=f"Bearer {coordinator_token}"), organisation_slug=personas.org.slug)
    report = fuzz.run(identity="public", headers={}, public_only=True, path_values=path_values, max_examples=fuzz.MAX_EXAMPLES)
    assert report.operations >= 10
    assert not report.findings, _report(report)
