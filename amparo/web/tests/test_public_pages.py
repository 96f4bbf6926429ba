"""Public pages (report form, follow-up, emergency form, alerts) share one header: the organisation's
short neutral display name (never its full name), a language switch that honours ?lang=, and the
quick exit. Alicia (admin) sets the display name; Carla (coordinator) may not; bad input is a 400.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.accounts.models import PUBLIC_NAME_DEFAULT, Organisation
from amparo.alerts import services as alerts
from amparo.audit.models import AuditEvent
from amparo.web.public import QUICK_EXIT_URL
from conftest import login

pytestmark = pytest.mark.django_db

FULL_NAME = "Asociación de Trabajadoras Sexuales y Mujeres Trans de Lima Metropolitana"


@pytest.fixture
def lima(personas):
    Organisation.objects.filter(pk=personas.org.pk).update(name=FULL_NAME)
    personas.org.refresh_from_db()
    return personas.org


def _public_urls(org) -> list[str]:
    token = alerts.alert_settings_for(org).emergency_token
    return [
        reverse("intake:report", args=[org.slug]),
        reverse("intake:followup", args=[org.slug]),
        reverse("alerts_public:emergency", args=[token]),
        reverse("alerts_public:subscribe", args=[org.slug]),
    ]


def test_public_pages_show_the_display_name_not_the_full_name(lima, client):
    assert lima.public_name == PUBLIC_NAME_DEFAULT
    for url in _public_urls(lima):
        page = client.get(url).content.decode()
        assert FULL_NAME not in page and "Trabajadoras" not in page, url
        assert f'<b class="pub-name">{PUBLIC_NAME_DEFAULT}</b>' in page, url
        assert f'<a id="qx" href="{QUICK_EXIT_URL.replace("&", "&amp;")}" rel="noreferrer">' in page, url


def test_an_admin_sets_the_display_name_in_the_organisation_settings(lima, client):
    login(client, lima.memberships.get(role="admin").user)
    settings_page = client.get(reverse("accounts:members")).content.decode()
    assert 'name="public_name"' in settings_page
    r = client.post(reverse("accounts:organisation_settings"), {"name": FULL_NAME, "public_name": "  Salud  Norte ", "department_code": "15"})
    assert r.status_code == 302
    lima.refresh_from_db()
    assert lima.public_name == "Salud Norte"
    assert any("public_name" in e.fields for e in AuditEvent.objects.filter(action="organisation.updated"))
    assert '<b class="pub-name">Salud Norte</b>' in client.get(reverse("intake:report", args=[lima.slug])).content.decode()


@pytest.mark.parametrize("bad", ["", "   ", "x" * 31])
def test_a_bad_display_name_is_refused_clearly_and_nothing_is_saved(lima, client, bad):
    login(client, lima.memberships.get(role="admin").user)
    r = client.post(reverse("accounts:organisation_settings"), {"name": "Otro nombre", "public_name": bad, "department_code": "15"})
    assert r.status_code == 400 and 'has-error' in r.content.decode()
    lima.refresh_from_db()
    assert lima.public_name == PUBLIC_NAME_DEFAULT and lima.name == FULL_NAME


def test_only_admins_set_the_display_name(lima, personas, client):
    login(client, personas.carla)
    r = client.post(reverse("accounts:organisation_settings"), {"name": FULL_NAME, "public_name": "Otro", "department_code": "15"})
    assert r.status_code == 403
    lima.refresh_from_db()
    assert lima.public_name == PUBLIC_NAME_DEFAULT


def test_the_emergency_form_honours_lang_and_has_distinct_labels(lima, client):
    url = reverse("alerts_public:emergency", args=[alerts.alert_settings_for(lima).emergency_token])
    spanish = client.get(url)
    assert spanish["Content-Language"] == "es" and 'href="?lang=en"' in spanish.content.decode()
    english = client.get(url + "?lang=en")
    text = english.content.decode()
    assert english["Content-Language"] == "en" and '<html lang="en">' in text and "Send alarm" in text
    assert not english.cookies  # the choice is in the address, not remembered by the phone
    labels = [label for label in __import__("re").findall(r"<(?:label|legend)[^>]*>([^<]+)<", text) if label.strip()]
    assert len(labels) == len(set(labels)), labels
    # The language survives a refused submission (the form posts to the same address).
    r = client.post(url + "?lang=en", {"kind": "nonsense"})
    assert r.status_code == 400 and r["Content-Language"] == "en"


def test_the_report_forms_file_input_has_a_label(lima, client):
    page = client.get(reverse("intake:report", args=[lima.slug])).content.decode()
    assert '<label for="id_files">' in page and 'id="id_files"' in page
