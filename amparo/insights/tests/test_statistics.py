"""Dashboards, public pages, the network, consent and the API.

Who sees what (personas from the root conftest):
- Carla (coordinator, Lima) and Alicia (admin, Lima) see Lima's dashboard with raw numbers.
- Ana (analyst, Lima) sees the same dashboard with protected numbers only.
- Dora (documenter) and Lucía (lawyer) have no statistics pages.
- Bruno (coordinator, Arequipa) never sees a Lima number on his dashboard.
- Anyone, signed in or not, reads a public page once its organisation has chosen to publish.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amparo.accounts.models import Role
from amparo.accounts.services import api_token_create, organisation_create
from amparo.insights import services
from amparo.insights.models import PublishedSummary, RefreshState, SharingLevel
from amparo.insights.tests.conftest import seed
from conftest import login, make_incident, make_person, make_user

pytestmark = pytest.mark.django_db


def publish(org, user, *, level=SharingLevel.AGGREGATES, public=True):  # type: ignore[no-untyped-def]
    services.sharing_update(organisation=org, acting_user=user, level=level, public_page=public)
    services.aggregates_refresh(organisation_id=org.pk)
    services.network_publish()


# --- Organisation dashboard ------------------------------------------------------------------


def test_coordinator_sees_raw_numbers_including_small_ones(lima_data, client):
    login(client, lima_data.carla)
    r = client.get("/estadisticas/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "<svg" in body and 'role="img"' in body
    summary = r.context["summary"]
    assert summary["protected"] is False
    assert summary["total"]["value"] == 42
    callao = next(d for d in summary["departments"] if d["code"] == "07")
    assert callao["cell"]["display"] == "2"
    assert summary["left_out"]["value"] == 3


def test_analyst_sees_only_protected_numbers(lima_data, client):
    login(client, lima_data.ana)
    summary = client.get("/estadisticas/").context["summary"]
    assert summary["protected"] is True
    callao = next(d for d in summary["departments"] if d["code"] == "07")
    assert callao["cell"]["display"] == "<5"
    assert callao["cell"]["value"] is None
    lima = next(d for d in summary["departments"] if d["code"] == "15")
    # Analysts can filter, so their numbers carry a small fixed perturbation (cell key method)
    # instead of complementary suppression: 40 reads 38 … 42, and the page says so.
    assert summary["perturbed"] is True and 38 <= lima["cell"]["value"] <= 42
    assert summary["left_out"]["display"] == "<5"


@pytest.mark.parametrize("who", ["dora", "lucia"])
def test_documenters_and_lawyers_have_no_statistics(personas, client, who):
    login(client, getattr(personas, who))
    assert client.get("/estadisticas/").status_code == 403


def test_it_requires_login(client):
    r = client.get("/estadisticas/")
    assert r.status_code == 302 and "/cuenta/" in r["Location"]


def test_it_hides_other_organisations_numbers(lima_data, client):
    seed(lima_data.other_org, lima_data.bruno, 6, district="040101")
    login(client, lima_data.bruno)
    summary = client.get("/estadisticas/").context["summary"]
    assert summary["total"]["value"] == 6
    assert [d["code"] for d in summary["departments"]] == ["04"]


def test_filters_narrow_the_dashboard(lima_data, client):
    login(client, lima_data.carla)
    r = client.get("/estadisticas/", {"department": "07", "violation": "extortion"})
    assert r.context["summary"]["total"]["value"] == 2
    r = client.get("/estadisticas/", {"date_from": "2023-01-01", "date_to": "2023-01-31"})
    # Two per batch fall in January (10th and 22nd); the batch without consent is left out.
    assert r.context["summary"]["total"]["value"] == 4
    assert r.context["summary"]["left_out"]["value"] == 2


def test_person_filters_use_the_people_in_each_incident(personas, client):
    trans = make_person(personas.org, personas.carla, gender_identity="trans_woman", migrant_status="irregular")
    other = make_person(personas.org, personas.carla, code_name="Luna", gender_identity="cis_woman")
    make_incident(personas.org, personas.carla, persons=[trans])
    make_incident(personas.org, personas.carla, persons=[other])
    login(client, personas.carla)
    r = client.get("/estadisticas/", {"gender_identity": "trans_woman"})
    assert r.context["summary"]["total"]["value"] == 1
    r = client.get("/estadisticas/", {"migrant_status": "irregular", "gender_identity": "cis_woman"})
    assert r.context["summary"]["total"]["value"] == 0


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2024-05-01", "date_to": "2024-01-01"}, "date_to"),
        ({"department": "99"}, "department"),
        ({"violation": "alien_abduction"}, "violation"),
        ({"gender_identity": "robot"}, "gender_identity"),
        ({"granularity": "week"}, "granularity"),
        ({"colour": "red"}, "__all__"),
    ],
)
def test_bad_filters_are_answered_clearly(personas, client, params, field):
    login(client, personas.carla)
    r = client.get("/estadisticas/", params)
    assert r.status_code == 400
    assert field in r.context["filter_errors"]


def test_charts_download_as_svg_and_png(lima_data, client):
    login(client, lima_data.ana)
    r = client.get("/estadisticas/grafico/map.svg")
    assert r.status_code == 200 and r["Content-Type"].startswith("image/svg+xml")
    assert b"Callao: &lt;5" in r.content
    r = client.get("/estadisticas/grafico/trend.png?granularity=quarter")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert client.get("/estadisticas/grafico/nothing.svg").status_code == 404
    assert client.get("/estadisticas/grafico/map.gif").status_code == 404


# --- Consent ----------------------------------------------------------------------------------


def test_records_without_consent_are_left_out_and_counted(personas, client):
    seed(personas.org, personas.carla, 7)
    seed(personas.org, personas.carla, 6, consent_share_stats=False, district="040101")
    publish(personas.org, personas.alicia)
    r = client.get("/estadisticas/publico/lima/?lang=en")
    summary = r.context["summary"]
    assert summary["total"]["value"] == 7
    assert [d["code"] for d in summary["departments"]] == ["15"]  # nothing from the six without consent
    assert summary["left_out"]["display"] == "6"
    assert "6 records are left out because the person did not agree" in r.content.decode()


# --- Public pages -----------------------------------------------------------------------------


def test_public_page_needs_no_account_and_keeps_no_trace(lima_data, client):
    publish(lima_data.org, lima_data.alicia)
    r = client.get("/estadisticas/publico/lima/", REMOTE_ADDR="203.0.113.9")
    assert r.status_code == 200
    assert "Cache-Control" in r and "no-store" in r["Cache-Control"]
    assert not r.cookies
    body = r.content.decode()
    assert "Colectiva Lima" in body
    assert "&lt;5" in body  # Callao's two incidents


def test_public_page_is_reachable_when_signed_in_too(lima_data, client):
    publish(lima_data.org, lima_data.alicia)
    login(client, lima_data.dora)
    assert client.get("/estadisticas/publico/lima/").status_code == 200


def test_public_page_is_404_until_the_organisation_publishes(lima_data, client):
    assert client.get("/estadisticas/publico/lima/").status_code == 404
    services.sharing_update(organisation=lima_data.org, acting_user=lima_data.alicia, level=SharingLevel.NONE, public_page=False)
    services.aggregates_refresh(organisation_id=lima_data.org.pk)
    assert client.get("/estadisticas/publico/lima/").status_code == 404
    assert client.get("/estadisticas/publico/nobody/").status_code == 404


def test_public_page_carries_the_coverage_note(lima_data, client):
    publish(lima_data.org, lima_data.alicia)
    body = client.get("/estadisticas/publico/lima/?lang=en").content.decode()
    assert "Contributing organisations: Colectiva Lima." in body
    assert "Regions with reports: Callao, Lima." in body
    assert "Reports since 2023-01" in body
    assert "not prevalence" in body
    body_es = client.get("/estadisticas/publico/lima/").content.decode()
    assert "prevalencia" in body_es


def test_public_page_with_too_few_records_publishes_nothing(personas, client):
    seed(personas.org, personas.carla, 3)
    publish(personas.org, personas.alicia)
    r = client.get("/estadisticas/publico/lima/?lang=en")
    assert r.context["summary"]["withheld"] is True
    assert r.context["summary"]["total"]["display"] == "<5"
    assert "<svg" not in r.content.decode()


def test_public_page_cost_does_not_grow_with_the_data(personas, client):
    seed(personas.org, personas.carla, 6)
    publish(personas.org, personas.alicia)
    with CaptureQueriesContext(connection) as small:
        client.get("/estadisticas/publico/lima/")
    seed(personas.org, personas.carla, 30, district="040101")
    publish(personas.org, personas.alicia)
    with CaptureQueriesContext(connection) as bigger:
        client.get("/estadisticas/publico/lima/")
    assert len(bigger) == len(small)
    assert not any("records_incident" in q["sql"] for q in bigger.captured_queries)


def test_public_page_rejects_bad_granularity(lima_data, client):
    publish(lima_data.org, lima_data.alicia)
    r = client.get("/estadisticas/publico/lima/?granularity=decade")
    assert r.status_code == 400


def test_public_chart_downloads(lima_data, client):
    publish(lima_data.org, lima_data.alicia)
    r = client.get("/estadisticas/publico/lima/grafico/map.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    r = client.get("/estadisticas/publico/red/grafico/trend.svg?granularity=year")
    assert r.status_code == 200 and b"<svg" in r.content


def test_public_page_marks_public_milestones_and_compares_before_after(personas, client):
    seed(personas.org, personas.carla, 60, start=__import__("datetime").date(2022, 1, 5))
    services.milestone_create(
        organisation=personas.org, acting_user=personas.carla, happened_on=__import__("datetime").date(2023, 2, 15),
        title="Directiva PNP 2023", kind="directive", is_public=True,
    )
    services.milestone_create(
        organisation=personas.org, acting_user=personas.carla, happened_on=__import__("datetime").date(2022, 6, 1),
        title="Reunión interna", kind="other", is_public=False,
    )
    publish(personas.org, personas.alicia)
    r = client.get("/estadisticas/publico/lima/?lang=en")
    body = r.content.decode()
    assert "Directiva PNP 2023" in body
    assert "Reunión interna" not in body
    (m,) = r.context["summary"]["milestones"]
    # Data from 2022-01 to 2023-12; the milestone's own quarter (2023-Q1) is left out.
    assert m["comparison"]["before_quarters"] == 4 and m["comparison"]["after_quarters"] == 3
    assert "These are reports, not the amount of violence" in body
    assert "Since Directiva PNP 2023 (February 2023), reports of incidents went from 2.6 to 2.4 a month, a difference that could be chance" in body


# --- Network ----------------------------------------------------------------------------------


@pytest.fixture
def network(lima_data):  # type: ignore[no-untyped-def]
    """Lima shares records, Arequipa aggregates only, Cusco nothing."""
    p = lima_data
    seed(p.other_org, p.bruno, 12, district="040101")
    cusco = organisation_create(name="Red Cusco", slug="cusco", department_code="08", reference_prefix="CUS")
    carmen = make_user("carmen", cusco, Role.ADMIN)
    seed(cusco, carmen, 9, district="080101")
    arequipa_admin = make_user("aurora", p.other_org, Role.ADMIN)
    for org, user, level in ((p.org, p.alicia, SharingLevel.RECORDS), (p.other_org, arequipa_admin, SharingLevel.AGGREGATES), (cusco, carmen, SharingLevel.NONE)):
        services.sharing_update(organisation=org, acting_user=user, level=level, public_page=True)
        services.aggregates_refresh(organisation_id=org.pk)
    services.network_publish()
    p.cusco, p.carmen = cusco, carmen
    return p


def test_network_counts_only_organisations_that_share(network, client):
    r = client.get("/estadisticas/publico/red/?lang=en")
    summary = r.context["summary"]
    assert summary["total"]["value"] == 42 + 12
    assert {d["code"] for d in summary["departments"]} == {"15", "07", "04"}
    assert summary["scope"]["organisations"] == ["Asociación Arequipa", "Colectiva Lima"]
    assert "Red Cusco" not in r.content.decode()


def test_network_dashboard_for_members_of_sharing_organisations_only(network, client):
    login(client, network.ana)
    r = client.get("/estadisticas/red/")
    assert r.status_code == 200 and r.context["summary"]["total"]["value"] == 54
    login(client, network.carmen)
    assert client.get("/estadisticas/red/").status_code == 403


def test_an_organisation_sharing_aggregates_only_never_contributes_a_record(network, client):
    login(client, network.carla)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    r = client.get("/estadisticas/exportar/red-registros.csv")
    assert r.status_code == 200
    data = _csv_from_zip(r.content, "amparo-red-registros.csv")
    places = {row["place"] for row in data}
    assert places and all(p[:2] in ("15", "07", "*") for p in places)
    assert not any(p.startswith(("04", "08")) for p in places)


# --- Exports, sudo mode and audit ----------------------------------------------------------------


def _csv_from_zip(content: bytes, name: str) -> list[dict]:
    import csv
    import io
    import zipfile

    z = zipfile.ZipFile(io.BytesIO(content))
    assert "dictionary.csv" in z.namelist() and "README.txt" in z.namelist()
    text = z.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_exports_need_the_password_again(lima_data, client):
    login(client, lima_data.carla)
    r = client.get("/estadisticas/exportar/registros.csv")
    assert r.status_code == 302 and r["Location"].startswith("/cuenta/confirmar/?next=")
    r = client.post("/cuenta/confirmar/", {"password": "wrong", "next": "/estadisticas/exportar/registros.csv"})
    assert r.status_code == 400
    r = client.post("/cuenta/confirmar/", {"password": "correct horse battery staple", "next": "/estadisticas/exportar/registros.csv"})
    assert r.status_code == 302 and r["Location"] == "/estadisticas/exportar/registros.csv"
    assert client.get("/estadisticas/exportar/registros.csv").status_code == 200


def test_the_confirmation_page_refuses_foreign_redirects(lima_data, client):
    login(client, lima_data.carla)
    r = client.post("/cuenta/confirmar/", {"password": "correct horse battery staple", "next": "//evil.example/"})
    assert r["Location"] == "/"


def test_record_export_is_de_identified_k_anonymous_and_audited(lima_data, client):
    import io
    import re
    import zipfile

    from amparo.audit.models import AuditEvent

    login(client, lima_data.ana)
    client.cookies.load({"amparo_lang": "en"})
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    r = client.get("/estadisticas/exportar/registros.csv")
    rows = _csv_from_zip(r.content, "amparo-registros.csv")
    readme = zipfile.ZipFile(io.BytesIO(r.content)).read("README.txt").decode()
    assert "Records without consent to statistical use left out: 3." in readme
    unique = int(re.search(r"after coarsening and were left out: (\d+)", readme).group(1))
    # The three without consent are not there; the two from Callao cannot hide among others.
    assert unique >= 2 and len(rows) + unique == 42
    text = r.content.decode("latin-1")
    for secret in ("Nos detuvieron", "Placa 12345", "LIM-"):
        assert secret not in text
    assert all(len(row["period"]) >= 4 and row["period"].count("-") <= 1 for row in rows)
    combos: dict = {}
    for row in rows:
        key = (row["place"], row["period"], row["gender_identities"], row["migrant_statuses"], row["age_bands"])
        combos[key] = combos.get(key, 0) + 1
    assert min(combos.values()) >= 5
    event = AuditEvent.objects.filter(action="insights.export_records").get()
    assert event.actor_id == lima_data.ana.pk and event.detail["rows"] == len(rows)


def test_xlsx_export_opens_in_openpyxl_with_its_dictionary(lima_data, client):
    import io

    from openpyxl import load_workbook

    login(client, lima_data.carla)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    r = client.get("/estadisticas/exportar/registros.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["data", "dictionary", "notes"]
    headers = [c.value for c in wb["data"][1]]
    assert headers[:3] == ["row", "period", "place"]
    described = {row[0].value for row in wb["dictionary"].iter_rows(min_row=2)}
    assert set(headers) <= described


def test_observatory_export_groups_by_right_affected(lima_data, client):
    import io

    from openpyxl import load_workbook

    login(client, lima_data.carla)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    r = client.get("/estadisticas/exportar/observatorio.xlsx")
    ws = load_workbook(io.BytesIO(r.content))["observatory"]
    rows = {row[0].value: [c.value for c in row] for row in ws.iter_rows(min_row=2)}
    assert set(rows) == {"life_integrity", "liberty", "health", "work", "justice", "non_discrimination"}
    # 40 arbitrary detentions (liberty) and 2 extortions: the small row shows "<5", never 2.
    assert rows["liberty"][-1] == "40"
    assert "2" not in [str(v) for v in rows["work"][2:]] and "2" not in [str(v) for v in rows["liberty"][2:]]
    r = client.get("/estadisticas/exportar/observatorio.csv")
    assert _csv_from_zip(r.content, "amparo-observatorio.csv")
    # Analysts filter exports at will: theirs carry the cell key perturbation instead.
    login(client, lima_data.ana)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    ws = load_workbook(io.BytesIO(client.get("/estadisticas/exportar/observatorio.xlsx").content))["observatory"]
    rows = {row[0].value: [c.value for c in row] for row in ws.iter_rows(min_row=2)}
    assert 38 <= int(rows["liberty"][-1]) <= 42 and rows["work"][-1] == "<5"


def test_exports_refuse_documenters_and_bad_formats(lima_data, client):
    login(client, lima_data.dora)
    assert client.get("/estadisticas/exportar/registros.csv").status_code == 403
    login(client, lima_data.carla)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    assert client.get("/estadisticas/exportar/registros.pdf").status_code == 404
    assert client.get("/estadisticas/exportar/registros.csv?department=xx").status_code == 400


def test_funder_report_is_a_pdf_with_protected_numbers(lima_data, client):
    from amparo.audit.models import AuditEvent

    login(client, lima_data.carla)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})
    # The old address forwards the form (308) to the one report builder (amparo/reports).
    r = client.post(
        "/estadisticas/exportar/informe.pdf",
        {"date_from": "2023-01-01", "date_to": "2024-12-31", "context": "Operativos en Lima", "achievements": "", "challenges": ""},
        follow=True,
    )
    assert r.redirect_chain == [("/informes/exportar/", 308)]
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="insights.export_report").count() == 1
    r = client.post("/estadisticas/exportar/informe.pdf", {"date_from": "2024-12-31", "date_to": "2023-01-01"}, follow=True)
    assert r.status_code == 400


# --- Milestones and sharing settings --------------------------------------------------------------


def test_coordinators_add_and_remove_milestones(personas, client):
    from amparo.insights.models import Milestone

    login(client, personas.carla)
    r = client.post("/estadisticas/hitos/", {"happened_on": "2024-03-01", "kind": "training", "title": "Capacitación a la PNP", "is_public": "on"})
    assert r.status_code == 302
    m = Milestone.objects.get()
    assert m.is_public and m.organisation == personas.org
    assert client.post("/estadisticas/hitos/", {"happened_on": "2999-01-01", "kind": "training", "title": "x"}).status_code == 400
    assert client.post("/estadisticas/hitos/", {"happened_on": "2024-01-01", "kind": "coup", "title": "x"}).status_code == 400
    login(client, personas.bruno)
    assert client.post(f"/estadisticas/hitos/{m.pk}/borrar/").status_code == 404
    login(client, personas.carla)
    assert client.post(f"/estadisticas/hitos/{m.pk}/borrar/").status_code == 302
    assert not Milestone.objects.exists()


def test_only_admins_change_sharing(personas, client):
    login(client, personas.carla)
    assert client.get("/estadisticas/compartir/").status_code == 403
    login(client, personas.alicia)
    r = client.post("/estadisticas/compartir/", {"level": "records", "public_page": "on"})
    assert r.status_code == 302
    assert personas.org.sharing.level == "records"
    assert client.post("/estadisticas/compartir/", {"level": "everything"}).status_code == 400


# --- Background refresh -------------------------------------------------------------------------


def test_a_new_incident_refreshes_the_public_page_through_the_queue(personas, client, django_capture_on_commit_callbacks, monkeypatch):
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "immediate", True)
    services.sharing_update(organisation=personas.org, acting_user=personas.alicia, level=SharingLevel.AGGREGATES, public_page=True)
    with django_capture_on_commit_callbacks(execute=True):
        seed(personas.org, personas.carla, 6, via_service=True)
    assert PublishedSummary.objects.get(scope=f"org:{personas.org.pk}").payload["total"]["value"] == 6
    assert RefreshState.objects.get(organisation=personas.org).dirty_since is None


def test_the_refresh_task_claims_its_work_once(personas):
    from amparo.insights.tasks import refresh_organisation

    services.mark_dirty(personas.org.pk)
    assert refresh_organisation.call_local(personas.org.pk) is True
    assert refresh_organisation.call_local(personas.org.pk) is False


# --- API ----------------------------------------------------------------------------------------------


def _token(personas, user):  # type: ignore[no-untyped-def]
    _t, raw = api_token_create(membership=personas.membership(user), name="t", acting_user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_gives_analysts_the_same_protected_numbers(lima_data, client):
    r = client.get("/api/v1/insights/summary", **_token(lima_data, lima_data.ana))
    assert r.status_code == 200
    body = r.json()
    assert body["protected"] is True
    assert next(d for d in body["departments"] if d["code"] == "07")["cell"]["display"] == "<5"
    r = client.get("/api/v1/insights/summary", **_token(lima_data, lima_data.carla))
    assert r.json()["protected"] is False


def test_api_rejects_bad_filters_with_one_error_shape(lima_data, client):
    r = client.get("/api/v1/insights/summary?department=99&date_from=x", **_token(lima_data, lima_data.carla))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "bad_filter" and {"department", "date_from"} <= set(err["fields"])


def test_api_refuses_documenters_and_anonymous_callers(lima_data, client):
    assert client.get("/api/v1/insights/summary", **_token(lima_data, lima_data.dora)).status_code == 403
    assert client.get("/api/v1/insights/summary").status_code == 401


def test_public_api_matches_the_public_page(lima_data, client):
    publish(lima_data.org, lima_data.alicia)
    page = client.get("/estadisticas/publico/lima/").context["summary"]
    api = client.get("/api/v1/public/insights/lima").json()
    assert json.loads(json.dumps(page, default=str))["departments"] == api["departments"]
    assert client.get("/api/v1/public/insights/network").status_code == 200
    assert client.get("/api/v1/public/insights/nobody").status_code == 404


# --- Aggregates agree with the incidents ----------------------------------------------------------


@pytest.mark.parametrize(
    "params", [{}, {"department": "07"}, {"date_from": "2023-02-01", "date_to": "2023-06-30"}, {"department": "15", "date_from": "2023-03-01"}]
)
def test_dashboard_from_fresh_aggregates_matches_the_live_count(lima_data, params):
    from django.http import QueryDict

    from amparo.insights.selectors import (
        aggregates_fresh,
        facts_from_aggregates,
        facts_from_incidents,
        filtered_incidents,
        parse_filters,
    )
    from amparo.insights.summary import build_summary
    from amparo.records.models import Incident

    services.aggregates_refresh(organisation_id=lima_data.org.pk)
    assert aggregates_fresh(lima_data.org.pk)
    q = QueryDict(mutable=True)
    q.update(params)
    f = parse_filters(q)
    live = build_summary(facts_from_incidents(filtered_incidents(Incident.objects.filter(organisation=lima_data.org), f)), protected=True)
    stored = build_summary(facts_from_aggregates([lima_data.org.pk], f), protected=True)
    assert stored == live
    # The aggregates carry the record keys: the analyst's perturbed view is the same either way.
    from amparo.insights.summary import build_perturbed

    live_facts = facts_from_incidents(filtered_incidents(Incident.objects.filter(organisation=lima_data.org), f))
    assert build_perturbed(facts_from_aggregates([lima_data.org.pk], f)) == build_perturbed(live_facts)


def test_dashboard_counts_live_while_aggregates_are_stale(lima_data, client):
    services.aggregates_refresh(organisation_id=lima_data.org.pk)
    make_incident(lima_data.org, lima_data.carla)
    services.mark_dirty(lima_data.org.pk)
    login(client, lima_data.carla)
    assert client.get("/estadisticas/").context["summary"]["total"]["value"] == 43


def test_network_page_minus_an_organisation_page_reveals_no_small_number(network, client):
    # Lima publishes a page, Arequipa does not; both are in the network. Lima's page is protected
    # alone, the network page is summed from the members' pages, and an exact attacker reading both
    # pages at once narrows none of Lima's small numbers.
    from amparo.insights.selectors import facts_from_aggregates
    from amparo.insights.tests.test_joint_pages import assert_pages_reveal_no_small_number

    services.sharing_update(organisation=network.other_org, acting_user=network.bruno, level=SharingLevel.AGGREGATES, public_page=False)
    services.summaries_publish()
    lima = client.get("/estadisticas/publico/lima/").context["summary"]
    net = client.get("/estadisticas/publico/red/").context["summary"]
    shown_lima = {d["code"]: d["cell"] for d in lima["departments"]}
    shown_net = {d["code"]: d["cell"] for d in net["departments"]}
    # Callao (2, only Lima's) is "<5" on Lima's page, and the network can only say "1–4".
    assert shown_lima["07"]["display"] == "<5" and shown_net["07"]["display"] == "1–4"
    facts = {o.pk: facts_from_aggregates([o.pk]) for o in (network.org, network.other_org)}
    assert_pages_reveal_no_small_number(facts, {network.org.pk})


def test_refresh_command_rebuilds_everything(lima_data, client):
    from io import StringIO

    from django.core.management import call_command

    services.sharing_update(organisation=lima_data.org, acting_user=lima_data.alicia, level=SharingLevel.RECORDS, public_page=True)
    out = StringIO()
    call_command("insights_refresh", "--dry-run", stdout=out)
    assert "would rebuild Colectiva Lima" in out.getvalue()
    assert not PublishedSummary.objects.filter(scope=f"org:{lima_data.org.pk}").exists()
    call_command("insights_refresh", stdout=StringIO())
    assert client.get("/estadisticas/publico/lima/").status_code == 200


def test_public_page_is_light_enough_for_a_phone_on_3g(personas, client):
    from datetime import date

    seed(personas.org, personas.carla, 300, start=date(2021, 1, 1))
    seed(personas.org, personas.carla, 50, district="040101")
    publish(personas.org, personas.alicia)
    r = client.get("/estadisticas/publico/lima/")
    # Five years of months, the map and five bar charts with their tables, and no scripts.
    assert len(r.content) < 100_000
    assert b"<script" not in r.content


# --- Response figures on the dashboard ---------------------------------------------------------------


def test_dashboard_shows_referrals_cases_and_response_times(personas, client):
    from datetime import date, timedelta

    from django.utils import timezone

    from amparo.response.models import CaseRoute, LegalCase, Referral

    now = timezone.now()
    who = make_person(personas.org, personas.carla)
    them = make_person(personas.other_org, personas.bruno, code_name="Luz")
    for i in range(12):
        Referral.objects.create(organisation=personas.org, created_by=personas.carla, lawyer=personas.lucia, person=who, shares_identifying_data=False, status="completed", sent_at=now - timedelta(days=10), answered_at=now - timedelta(days=10 - i), completed_at=now)
    Referral.objects.create(organisation=personas.other_org, created_by=personas.bruno, lawyer=personas.lucia, person=them, shares_identifying_data=False, status="declined")  # Arequipa's: never counted here
    Referral.objects.create(organisation=personas.org, created_by=personas.carla, lawyer=personas.lucia, person=who, shares_identifying_data=False, status="declined")
    case = LegalCase.objects.create(organisation=personas.org, reference="C-1", opened_on=date(2024, 1, 1), created_by=personas.carla, lawyer=personas.lucia, status="closed", outcome="conviction")
    CaseRoute.objects.create(organisation=personas.org, case=case, route="protection", stage="filed", started_on=date(2024, 1, 2), stage_changed_at=now, requested_at=now - timedelta(hours=96), decided_at=now)
    client.cookies.load({"amparo_lang": "en"})
    login(client, personas.carla)
    response = client.get("/estadisticas/").context["response"]
    referrals = next(t for t in response["tables"] if t["title"] == "Referrals by status")
    assert dict(referrals["rows"]) == {"Completed": "12", "Declined": "1"} and referrals["total"] == "13"
    assert response["times"][0][1] == "5.5 days (median of 12)"
    login(client, personas.ana)
    response = client.get("/estadisticas/").context["response"]
    referrals = next(t for t in response["tables"] if t["title"] == "Referrals by status")
    assert dict(referrals["rows"])["Declined"] == "<5"
    # One case: the analyst sees no median that would describe it.
    assert response["times"][2][1] == "fewer than 5 cases"
