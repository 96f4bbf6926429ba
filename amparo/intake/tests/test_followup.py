"""Coming back with the receipt code and passphrase: read replies, add information, withdraw."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from amparo.audit.models import AuditEvent
from amparo.evidence.models import EvidenceFile
from amparo.evidence.tests.fixtures import tiny_pdf
from amparo.intake import conf, services
from amparo.intake.models import Report, ReportMessage
from amparo.intake.tests.helpers import jpeg_with_gps, receipt_of, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(personas, client):
    r = submit(client, files=[SimpleUploadedFile("a.jpg", jpeg_with_gps())])
    code, phrase = receipt_of(r)
    return Report.objects.get(), code, phrase


def _open(client, code, phrase, slug="lima"):
    return client.post(f"/r/{slug}/seguimiento/", {"receipt": code, "passphrase": phrase, "lang": "es"})


def _token(response) -> str:
    import re

    return re.search(r'name="t" value="([^"]+)"', response.content.decode()).group(1)


def test_the_reporter_reads_the_organisations_reply(personas, client, sent):
    report, code, phrase = sent
    services.report_reply(report=report, acting_user=personas.carla, body="Hola, te llamaremos el lunes por la tarde.")
    r = _open(client, code, phrase)
    assert r.status_code == 200
    text = r.content.decode()
    assert "te llamaremos el lunes" in text
    assert "Recibido, esperando lectura" in text
    assert not r.cookies and "no-store" in r["Cache-Control"]


def test_the_passphrase_is_forgiving_about_case_accents_and_spaces(personas, client, sent):
    _report, code, phrase = sent
    assert _open(client, code.lower().replace("-", " "), "  " + phrase.upper().replace(" ", "-") + " ").status_code == 200


def test_a_wrong_passphrase_or_code_is_refused_without_saying_which(personas, client, sent):
    _report, code, _phrase = sent
    wrong_phrase = _open(client, code, "sol luna mar")
    wrong_code = _open(client, "AAAA-BBBB-CCCC", "sol luna mar")
    assert wrong_phrase.status_code == wrong_code.status_code == 403
    assert "no es correcto" in wrong_phrase.content.decode()
    assert "no es correcto" in wrong_code.content.decode()


def test_a_receipt_does_not_open_another_organisations_form(personas, client, sent):
    _report, code, phrase = sent
    assert _open(client, code, phrase, slug="arequipa").status_code == 403


def test_wrong_passphrases_slow_further_tries(personas, client, sent):
    report, code, phrase = sent
    for _ in range(conf.FOLLOWUP_FREE_FAILURES - 1):
        assert _open(client, code, "mal mal mal").status_code == 403
    locked = _open(client, code, "mal mal mal")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == conf.FOLLOWUP_FIRST_DELAY_SECONDS
    # Even the right passphrase waits: guessing costs time, not just tries.
    assert _open(client, code, phrase).status_code == 429
    report.refresh_from_db()
    assert report.failed_attempts == conf.FOLLOWUP_FREE_FAILURES
    # Once the wait is over, the next wrong try doubles it.
    Report.objects.filter(pk=report.pk).update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    again = _open(client, code, "mal mal mal")
    assert again.status_code == 429 and int(again["Retry-After"]) == 2 * conf.FOLLOWUP_FIRST_DELAY_SECONDS
    Report.objects.filter(pk=report.pk).update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    assert _open(client, code, phrase).status_code == 200
    report.refresh_from_db()
    assert report.failed_attempts == 0 and report.locked_until is None


def test_guessing_receipt_codes_is_throttled_per_organisation(personas, client, sent, monkeypatch):
    _report, code, phrase = sent
    monkeypatch.setattr(conf, "RATE_FOLLOWUP_FAILURES", 3)
    for i in range(3):
        assert _open(client, f"AAAA-BBBB-CCC{i}", "x y z").status_code == 403
    assert _open(client, code, phrase).status_code == 429


def test_the_reporter_adds_information_and_a_file(personas, client, sent):
    report, code, phrase = sent
    page = _open(client, code, phrase)
    r = client.post(
        "/r/lima/seguimiento/agregar/",
        {"t": _token(page), "text": "Eran tres serenos, uno con casaca azul.", "files": SimpleUploadedFile("doc.pdf", tiny_pdf("test")), "lang": "es"},
    )
    assert r.status_code == 200
    assert "Su información fue agregada" in r.content.decode()
    message = ReportMessage.objects.get(author_kind=ReportMessage.Author.REPORTER)
    assert message.body == "Eran tres serenos, uno con casaca azul."
    assert report.files.count() == 2
    assert AuditEvent.objects.filter(action="intake.report.information_added", actor_id=None).exists()


def test_adding_nothing_or_a_bad_file_is_refused(personas, client, sent):
    report, code, phrase = sent
    token = _token(_open(client, code, phrase))
    assert client.post("/r/lima/seguimiento/agregar/", {"t": token, "text": ""}).status_code == 400
    bad = client.post("/r/lima/seguimiento/agregar/", {"t": token, "text": "x", "files": SimpleUploadedFile("x.exe", b"MZ\x90\x00")})
    assert bad.status_code == 400
    assert ReportMessage.objects.count() == 0 and report.files.count() == 1


def test_a_forged_or_foreign_page_token_is_refused(personas, client, sent):
    _report, code, phrase = sent
    token = _token(_open(client, code, phrase))
    assert client.post("/r/lima/seguimiento/agregar/", {"t": token + "x", "text": "hola"}).status_code == 403
    assert client.post("/r/arequipa/seguimiento/agregar/", {"t": token, "text": "hola"}).status_code == 403
    assert ReportMessage.objects.count() == 0


def test_withdrawal_needs_confirmation_then_deletes_the_content(personas, client, sent):
    report, code, phrase = sent
    services.report_reply(report=report, acting_user=personas.carla, body="Respuesta")
    token = _token(_open(client, code, phrase))
    assert client.post("/r/lima/seguimiento/retirar/", {"t": token}).status_code == 400
    r = client.post("/r/lima/seguimiento/retirar/", {"t": token, "confirm": "on"})
    assert r.status_code == 200
    assert "contenido borrado" in r.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.WITHDRAWN
    assert report.narrative == "" and report.contact == ""
    assert not report.messages.exists() and not report.files.exists()
    evidence = EvidenceFile.objects.get()
    assert evidence.deleted_at is not None
    assert AuditEvent.objects.filter(action="intake.report.withdrawn").exists()
    # Coming back later shows only that it was withdrawn.
    assert "Usted retiró este reporte" in _open(client, code, phrase).content.decode()


def test_the_follow_up_page_only_accepts_post_for_changes(personas, client):
    assert client.get("/r/lima/seguimiento/agregar/").status_code == 405
    assert client.get("/r/lima/seguimiento/retirar/").status_code == 405


def test_empty_follow_up_form_is_answered_clearly(personas, client):
    r = client.post("/r/lima/seguimiento/", {"receipt": "", "passphrase": ""})
    assert r.status_code == 400
    assert "Ingrese su código de recibo" in r.content.decode()
