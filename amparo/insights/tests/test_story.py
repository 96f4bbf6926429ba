"""The demo's public pages, and the one sentence a milestone earns on them.

The demo is the default dataset (`amparo demo`, 2,000 incidents, Lima's national network and the
Arequipa association sharing with the network, both with a public page).
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import translation

from amparo.insights.presentation import milestone_sentence
from amparo.insights.summary import CellFact, Facts, TermFact, build_summary

TODAY = date(2026, 11, 15)


@pytest.mark.django_db
def test_on_the_demo_every_region_with_twenty_incidents_is_on_its_organisations_page():
    from amparo.accounts.models import Organisation
    from amparo.insights.models import AggregateCell
    from amparo.insights.selectors import org_scope, published_summary

    call_command("demo", stdout=io.StringIO())
    for org in Organisation.objects.all():
        counts: dict[str, int] = defaultdict(int)
        for row in AggregateCell.objects.filter(organisation=org, shareable=True).values("department_code", "incidents"):
            counts[row["department_code"]] += row["incidents"]
        page = {d["code"]: d["cell"] for d in published_summary(org_scope(org.pk))["departments"]}
        big = [code for code, n in counts.items() if code and n >= 20]
        assert big, org.slug
        for code in big:
            assert page[code] == {"value": counts[code], "display": str(counts[code]), "status": "published"}, (org.slug, code)


def _series(before: int, after: int, *, milestone: date, start: date, end: date) -> Facts:
    """Arbitrary detentions by the PNP at a steady monthly rate before and after a milestone, and
    other incidents at 12 a month throughout."""
    facts = Facts()
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        month = date(y, m, 1)
        n = before if month < milestone.replace(day=1) else after
        facts.cells.append(CellFact(month, "15", "1501", n + 12, n + 12, n))
        facts.terms += [
            TermFact(month, "15", "violation", "arbitrary_detention", n),
            TermFact(month, "15", "perpetrator", "pnp_officer", n),
            TermFact(month, "15", "violation", "extortion", 12),
            TermFact(month, "15", "place_type", "street", n + 12),
        ]
        facts.series.setdefault(("arbitrary_detention", "pnp_officer", ""), {})[month] = n
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return facts


DIRECTIVE = {"id": 1, "date": "2024-03-12", "kind": "directive", "title": "la directiva regional", "public": True,
             "violation": "arbitrary_detention", "perpetrator": "pnp_officer"}


@pytest.mark.django_db
def test_a_clear_fall_after_a_directive_reads_as_one_sentence_with_its_interval():
    facts = _series(9, 3, milestone=date(2024, 3, 12), start=date(2023, 1, 1), end=date(2025, 6, 1))
    summary = build_summary(facts, protected=True, milestones=[DIRECTIVE], today=TODAY)
    (m,) = summary["milestones"]
    # Four whole quarters on each side (2023-Q1 … 2023-Q4, 2024-Q2 … 2025-Q1), the directive's own left out.
    assert m["comparison"]["counts"] == [108, 36] and m["concern"] == "arbitrary_detention|pnp_officer"
    with translation.override("es"):
        text = milestone_sentence(m)
    assert text.startswith(
        "Desde la directiva regional (marzo de 2024), los reportes de detención arbitraria por policía (PNP) "
        "bajaron de 9,0 a 3,0 al mes"
    )
    # Clopper–Pearson for 36 of 144 after, turned into a rate ratio (scipy.stats.beta gives 0.222 and 0.490).
    assert "razón de tasas 0,33" in text and "intervalo de confianza del 95 %: 0,22 a 0,49" in text
    with translation.override("en"):
        assert "reports of arbitrary detention by police officer (PNP) fell from 9.0 to 3.0 a month" in milestone_sentence(m)


@pytest.mark.django_db
def test_an_unclear_change_is_worded_carefully():
    facts = _series(6, 5, milestone=date(2024, 3, 12), start=date(2023, 1, 1), end=date(2025, 6, 1))
    (m,) = build_summary(facts, protected=True, milestones=[DIRECTIVE], today=TODAY)["milestones"]
    with translation.override("es"):
        text = milestone_sentence(m)
    assert "pasaron de 6,0 a 5,0 al mes, una diferencia que podría deberse al azar" in text
    assert "que incluye la ausencia de cambio" in text


@pytest.mark.django_db
def test_the_sentence_uses_only_published_quarters():
    # Two detentions a month: every quarter of the concern is 6, published; one quarter with a
    # single detention is "<5", and a window that needs it is not compared.
    facts = _series(2, 2, milestone=date(2024, 3, 12), start=date(2023, 1, 1), end=date(2025, 6, 1))
    facts.series[("arbitrary_detention", "pnp_officer", "")][date(2023, 10, 1)] = 0
    facts.series[("arbitrary_detention", "pnp_officer", "")][date(2023, 11, 1)] = 0
    facts.series[("arbitrary_detention", "pnp_officer", "")][date(2023, 12, 1)] = 1
    summary = build_summary(facts, protected=True, milestones=[DIRECTIVE], today=TODAY)
    quarters = {q["key"]: q["cell"]["display"] for q in summary["concerns"]["arbitrary_detention|pnp_officer"]["quarters"]}
    assert quarters["2023-Q4"] == "<5"
    (m,) = summary["milestones"]
    assert m["comparison"] is None
    with translation.override("es"):
        assert "no hay suficientes números publicados" in milestone_sentence(m)


@pytest.mark.django_db
def test_the_funder_report_carries_the_public_pages_sentence(personas, client, monkeypatch):
    from amparo.insights import services
    from amparo.insights.models import SharingLevel
    from amparo.insights.tests.conftest import seed
    from amparo.reports import views
    from conftest import login

    seed(personas.org, personas.carla, 80, start=date(2022, 1, 5))
    seed(personas.org, personas.carla, 12, start=date(2023, 5, 5), violation_codes=["extortion"], perpetrator_codes=["serenazgo"])
    services.milestone_create(
        organisation=personas.org, acting_user=personas.carla, happened_on=date(2023, 2, 15), title="la directiva regional",
        kind="directive", is_public=True, violation="arbitrary_detention", perpetrator="pnp_officer",
    )
    services.sharing_update(organisation=personas.org, acting_user=personas.alicia, level=SharingLevel.AGGREGATES, public_page=True)
    services.aggregates_refresh(organisation_id=personas.org.pk)
    page = client.get("/estadisticas/publico/lima/?lang=es")
    ((_m, sentence),) = page.context["comparisons"]
    assert sentence.startswith("Desde la directiva regional (febrero de 2023), los reportes de detención arbitraria por policía (PNP)")

    captured = {}
    monkeypatch.setattr(views, "build_report_pdf", lambda spec: captured.setdefault("spec", spec) and b"%PDF-1.7 test")
    client.cookies.load({"amparo_lang": "es"})
    login(client, personas.carla)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    r = client.post("/informes/exportar/", {"date_from": "2023-01-01", "date_to": "2023-12-31", "language": "es", "format": "pdf",
                                             "context": "", "achievements": "", "challenges": ""})
    assert r.status_code == 200
    assert list(captured["spec"].comparisons) == [sentence]
