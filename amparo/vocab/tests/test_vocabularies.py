"""Controlled vocabularies are data: seeded, versioned, edited only by network admins."""

from __future__ import annotations

import pytest

from amparo.vocab.models import Term, TermRevision, Vocabulary
from amparo.vocab.seed import sync
from conftest import login

pytestmark = pytest.mark.django_db

REQUIRED_VIOLATIONS = {
    "physical_assault", "sexual_violence", "rape", "killing", "attempted_killing", "threat", "extortion", "robbery",
    "arbitrary_detention", "raid", "detention_without_cause", "confiscation", "forced_sex_by_official", "verbal_abuse",
    "health_discrimination", "service_denial", "eviction", "outing", "online_harassment",
}
REQUIRED_PERPETRATORS = {
    "pnp_officer", "serenazgo", "municipal_inspection", "military", "client", "intimate_partner", "family_member",
    "venue_owner", "neighbour", "extortion_gang", "health_worker", "other_official", "unknown",
}


def test_the_seed_covers_the_agreed_violations_and_perpetrators_in_both_languages():
    violations = set(Term.objects.filter(vocabulary=Vocabulary.VIOLATION).values_list("code", flat=True))
    perpetrators = set(Term.objects.filter(vocabulary=Vocabulary.PERPETRATOR).values_list("code", flat=True))
    assert violations >= REQUIRED_VIOLATIONS and perpetrators >= REQUIRED_PERPETRATORS
    assert not Term.objects.filter(label_es="").exists() and not Term.objects.filter(label_en="").exists()
    assert set(Term.objects.filter(is_state_agent=True).values_list("code", flat=True)) >= {"pnp_officer", "serenazgo", "military"}


def test_syncing_again_adds_nothing_and_keeps_edits():
    Term.objects.filter(code="raid").update(label_es="Batida policial")
    assert sync() == 0
    assert Term.objects.get(code="raid").label_es == "Batida policial"


@pytest.fixture
def network_admin(personas):
    personas.carla.is_network_admin = True
    personas.carla.save()
    return personas.carla


def test_rewording_keeps_the_earlier_wording_as_a_revision(network_admin, client):
    term = Term.objects.get(vocabulary="violation", code="raid")
    login(client, network_admin)
    r = client.post(f"/vocabularios/{term.pk}/", {"label_es": "Operativo policial", "label_en": "Police raid"})
    assert r.status_code == 302
    term.refresh_from_db()
    assert (term.label_es, term.version) == ("Operativo policial", 2)
    assert TermRevision.objects.get(term=term).label_es == "Operativo / redada"


def test_retired_terms_are_not_offered_for_new_records_but_old_records_keep_them(network_admin, personas, client):
    from conftest import make_incident

    incident = make_incident(personas.org, personas.dora, violation_codes=["robbery"])
    term = Term.objects.get(vocabulary="violation", code="robbery")
    login(client, network_admin)
    client.post(f"/vocabularios/{term.pk}/estado/")
    term.refresh_from_db()
    assert not term.is_active
    assert "robbery" in incident.violations.values_list("code", flat=True)
    body = client.get("/incidentes/nuevo/").content.decode()
    assert 'value="robbery"' not in body


def test_codes_are_never_reused_and_bad_input_is_refused(network_admin, client):
    login(client, network_admin)
    before = Term.objects.count()
    for data in [{"vocabulary": "violation", "code": "raid", "label_es": "x", "label_en": "x"},
                 {"vocabulary": "violation", "code": "Bad Code!", "label_es": "x", "label_en": "x"},
                 {"vocabulary": "colours", "code": "red", "label_es": "x", "label_en": "x"},
                 {"vocabulary": "violation", "code": "new_one", "label_es": "", "label_en": "x"}]:
        assert client.post("/vocabularios/anadir/", data).status_code == 400
    assert Term.objects.count() == before
    r = client.post("/vocabularios/anadir/", {"vocabulary": "violation", "code": "doxxing", "label_es": "Difusión de datos personales", "label_en": "Doxxing"})
    assert r.status_code == 302 and Term.objects.filter(code="doxxing").exists()


def test_only_network_admins_edit_vocabularies(personas, client):
    term = Term.objects.first()
    for user in (personas.alicia, personas.carla, personas.dora):
        login(client, user)
        assert client.get("/vocabularios/").status_code == 403
        assert client.post(f"/vocabularios/{term.pk}/", {"label_es": "x", "label_en": "y"}).status_code == 403
