"""Headers, content security policy, no third parties, and the two languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import login, make_incident

pytestmark = pytest.mark.django_db

AMPARO = Path(__file__).resolve().parents[2]


def test_pages_carry_a_strict_content_security_policy(personas, client):
    login(client, personas.carla)
    r = client.get("/incidentes/nuevo/")
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_a_third_party_address():
    offenders = []
    for path in AMPARO.rglob("templates/**/*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path}: inline <script>")
        if re.search(r"\s(on[a-z]+)=\"", text):
            offenders.append(f"{path}: inline event handler")
        for url in re.findall(r"(?:src|href|action)=\"(https?://[^\"]+)\"", text):
            offenders.append(f"{path}: third-party {url}")
    assert offenders == []


def test_static_files_load_nothing_from_elsewhere():
    for path in AMPARO.rglob("static/**/*.css"):
        assert "@import" not in path.read_text() and "url(http" not in path.read_text(), path


def test_pages_are_in_spanish_by_default_and_english_on_request(personas, client):
    incident = make_incident(personas.org, personas.dora)
    login(client, personas.carla)
    body = client.get(f"/incidentes/{incident.pk}/").content.decode()
    assert 'lang="es"' in body and "Personas afectadas" in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get(f"/incidentes/{incident.pk}/").content.decode()
    assert 'lang="en"' in body and "People affected" in body
    # Vocabulary labels follow the language too.
    assert "Arbitrary detention" in body


def test_every_staff_page_renders_in_both_languages(personas, client):
    incident = make_incident(personas.org, personas.dora)
    pages = ["/", "/incidentes/", "/incidentes/nuevo/", f"/incidentes/{incident.pk}/", f"/incidentes/{incident.pk}/editar/",
             "/personas/", "/cuenta/seguridad/", "/cuenta/organizacion/", "/auditoria/"]
    login(client, personas.alicia)
    for lang in ("es", "en"):
        client.post("/i18n/setlang/", {"language": lang, "next": "/"})
        for page in pages:
            r = client.get(page)
            assert r.status_code == 200, (lang, page)
            assert f'lang="{lang}"' in r.content.decode()


def test_the_login_page_is_translated(client, db):
    assert "Entrar" in client.get("/cuenta/entrar/").content.decode()
    assert "Sign in" in client.get("/cuenta/entrar/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_missing_page_is_a_friendly_404(client, db):
    r = client.get("/no-existe/")
    assert r.status_code == 404
    assert "no existe" in r.content.decode()


def test_anonymous_routes_strip_the_address_and_are_not_cached(rf):
    from django.http import HttpResponse

    from amparo.web.middleware import AnonymousRouteMiddleware

    seen = {}

    def view(request):
        seen.update(request.META)
        return HttpResponse("ok")

    request = rf.get("/r/lima/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Android", HTTP_X_FORWARDED_FOR="198.51.100.7")
    response = AnonymousRouteMiddleware(view)(request)
    assert "203.0.113.9" not in str(seen) and "198.51.100.7" not in str(seen) and "Android" not in str(seen)
    assert "no-store" in response["Cache-Control"]


def test_the_access_log_filter_drops_anonymous_routes():
    import logging

    from amparo.web.logging import SkipAnonymousRoutes

    f = SkipAnonymousRoutes()
    anon = logging.LogRecord("django.server", logging.INFO, "", 0, '"%s" %s %s', ("POST /r/lima/ HTTP/1.1", "302", "0"), None)
    staff = logging.LogRecord("django.server", logging.INFO, "", 0, '"%s" %s %s', ("GET /incidentes/ HTTP/1.1", "200", "0"), None)
    assert f.filter(anon) is False and f.filter(staff) is True


def test_the_menu_offers_each_role_what_it_may_open(personas, client):
    expectations = {
        personas.alicia: {"/triaje/": True, "/odk/gestion/telefonos/": True, "/auditoria/": True, "/incidentes/": True},
        personas.carla: {"/triaje/": True, "/odk/gestion/telefonos/": False, "/auditoria/": False, "/incidentes/": True},
        personas.dora: {"/triaje/": False, "/odk/gestion/envios/": False, "/incidentes/": True, "/alertas-equipo/": True},
        personas.ana: {"/incidentes/": False, "/triaje/": False, "/alertas-equipo/": False},
    }
    for user, links in expectations.items():
        login(client, user)
        body = client.get("/").content.decode()
        for href, shown in links.items():
            assert (f'href="{href}"' in body) is shown, (user.username, href)
            if shown:
                assert client.get(href).status_code == 200, (user.username, href)
