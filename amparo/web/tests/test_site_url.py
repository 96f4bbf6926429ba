"""Links made for later (posters, QR codes, invitations, alert pages and feeds, e-mails, ODK phones)
start from AMPARO_SITE_URL, never from the Host the request came with: behind a proxy that is
127.0.0.1, and a printed poster cannot be corrected.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import segno
from django.urls import reverse

from amparo.lib.urls import absolute_url
from conftest import login

pytestmark = pytest.mark.django_db

SITE = "https://amparo.example.org"
PROXY = {"HTTP_HOST": "127.0.0.1:8000"}  # what a reverse proxy passes on when misconfigured
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]


def test_absolute_url_joins_the_site_and_a_path():
    assert absolute_url("/r/lima/") == f"{SITE}/r/lima/"
    for bad in ("r/lima/", "//evil.example/", "https://evil.example/"):
        with pytest.raises(ValueError):
            absolute_url(bad)


def test_the_poster_and_qr_codes_carry_the_site_url(personas, client):
    login(client, personas.carla)
    page = client.get(reverse("intake:poster"), **PROXY).content.decode()
    assert f"{SITE}/r/lima/" in page and "127.0.0.1" not in page
    expected = io.BytesIO()
    segno.make(f"{SITE}/r/lima/", error="m", micro=False).save(expected, kind="svg", scale=10, border=2, xmldecl=True, svgns=True)
    assert client.get(reverse("intake:qr_code", args=["svg"]), **PROXY).content == expected.getvalue()
    settings_page = client.get(reverse("intake:form_settings"), **PROXY).content.decode()
    assert f"{SITE}/r/lima/" in settings_page and "127.0.0.1" not in settings_page


def test_alert_links_and_feeds_carry_the_site_url(personas, client):
    from amparo.alerts import services as alerts

    token = alerts.alert_settings_for(personas.org).emergency_token
    login(client, personas.alicia)
    page = client.get(reverse("alerts:settings"), **PROXY).content.decode()
    assert f"{SITE}/emergencia/{token}/" in page and f"{SITE}/alertas/lima/" in page and "127.0.0.1" not in page
    feed = client.get(reverse("alerts_public:feed", args=["lima", "15"]), **PROXY).content.decode()
    assert f'href="{SITE}/alertas/lima/15.atom"' in feed and "127.0.0.1" not in feed


def test_invitation_links_carry_the_site_url(personas, client):
    login(client, personas.alicia)
    page = client.post(reverse("accounts:invite"), {"email": "nueva@example.org", "role": "documenter"}, **PROXY).content.decode()
    assert re.search(rf"{re.escape(SITE)}/cuenta/invitacion/[\w-]+/", page) and "127.0.0.1" not in page


def test_odk_phones_are_given_the_site_url(personas):
    from amparo.openrosa.services import server_url_for

    assert server_url_for(personas.org) == f"{SITE}/odk/lima"


def test_no_code_builds_links_from_the_request_or_a_fixed_address():
    """One helper (amparo/lib/urls.py) makes every absolute link; nothing else may."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or rel in ("settings.py", "lib/urls.py", "intake/testing.py") or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in ("build_absolute_uri", "get_host(", "SITE_URL}", "SITE_URL +", "127.0.0.1:8000"):
            if pattern in text:
                offenders.append(f"{rel}: {pattern}")
    assert offenders == []
