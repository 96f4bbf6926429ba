"""The programme report for funders: XLSX cells and PDF contents read back, protected, audited,
behind password re-confirmation, in the reader's language."""

from __future__ import annotations

import io
from datetime import date

import pikepdf
import pytest
from openpyxl import load_workbook

from amparo.audit.models import AuditEvent
from amparo.programmes import report, services
from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(personas):
    programme = make_programme(personas)
    venue = make_venue(personas, "Sauna Azul")
    carla = personas.membership(personas.carla)
    services.indicator_create(membership=carla, acting_user=personas.carla, programme=programme, name="Pruebas", measure="tests_done", target=100)
    services.indicator_create(membership=carla, acting_user=personas.carla, programme=programme, name="Reactivos", measure="tests_reactive", target=10)
    make_activity(personas, programme=programme, venue=venue, held_on=date(2026, 2, 1), tests_done=30, tests_reactive=2)
    make_activity(personas, programme=programme, held_on=date(2026, 2, 2), tests_done=12)
    return programme


def _confirmed(client):
    client.post("/cuenta/confirmar/", {"password": PASSWORD})
    return client


def test_the_xlsx_report_reads_back_with_health_numbers_protected(personas, login_as, campaign):
    client = _confirmed(login_as(personas.ana))
    response = client.get(f"/programas/{campaign.pk}/informe.xlsx", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb["Indicadores"].iter_rows(values_only=True))
    assert rows[0][0] == "Campaña de pruebas 2026" and rows[2][0] == "Indicador"
    tests, reactive = rows[3], rows[4]
    assert tests[0] == "Pruebas" and tests[2] == "PEPFAR MER HTS_TST" and tests[4] == 100 and tests[5] == "42" and tests[6] == "42 %"
    assert reactive[0] == "Reactivos" and reactive[5] == "<5" and reactive[6] is None
    sites = list(wb["Por lugar"].iter_rows(values_only=True))
    assert ("Pruebas", "Sauna Azul", "30") in sites and ("Pruebas", "Calle u otro lugar", "12") in sites
    assert {row[1]: row[2] for row in sites if row[0] == "Reactivos"}["Sauna Azul"] in {"<5", "*"}
    event = AuditEvent.objects.get(action="programme.report_exported")
    assert event.actor_id == personas.ana.pk and event.detail == {"format": "xlsx"}


def test_the_pdf_report_is_a_pdf_with_the_protected_figures(personas, login_as, campaign, monkeypatch):
    client = _confirmed(login_as(personas.carla))
    response = client.get(f"/programas/{campaign.pk}/informe.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert len(pikepdf.open(io.BytesIO(response.content)).pages) >= 1
    captured = {}
    real = report.build_report_pdf
    monkeypatch.setattr(report, "build_report_pdf", lambda spec: captured.setdefault("spec", spec) and real(spec))
    client.get(f"/programas/{campaign.pk}/informe.pdf", HTTP_ACCEPT_LANGUAGE="en")
    spec = captured["spec"]
    assert spec.figures[:2] == [("Pruebas [PEPFAR MER HTS_TST]", "42 / 100 (42 %)"), ("Reactivos", "<5 / 10")]
    # Then the people-level work, as published numbers (none here).
    assert spec.figures[2:] == [("Referrals made from activities", "0"), ("People accompanied to treatment (with consent)", "0"),
                                ("Of them, on treatment", "0")]
    assert "Sauna Azul: 30" in dict(spec.narrative)["Pruebas"]
    assert spec.labels["figures"] == "Indicators"


def test_the_report_needs_the_password_again_and_is_refused_to_documenters_lawyers_and_others(personas, login_as, campaign):
    response = login_as(personas.carla).get(f"/programas/{campaign.pk}/informe.xlsx")
    assert response.status_code == 302 and "/cuenta/confirmar/" in response["Location"]
    for user in (personas.dora, personas.lucia):
        assert _confirmed(login_as(user)).get(f"/programas/{campaign.pk}/informe.xlsx").status_code == 403
    assert _confirmed(login_as(personas.bruno)).get(f"/programas/{campaign.pk}/informe.xlsx").status_code == 404
    assert _confirmed(login_as(personas.carla)).get(f"/programas/{campaign.pk}/informe.csv").status_code == 404
    assert not AuditEvent.objects.filter(action="programme.report_exported").exists()
