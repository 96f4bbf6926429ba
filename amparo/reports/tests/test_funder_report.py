"""The report for funders and partners, read back: the PDF's text and the workbook's cells, in
Spanish and in English, every number about people protected, behind the password, audited.

Lima runs a 2026 testing campaign; the report covers January to June. Carla (coordinator),
Alicia (admin) and Ana (analyst) may build it; Dora (documenter) and Lucía (lawyer) may not;
Bruno's programme (Arequipa) is not found."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from amparo.audit.models import AuditEvent
from amparo.insights import services as insights_services
from amparo.insights.presentation import Labels, comparison_texts
from amparo.insights.response_stats import response_summary
from amparo.insights.selectors import milestone_story
from amparo.insights.tests.conftest import seed
from amparo.programmes import selectors, services
from amparo.programmes.tests.factories import make_activity, make_programme, make_venue
from amparo.reports.tests.pdf_text import pdf_text
from amparo.response.models import Referral
from amparo.response.tests.factories import incident_with_person, move, refer
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

EXPORT = "/informes/exportar/"
FORM = {"date_from": "2026-01-01", "date_to": "2026-06-30", "context": "Operativos en Miraflores", "achievements": "", "challenges": ""}


@pytest.fixture
def campaign(personas):
    programme = make_programme(personas)
    venue = make_venue(personas, "Sauna Azul")
    carla = personas.membership(personas.carla)
    for name, measure, target in (("Pruebas", "tests_done", 100), ("Reactivos", "tests_reactive", 10), ("Policías capacitados", "police_trained", 20)):
        services.indicator_create(membership=carla, acting_user=personas.carla, programme=programme, name=name, measure=measure, target=target)
    make_activity(personas, programme=programme, venue=venue, held_on=date(2026, 2, 1), tests_done=30, tests_reactive=2,
                  participants_sex_workers=12, participants_trans_women=3, condoms=400)
    make_activity(personas, programme=programme, held_on=date(2026, 2, 2), tests_done=12, participants_sex_workers=9, participants_trans_women=1)
    make_activity(personas, programme=programme, kind="police_training", held_on=date(2026, 3, 5), participants_police=25,
                  scored_participants=25, pre_score_average=Decimal("40.0"), post_score_average=Decimal("80.0"))
    # After the report's period: counted nowhere in it.
    make_activity(personas, programme=programme, held_on=date(2026, 9, 1), tests_done=50)
    seed(personas.org, personas.carla, 12, start=date(2026, 1, 5))
    seed(personas.org, personas.carla, 7, start=date(2025, 1, 5))
    insights_services.milestone_create(
        organisation=personas.org, acting_user=personas.carla, happened_on=date(2026, 3, 1), title="la capacitación a la comisaría",
        kind="training", violation="arbitrary_detention", perpetrator="pnp_officer",
    )
    # Seven referrals made in March, two of them accepted: the responses section.
    for i in range(7):
        incident, _person = incident_with_person(personas, code_name=f"Mariposa {i}")
        referral = refer(personas, incident)
        if i < 2:
            move(personas, referral, "sent", "accepted")
    Referral.objects.update(created_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    return programme


def _confirmed(client):
    client.post("/cuenta/confirmar/", {"password": PASSWORD})
    return client


def _flat(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def _sentence(personas, lang: str) -> str:
    with translation.override(lang):
        story = milestone_story(organisation_id=personas.org.pk)
        ((_m, text),) = comparison_texts(story, Labels.load(story))
    return " ".join(text.split())


def test_the_pdf_reads_back_in_spanish(personas, login_as, campaign):
    client = _confirmed(login_as(personas.carla))
    response = client.post(EXPORT, {**FORM, "programme": campaign.pk, "language": "es", "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _flat(response.content)
    assert text.startswith("Informe para financiadores y aliados Colectiva Lima · Campaña de pruebas 2026 · Ministerio de Salud · 01/01/2026 – 30/06/2026")
    assert "Incidentes reportados 12 Personas afectadas 12" in text  # the period's, not the 19 of all time
    assert "Derivaciones por estado Estado o resultado Cantidad Aceptado * Borrador (sin enviar) * Total 7" in text
    assert "Pruebas Pruebas de VIH realizadas PEPFAR MER HTS_TST 01/01/2026 – 31/12/2026 100 42 42 85 No" in text
    assert "Reactivos Resultados reactivos de VIH 01/01/2026 – 31/12/2026 10 <5 —" in text
    assert "Policías capacitados Policías o serenos capacitados 01/01/2026 – 31/12/2026 20 25 125 50 Sí" in text
    assert "Metas cumplidas 1 de 3 indicadores" in text
    assert "Pruebas Sauna Azul 30 Pruebas Calle u otro lugar 12 Reactivos Sauna Azul <5" in text
    assert "Jornada de pruebas 2 * <5 0 0 0 0" in text  # 21 sex workers hidden beside 4 trans women
    assert "Capacitación de sensibilización a policías o serenazgo 25 40.0 80.0" in text
    assert "2026-03-01: la capacitación a la comisaría" in text and _sentence(personas, "es") in text
    assert "Contexto Operativos en Miraflores" in text


def test_the_pdf_reads_back_in_english(personas, login_as, campaign):
    client = _confirmed(login_as(personas.ana))
    response = client.post(EXPORT, {**FORM, "programme": campaign.pk, "language": "en", "format": "pdf"})
    assert response.status_code == 200
    text = _flat(response.content)
    assert text.startswith("Report for funders and partners Colectiva Lima · Campaña de pruebas 2026")
    assert "Incidents reported 12 People affected 12" in text
    assert "Referrals by status" in text and "Total 7" in text
    assert "Pruebas HIV tests done PEPFAR MER HTS_TST" in text and "100 42 42 85 No" in text
    assert "Targets met 1 of 3 indicators" in text
    assert "Testing day 2 * <5 0 0 0 0" in text
    assert "Milestones and before/after" in text and _sentence(personas, "en") in text


def _tables(wb, sheet: str) -> dict[str, list[tuple]]:
    """Each table of a sheet under its title: the header row, then its rows, up to a blank row."""
    tables: dict[str, list[tuple]] = {}
    current: list[tuple] | None = None
    for row in wb[sheet].iter_rows(values_only=True):
        values = tuple(v for v in row if v is not None)
        if not values:
            current = None
        elif current is None and len(values) == 1:
            current = tables.setdefault(values[0], [])
        elif current is not None:
            current.append(row)
    return tables


def test_the_workbook_cells_match_the_selectors_with_small_counts_protected(personas, login_as, campaign):
    client = _confirmed(login_as(personas.carla))
    response = client.post(EXPORT, {**FORM, "programme": campaign.pk, "language": "es", "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith(f'programa-{campaign.pk}.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Informe", "Documentación incidentes", "Respuestas y sus resultados", "Programa indicadores y metas",
                             "Programa avance por lugar", "Programa actividades y alcance", "Programa personas derivadas y a",
                             "Hitos y antes después", "Sobre estas cifras"]
    carla = personas.membership(personas.carla)
    progress = selectors.programme_progress(membership=carla, programme=campaign, until=date(2026, 6, 30))
    header, *rows = _tables(wb, "Programa indicadores y metas")["Campaña de pruebas 2026"]
    assert header[4:7] == ("Meta", "Logrado", "Porcentaje")
    by_name = {row[0]: row for row in rows}
    for p in progress:
        row = by_name[p.indicator.name]
        assert row[4] == p.indicator.target
        assert row[5] == (p.value if p.percent is not None else p.display)
        assert row[6] == p.percent and row[7] == (p.projected if p.percent is not None else None)
    assert by_name["Pruebas"][5:9] == (42, 42, 85, "No")  # not the 92 with September's
    assert by_name["Reactivos"][5:9] == ("<5", None, None, "—")
    assert by_name["Policías capacitados"][5:9] == (25, 125, 50, "Sí")
    _h, *sites = _tables(wb, "Programa avance por lugar")["Por lugar"]
    assert sites == [(p.indicator.name, "Calle u otro lugar" if s.label == "street" else s.label, int(s.display) if s.display.isdigit() else s.display)
                     for p in progress for s in p.sites]
    assert ("Reactivos", "Sauna Azul", "<5") in sites
    reach = {row[0]: row for row in _tables(wb, "Programa actividades y alcance")["Actividades y personas alcanzadas por tipo"][1:]}
    assert reach["Jornada de pruebas"] == ("Jornada de pruebas", 2, "*", "<5", 0, 0, 0, 0)
    assert reach["Capacitación de sensibilización a policías o serenazgo"][1:] == (1, 0, 0, 0, 25, 0, 0)
    testing = {row[0]: row for row in _tables(wb, "Programa actividades y alcance")["Pruebas de VIH y vinculación al tratamiento por tipo"][1:]}
    assert testing["Total"][:5] == ("Total", 42, "<5", 0, 0)
    scores = _tables(wb, "Programa actividades y alcance")["Puntajes de prueba de entrada y salida (0–100) por tipo"]
    assert scores[-2][:4] == ("Total", 25, 40, 80) and scores[-1][0] == "No se muestran promedios de menos de 5 personas."
    documentation = {row[0]: row[1] for row in wb["Documentación incidentes"].iter_rows(values_only=True) if row[0]}
    assert documentation["Incidentes reportados"] == 12
    with translation.override("es"):
        expected = response_summary(membership=carla, protected=True, date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))
    (referrals,) = expected["tables"]
    _h, *cells = _tables(wb, "Respuestas y sus resultados")[referrals["title"]]
    assert [row[:2] for row in cells] == [(label, int(v) if v.isdigit() else v) for label, v in referrals["rows"]] + [("Total", 7)]
    assert ("2026-03-01", "la capacitación a la comisaría") in [row[:2] for row in wb["Hitos y antes después"].iter_rows(values_only=True)]
    event = AuditEvent.objects.get(action="insights.export_report")
    assert event.actor_id == personas.carla.pk
    assert event.detail == {"format": "xlsx", "rows": 0, "filters": {
        "date_from": "2026-01-01", "date_to": "2026-06-30", "programme": str(campaign.pk), "language": "es"}}


def test_without_a_programme_it_is_the_monitoring_report_of_the_documentation(personas, login_as, campaign):
    client = _confirmed(login_as(personas.alicia))
    response = client.post(EXPORT, {**FORM, "programme": "", "language": "es", "format": "pdf"})
    assert response.status_code == 200
    text = _flat(response.content)
    assert text.startswith("Informe de monitoreo Colectiva Lima · 01/01/2026 – 30/06/2026")
    assert "Incidentes reportados 12" in text and "Campaña de pruebas 2026" not in text and "Programa:" not in text
    assert AuditEvent.objects.get(action="insights.export_report").detail["filters"]["programme"] == ""


def test_the_old_address_of_the_monitoring_report_forwards_the_form(personas, login_as, campaign):
    client = _confirmed(login_as(personas.carla))
    response = client.post("/estadisticas/exportar/informe.pdf", FORM, follow=True)
    assert response.redirect_chain == [(EXPORT, 308)]
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.get(action="insights.export_report").detail["format"] == "pdf"


def test_the_programme_page_links_to_the_report_with_its_programme_chosen(personas, login_as, campaign):
    client = login_as(personas.carla)
    page = client.get(f"/programas/{campaign.pk}/").content.decode()
    assert f'href="/informes/?programa={campaign.pk}"' in page
    # The password first, then the form with the programme chosen (what she writes is not lost).
    asked = client.get(f"/informes/?programa={campaign.pk}")
    assert asked.status_code == 302 and asked["Location"].startswith("/cuenta/confirmar/") and f"programa%3D{campaign.pk}" in asked["Location"]
    form = _confirmed(client).get(f"/informes/?programa={campaign.pk}")
    assert form.status_code == 200
    assert f'<option value="{campaign.pk}" selected>Campaña de pruebas 2026</option>' in form.content.decode()


def test_it_asks_for_the_password_first(personas, login_as, campaign):
    response = login_as(personas.carla).post(EXPORT, {**FORM, "programme": campaign.pk, "format": "xlsx", "back": f"/informes/?programa={campaign.pk}"})
    assert response.status_code == 302 and response["Location"].startswith("/cuenta/confirmar/")
    assert f"programa%3D{campaign.pk}" in response["Location"]
    assert not AuditEvent.objects.filter(action="insights.export_report").exists()


def test_documenters_and_lawyers_may_not_and_analysts_admins_coordinators_may(personas, login_as, campaign):
    for user in (personas.dora, personas.lucia):
        client = _confirmed(login_as(user))
        assert client.get("/informes/").status_code == 403
        assert client.post(EXPORT, {**FORM, "programme": campaign.pk, "format": "pdf"}).status_code == 403
    for user in (personas.alicia, personas.carla, personas.ana):
        assert _confirmed(login_as(user)).get("/informes/").status_code == 200
    assert not AuditEvent.objects.filter(action="insights.export_report").exists()


def test_another_organisations_programme_is_not_found(personas, login_as, campaign):
    from amparo.programmes.services import programme_create

    theirs = programme_create(membership=personas.membership(personas.bruno, personas.other_org), acting_user=personas.bruno, kind="grant",
                              name="Fondo Arequipa", funder="Fondo", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    client = _confirmed(login_as(personas.carla))
    assert client.post(EXPORT, {**FORM, "programme": theirs.pk, "format": "pdf"}).status_code == 404
    assert client.get(f"/informes/?programa={theirs.pk}").status_code == 404
    assert not AuditEvent.objects.filter(action="insights.export_report").exists()


@pytest.mark.parametrize("bad", [
    {"date_from": "2026-06-30", "date_to": "2026-01-01"},
    {"date_from": "no es fecha"},
    {"language": "fr"},
    {"format": "docx"},
    {"programme": "abc"},
    {"programme": "0"},
    {"context": "x" * 4001},
])
def test_bad_input_is_a_400_with_nothing_exported(personas, login_as, campaign, bad):
    client = _confirmed(login_as(personas.carla))
    response = client.post(EXPORT, {**FORM, "programme": campaign.pk, "format": "pdf", **bad})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert 'class="errorlist' in response.content.decode()
    assert not AuditEvent.objects.filter(action="insights.export_report").exists()


def test_a_bad_programme_in_the_address_is_a_400(personas, login_as, campaign):
    assert _confirmed(login_as(personas.carla)).get("/informes/?programa=abc").status_code == 400


def test_an_empty_programme_says_so_and_written_text_is_never_a_formula(personas, login_as):
    programme = make_programme(personas, name="Fondo de Mujeres 2026")
    client = _confirmed(login_as(personas.carla))
    response = client.post(EXPORT, {**FORM, "programme": programme.pk, "language": "en", "format": "xlsx",
                                    "context": '=HYPERLINK("http://example.org","x")'})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[0] == "Report"
    context = wb["Report"]["B5"]
    assert context.value == '=HYPERLINK("http://example.org","x")' and context.data_type == "s"
    assert ("This programme has no indicators yet.",) in wb["Programme indicators and target"].iter_rows(values_only=True)
    assert ("No activities of this programme in this period.",) in wb["Programme activities and reach"].iter_rows(values_only=True)
    assert wb["Documentation incidents"]["B3"].value == 0  # published: nobody is in it
