"""Coordinators triage reports: accept, merge, spam, reply; each step audited; others kept out.

Carla (coordinator) and Alicia (admin) triage Lima's queue. Dora (documenter), Lucía (lawyer)
and Ana (analyst) do not. Bruno coordinates Arequipa: Lima's reports are a 404 for him.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from amparo.audit.models import AuditEvent
from amparo.evidence.models import EvidenceFile
from amparo.intake.models import FormSettings, Report
from amparo.intake.selectors import duplicate_candidates, reports_waiting_count
from amparo.intake.tests.helpers import NARRATIVE, jpeg_with_gps, submit
from amparo.records.models import Incident, IncidentOrigin
from conftest import login, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(personas, client):
    assert submit(client, files=[SimpleUploadedFile("a.jpg", jpeg_with_gps())]).status_code == 201
    return Report.objects.get()


def test_it_requires_login(personas, client, report):
    r = client.get("/triaje/")
    assert r.status_code == 302 and "/cuenta/" in r["Location"]


@pytest.mark.parametrize("who", ["dora", "lucia", "ana"])
def test_roles_that_do_not_triage_are_refused(personas, client, report, who):
    login(client, getattr(personas, who))
    assert client.get("/triaje/").status_code == 403
    assert client.get(f"/triaje/{report.pk}/").status_code == 403
    assert client.post(f"/triaje/{report.pk}/spam/").status_code == 403
    assert Report.objects.get().status == Report.Status.NEW


def test_it_hides_other_organisations_reports(personas, client, report):
    login(client, personas.bruno)
    assert client.get(f"/triaje/{report.pk}/").status_code == 404
    assert client.post(f"/triaje/{report.pk}/spam/").status_code == 404
    assert NARRATIVE not in client.get("/triaje/").content.decode()
    assert Report.objects.get().status == Report.Status.NEW


def test_the_queue_lists_waiting_reports_and_the_count(personas, client, report):
    login(client, personas.carla)
    r = client.get("/triaje/")
    assert r.status_code == 200
    assert report.reference in r.content.decode() and "1 reporte en espera" in r.content.decode()
    assert reports_waiting_count(membership=personas.membership(personas.carla)) == 1
    assert reports_waiting_count(membership=personas.membership(personas.alicia)) == 1
    assert reports_waiting_count(membership=personas.membership(personas.dora)) == 0
    assert reports_waiting_count(membership=personas.membership(personas.bruno, personas.other_org)) == 0


def test_reading_a_report_is_audited(personas, client, report):
    login(client, personas.carla)
    r = client.get(f"/triaje/{report.pk}/")
    assert r.status_code == 200 and NARRATIVE in r.content.decode()
    event = AuditEvent.objects.get(action="intake.report.viewed")
    assert event.actor_id == personas.carla.pk and "narrative" in event.fields


def test_accepting_makes_an_incident_with_a_person_and_the_files(personas, client, report):
    login(client, personas.carla)
    r = client.post(f"/triaje/{report.pk}/aceptar/", {"code_name": "Colibrí"})
    report.refresh_from_db()
    assert report.status == Report.Status.ACCEPTED and report.triaged_by == personas.carla
    incident = report.incident
    assert r.status_code == 302 and r["Location"] == f"/incidentes/{incident.pk}/"
    assert incident.origin == IncidentOrigin.ANONYMOUS_REPORT
    assert incident.narrative == NARRATIVE
    assert incident.district_id == "150122" and incident.occurred_on == datetime.date(2025, 3, 14)
    assert set(incident.violations.values_list("code", flat=True)) == {"physical_assault", "confiscation"}
    assert list(incident.perpetrator_types.values_list("code", flat=True)) == ["serenazgo"]
    assert incident.consent_store and incident.consent_share_stats and incident.consent_contact
    assert incident.contact_preference == "Signal +51 999 111 222, de noche"
    assert [p.code_name for p in incident.people.all()] == ["Colibrí"]
    assert EvidenceFile.objects.get().incident == incident
    assert AuditEvent.objects.filter(action="intake.report.accepted", actor_id=personas.carla.pk).exists()
    assert reports_waiting_count(membership=personas.membership(personas.carla)) == 0


def test_a_report_cannot_be_triaged_twice(personas, client, report):
    login(client, personas.carla)
    client.post(f"/triaje/{report.pk}/aceptar/", {"code_name": ""})
    r = client.post(f"/triaje/{report.pk}/spam/", {"confirm": "1"})
    assert r.status_code == 409 and "web/action_refused.html" in [t.name for t in r.templates]
    assert Report.objects.get().status == Report.Status.ACCEPTED
    assert Incident.objects.count() == 1


def test_merging_adds_the_report_to_an_existing_incident(personas, client, report):
    incident = make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 13), district="150122", violation_codes=["physical_assault"])
    login(client, personas.carla)
    page = client.get(f"/triaje/{report.pk}/").content.decode()
    assert incident.reference in page  # suggested as a likely duplicate
    r = client.post(f"/triaje/{report.pk}/unir/", {"incident": incident.reference.lower()})
    assert r.status_code == 200 and incident.reference in r.content.decode()  # the confirmation step
    assert Report.objects.get().status == Report.Status.NEW
    r = client.post(f"/triaje/{report.pk}/unir/", {"incident": incident.pk, "confirm": "1"})
    assert r.status_code == 302
    report.refresh_from_db()
    incident.refresh_from_db()
    assert report.status == Report.Status.MERGED and report.incident == incident
    assert NARRATIVE in incident.narrative and "Nos detuvieron sin motivo" in incident.narrative
    assert {"physical_assault", "confiscation"} == set(incident.violations.values_list("code", flat=True))
    assert EvidenceFile.objects.get().incident == incident
    assert AuditEvent.objects.filter(action="intake.report.merged").exists()


def test_it_cannot_merge_into_another_organisations_incident(personas, client, report):
    theirs = make_incident(personas.other_org, personas.bruno, district="040101")
    login(client, personas.carla)
    assert client.post(f"/triaje/{report.pk}/unir/", {"incident": theirs.pk, "confirm": "1"}).status_code == 400
    r = client.post(f"/triaje/{report.pk}/unir/", {"incident": theirs.reference, "confirm": "1"})
    assert r.status_code == 400 and "Ningún incidente de su organización" in r.content.decode()
    assert Report.objects.get().status == Report.Status.NEW


def test_bad_merge_input_is_answered_clearly(personas, client, report):
    login(client, personas.carla)
    r = client.post(f"/triaje/{report.pk}/unir/", {"incident": "", "confirm": "1"})
    assert r.status_code == 400 and "Elija el incidente" in r.content.decode()
    assert Report.objects.get().status == Report.Status.NEW


def test_duplicates_are_suggested_among_reports_and_incidents(personas, client, report):
    submit(client, occurred_on="2025-03-15", narrative="Otra compañera cuenta lo mismo")
    submit(client, occurred_on="2024-01-01", narrative="Otra cosa", violations=["threat"], district="")
    make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 14), district="150122", violation_codes=["physical_assault"])
    make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 14), district="040101", violation_codes=["eviction"])
    found = duplicate_candidates(membership=personas.membership(personas.carla), report=report)
    kinds = sorted(c.kind for c in found)
    assert kinds == ["incident", "report"]
    assert all("mismo distrito" in c.reasons or "same district" in c.reasons for c in found)


def test_spam_asks_for_confirmation_then_keeps_the_content_sealed_until_the_purge(personas, client, report):
    login(client, personas.alicia)
    assert client.get(f"/triaje/{report.pk}/spam/").status_code == 200
    assert client.post(f"/triaje/{report.pk}/spam/").status_code == 200  # no confirmation: only asks
    assert Report.objects.get().status == Report.Status.NEW
    assert client.post(f"/triaje/{report.pk}/spam/", {"confirm": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.SPAM and report.narrative == NARRATIVE
    assert EvidenceFile.objects.get().deleted_at is None
    assert AuditEvent.objects.filter(action="intake.report.spam", actor_id=personas.alicia.pk).exists()
    page = client.get(f"/triaje/{report.pk}/").content.decode()
    assert NARRATIVE not in page and f"/triaje/{report.pk}/deshacer/" in page
    assert client.get(f"/triaje/{report.pk}/archivos/{report.files.get().pk}/").status_code == 404


def test_replying_is_audited_and_empty_replies_refused(personas, client, report):
    login(client, personas.carla)
    client.post(f"/triaje/{report.pk}/responder/", {"body": ""})
    assert not report.messages.exists()
    client.post(f"/triaje/{report.pk}/responder/", {"body": "Te escribimos pronto."})
    assert report.messages.get().body == "Te escribimos pronto."
    assert AuditEvent.objects.filter(action="intake.report.replied").exists()


def test_actions_reject_get(personas, client, report):
    login(client, personas.carla)
    for action in ("aceptar", "unir", "deshacer", "responder"):
        assert client.get(f"/triaje/{report.pk}/{action}/").status_code == 405


def test_coordinators_download_files_and_it_is_in_the_custody_log(personas, client, report):
    from amparo.evidence.models import CustodyEvent

    link = report.files.get()
    login(client, personas.carla)
    r = client.get(f"/triaje/{report.pk}/archivos/{link.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert b"PhoneMaker" not in r.content
    assert CustodyEvent.objects.filter(evidence=link.evidence, action="downloaded", actor=personas.carla).exists()
    login(client, personas.bruno)
    assert client.get(f"/triaje/{report.pk}/archivos/{link.pk}/").status_code == 404


def test_the_form_settings_close_the_form_and_set_the_poster_message(personas, client):
    login(client, personas.carla)
    r = client.post("/triaje/formulario/", {"poster_message": "¿Te pasó algo? Escríbenos."})
    assert r.status_code == 302
    settings = FormSettings.objects.get(organisation=personas.org)
    assert not settings.is_open and settings.poster_message == "¿Te pasó algo? Escríbenos."
    assert AuditEvent.objects.filter(action="intake.settings.updated").exists()
    assert "¿Te pasó algo? Escríbenos." in client.get("/triaje/formulario/afiche/").content.decode()


def test_qr_codes_and_posters(personas, client):
    login(client, personas.carla)
    png = client.get("/triaje/formulario/qr.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = client.get("/triaje/formulario/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert client.get("/triaje/formulario/qr.gif").status_code == 404
    for size in ("a4", "a5"):
        page = client.get(f"/triaje/formulario/afiche/?size={size}")
        assert page.status_code == 200 and "<svg" in page.content.decode() and "/r/lima/" in page.content.decode()
        pdf = client.get(f"/triaje/formulario/afiche.pdf?size={size}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    login(client, personas.dora)
    assert client.get("/triaje/formulario/qr.png").status_code == 403


def test_the_qr_code_points_to_the_public_form(personas, client):
    from amparo.intake import poster

    assert poster.public_url(personas.org).endswith("/r/lima/")
    code = poster._qr(personas.org)
    assert code.designator.split("-")[1] in ("M", "Q", "H")  # at least M; segno boosts when free


def test_triage_pages_render_in_english(personas, client, report):
    login(client, personas.carla)
    client.cookies["amparo_lang"] = "en"
    assert "Reports to triage" in client.get("/triaje/").content.decode()
    page = client.get(f"/triaje/{report.pk}/").content.decode()
    assert "Possible duplicates" in page and "Accept as a new incident" in page
    assert "Public report form" in client.get("/triaje/formulario/").content.decode()


def test_the_queue_does_not_grow_its_queries_with_its_rows(personas, client, report):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, personas.carla)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/triaje/").status_code == 200
    for _ in range(4):
        submit(client)
    login(client, personas.carla)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/triaje/").status_code == 200
    assert len(many) == len(few)


def test_settings_and_posters_are_for_triage_roles_only(personas, client):
    login(client, personas.dora)
    assert client.get("/triaje/formulario/").status_code == 403
    assert client.post("/triaje/formulario/", {"poster_message": "x", "is_open": "on"}).status_code == 403
    assert client.get("/triaje/formulario/afiche/").status_code == 403
    assert client.get("/triaje/formulario/afiche.pdf").status_code == 403
    assert not FormSettings.objects.exists()
