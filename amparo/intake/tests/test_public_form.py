"""The public report form: tiny, anonymous, Spanish first, and strict with what it accepts."""

from __future__ import annotations

import io
import logging
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from amparo.audit.models import AuditEvent
from amparo.intake import abuse, conf
from amparo.intake.lib import formtoken
from amparo.intake.models import FormSettings, Report
from amparo.intake.tests.helpers import (
    NARRATIVE,
    form_data,
    jpeg_with_gps,
    page_fields,
    receipt_of,
    solve,
    submit,
)

pytestmark = pytest.mark.django_db


def test_it_shows_the_form_in_spanish_by_default(personas, client):
    r = client.get("/r/lima/")
    assert r.status_code == 200
    text = r.content.decode()
    assert 'lang="es"' in text and "Cuéntenos qué pasó" in text
    # Plain words for what happened; the shared vocabulary's codes underneath.
    assert "Golpes u otra agresión física" in text and 'value="physical_assault"' in text and "Serenazgo" in text


def test_it_switches_to_english_without_a_cookie(personas, client):
    r = client.get("/r/lima/?lang=en")
    assert 'lang="en"' in r.content.decode() and "Tell us what happened" in r.content.decode()
    assert not r.cookies


def test_public_pages_set_no_cookie_and_are_not_cached(personas, client):
    for url in ("/r/lima/", "/r/lima/seguimiento/"):
        r = client.get(url)
        assert not r.cookies, url
        assert "no-store" in r["Cache-Control"]
    r = submit(client)
    assert r.status_code == 201
    assert not r.cookies
    assert "no-store" in r["Cache-Control"]


def test_every_public_page_has_a_quick_exit_that_works_without_javascript(personas, client):
    for url in ("/r/lima/", "/r/lima/seguimiento/"):
        text = client.get(url).content.decode()
        assert f'<a id="qx" href="{conf.QUICK_EXIT_URL.replace("&", "&amp;")}" rel="noreferrer">' in text


def test_the_page_loads_nothing_from_a_third_party(personas, client):
    text = client.get("/r/lima/").content.decode()
    for attribute in re.findall(r'(?:src|href)="([^"]+)"', text):
        if attribute == conf.QUICK_EXIT_URL.replace("&", "&amp;"):
            continue  # a link the person may follow, not a request the page makes
        assert attribute.startswith(("/", "?", "data:")), attribute


def test_an_unknown_organisation_is_not_found_and_sets_no_cookie(personas, client):
    r = client.get("/r/nadie/")
    assert r.status_code == 404 and not r.cookies
    assert "no lleva a ningún formulario" in r.content.decode() and 'id="qx"' in r.content.decode()
    assert client.post("/r/nadie/", {"narrative": "x"}).status_code == 404


def test_it_receives_a_report_and_gives_a_receipt(personas, client):
    r = submit(client)
    assert r.status_code == 201
    code, phrase = receipt_of(r)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert len(phrase.split()) == conf.PASSPHRASE_WORDS
    report = Report.objects.get()
    assert report.organisation == personas.org
    assert report.status == Report.Status.NEW
    assert report.channel == Report.Channel.WEB
    assert report.narrative == NARRATIVE
    assert report.district_id == "150122"
    assert report.violation_codes == ["physical_assault", "confiscation"]
    assert report.consent_store and report.consent_help and not report.consent_legal_action
    assert code.replace("-", "") not in report.receipt_index
    assert phrase not in report.passphrase_hash
    event = AuditEvent.objects.get(action="intake.report.received")
    assert event.actor_id is None and event.organisation_id == personas.org.pk
    assert NARRATIVE not in str(event.detail)


def test_the_narrative_and_contact_are_not_readable_in_a_raw_dump(personas, client):
    submit(client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative, contact FROM intake_report")
        narrative, contact = cursor.fetchone()
    assert narrative.startswith("v1.") and contact.startswith("v1.")
    dump = _raw_dump()
    for secret in ("serenos nos quitaron", "Kennedy", "999 111 222", "Signal +51"):
        assert secret not in dump


def _raw_dump() -> str:
    """Every value of every table, as a database dump would show it."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def test_no_address_or_user_agent_is_kept_in_the_database_or_logs(personas, client, caplog):
    caplog.set_level(logging.DEBUG)
    page = client.get("/r/lima/", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="TestPhone-UA-7781")
    token, challenge = page_fields(page.content)
    r = client.post(
        "/r/lima/", form_data(token=token, pow=solve(challenge)),
        REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="TestPhone-UA-7781", HTTP_X_FORWARDED_FOR="198.51.100.23",
    )
    assert r.status_code == 201
    dump = _raw_dump()
    for trace in ("203.0.113.77", "198.51.100.23", "TestPhone-UA-7781"):
        assert trace not in dump
        assert trace not in caplog.text
    assert NARRATIVE not in caplog.text


def test_without_javascript_it_asks_to_wait_then_accepts(personas, client):
    page = client.get("/r/lima/")
    token, _challenge = page_fields(page.content)
    r = client.post("/r/lima/", form_data(token=token, pow=""))
    assert r.status_code == 429
    assert "espere" in r.content.decode()
    assert Report.objects.count() == 0
    # The form kept what was written, and the same token.
    assert NARRATIVE in r.content.decode() and token in r.content.decode()
    old = formtoken.issue(key=abuse._secret("form").hex(), scope=f"o{personas.org.pk}", now=time.time() - conf.NOJS_MIN_SECONDS - 1)
    r = client.post("/r/lima/", form_data(token=old, pow=""))
    assert r.status_code == 201
    assert Report.objects.get().channel == Report.Channel.WEB_NOJS


def test_a_solved_challenge_cannot_be_used_twice(personas, client):
    page = client.get("/r/lima/")
    token, challenge = page_fields(page.content)
    solution = solve(challenge)
    assert client.post("/r/lima/", form_data(token=token, pow=solution)).status_code == 201
    other_token, _ = page_fields(client.get("/r/lima/").content)
    again = client.post("/r/lima/", form_data(token=other_token, pow=solution))
    assert again.status_code == 409
    assert "ya fue enviado" in again.content.decode()
    assert Report.objects.count() == 1


def test_a_forged_challenge_is_refused(personas, client):
    page = client.get("/r/lima/")
    token, challenge = page_fields(page.content)
    challenge["signature"] = "0" * 64
    r = client.post("/r/lima/", form_data(token=token, pow=solve(challenge)))
    assert r.status_code == 400
    assert Report.objects.count() == 0


def test_a_challenge_for_another_organisation_is_refused(personas, client):
    _token, challenge = page_fields(client.get("/r/arequipa/").content)
    token, _ = page_fields(client.get("/r/lima/").content)
    r = client.post("/r/lima/", form_data(token=token, pow=solve(challenge)))
    assert r.status_code == 400
    assert Report.objects.count() == 0


def test_it_limits_how_many_reports_arrive_per_window(personas, client, monkeypatch):
    monkeypatch.setattr(conf, "RATE_REPORTS_WITH_POW", 2)
    assert submit(client).status_code == 201
    assert submit(client).status_code == 201
    r = submit(client)
    assert r.status_code == 429
    assert Report.objects.count() == 2
    # Another organisation has its own budget.
    assert submit(client, "arequipa", department="04", district="").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"violations": None}, "Elija al menos una cosa que pasó."),
        ({"narrative": ""}, "Cuéntenos en pocas palabras qué pasó."),
        ({"reporter": None}, "Díganos si le pasó a usted o a otra persona."),
        ({"consent_store": None}, "Sin este permiso"),
        ({"violations": ["not_a_code"]}, "not_a_code"),
        ({"occurred_on": "2099-01-01"}, "futuro"),
        ({"occurred_on": "14/03/20255"}, "fecha válida"),
        ({"district": "Gotham"}, "No conocemos este distrito"),
        ({"narrative": "x" * 9000}, "8000"),
        ({"narrative": "texto con \x00 nulo"}, "no se pudieron leer"),
        ({"contact": "tel\x07 999"}, "no se pudieron leer"),
        ({"website": "http://spam.example"}, "revise los campos"),
    ],
)
def test_bad_input_is_answered_clearly_and_nothing_is_saved(personas, client, overrides, field_error):
    r = submit(client, **overrides)
    assert r.status_code == 400
    assert field_error in r.content.decode()
    assert Report.objects.count() == 0


def test_a_district_name_shared_by_two_provinces_asks_which_one(personas, client):
    r = submit(client, district="miraflores")
    assert r.status_code == 400
    text = r.content.decode()
    assert "Miraflores (Lima)" in text and "Miraflores (Yauyos)" in text
    # What was chosen stays chosen.
    assert 'value="physical_assault" checked' in text and 'value="15" selected' in text
    assert submit(client, district="Miraflores (Yauyos)").status_code == 201
    assert Report.objects.get().district_id == "151021"


def test_prefer_not_to_say_keeps_no_place(personas, client):
    assert submit(client, department="none", district="").status_code == 201
    report = Report.objects.get()
    assert report.location_withheld and report.department_code == "" and report.district is None


def test_broken_encoding_is_refused(personas, client):
    page = client.get("/r/lima/")
    token, challenge = page_fields(page.content)
    body = "&".join(
        f"{k}={v}" for k, v in {
            "token": token, "pow": solve(challenge), "violations": "threat", "reporter": "victim",
            "consent_store": "on", "lang": "es",
        }.items()
    ).encode() + b"&narrative=Hola%FF%FEmundo"
    r = client.generic("POST", "/r/lima/", body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert "no se pudieron leer" in r.content.decode()
    assert Report.objects.count() == 0


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_saved(personas, client):
    program = SimpleUploadedFile("foto.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    r = submit(client, files=[program])
    assert r.status_code == 400
    assert "no se acepta" in r.content.decode()
    assert Report.objects.count() == 0


def test_an_oversized_file_is_refused_and_nothing_is_saved(personas, client, monkeypatch):
    monkeypatch.setattr(conf, "MAX_FILE_BYTES", 1024 * 1024)
    big = SimpleUploadedFile("audio.mp3", b"ID3" + b"\x00" * (1024 * 1024 + 10), content_type="audio/mpeg")
    r = submit(client, files=[big])
    assert r.status_code == 400
    assert "demasiado grande" in r.content.decode()
    assert Report.objects.count() == 0


def test_a_request_larger_than_any_allowed_submission_is_refused_before_reading(personas, client, monkeypatch):
    monkeypatch.setattr(conf, "MAX_FILE_BYTES", 100 * 1024)
    monkeypatch.setattr(conf, "MAX_FILES", 1)
    huge = SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * (700 * 1024))
    r = submit(client, files=[huge])
    assert r.status_code == 413
    assert Report.objects.count() == 0


def test_photo_metadata_is_removed_and_the_original_fingerprint_kept(personas, client):
    import hashlib

    from PIL import Image

    from amparo.evidence.services import evidence_check

    original = jpeg_with_gps()
    assert b"PhoneMaker" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    r = submit(client, files=[SimpleUploadedFile("IMG_2025.jpg", original, content_type="image/jpeg")])
    assert r.status_code == 201
    link = Report.objects.get().files.select_related("evidence").get()
    evidence = link.evidence
    assert evidence.sha256_original == hashlib.sha256(original).hexdigest()
    assert evidence.metadata_stripped and evidence.source == "report"
    stored = evidence_check(evidence=evidence)
    image = Image.open(io.BytesIO(stored))
    exif = image.getexif()
    assert not exif.get_ifd(0x8825), "GPS data survived"
    assert 0x010F not in exif and 0x0110 not in exif
    assert b"PhoneMaker" not in stored and b"Model X-123" not in stored
    assert image.size == (64, 48)


def test_a_closed_form_says_so(personas, client):
    FormSettings.objects.create(organisation=personas.org, is_open=False)
    assert "no está recibiendo" in client.get("/r/lima/").content.decode()
    assert submit(client, "arequipa", department="04", district="").status_code == 201


def test_the_receipt_page_offers_no_language_switch_that_would_lose_it(personas, client):
    r = submit(client)
    assert "hreflang" not in r.content.decode()
    assert "hreflang" in client.get("/r/lima/").content.decode()


def test_the_whole_flow_renders_in_english(personas, client):
    r = submit(client, lang="en")
    assert r.status_code == 201
    assert "Your report has arrived" in r.content.decode() and 'lang="en"' in r.content.decode()
    assert Report.objects.get().language == "en"
    assert "Follow up your report" in client.get("/r/lima/seguimiento/?lang=en").content.decode()


def test_a_double_tap_shows_the_same_receipt_again_and_saves_one_report(personas, client):
    page = client.get("/r/lima/")
    token, challenge = page_fields(page.content)
    data = form_data(token=token, pow=solve(challenge))
    first = client.post("/r/lima/", data)
    second = client.post("/r/lima/", data)
    assert first.status_code == 201 and second.status_code == 200
    assert receipt_of(first) == receipt_of(second)
    assert Report.objects.count() == 1
    # What is kept for this holds neither the code nor the passphrase in clear.
    code, phrase = receipt_of(first)
    dump = _raw_dump()
    assert code not in dump and phrase not in dump


def test_expired_proofs_counters_and_receipts_are_forgotten(personas, client):
    import datetime

    from django.utils import timezone

    from amparo.intake.models import RateCounter, RecentReceipt, SpentToken
    from amparo.intake.tasks import intake_forget_expired

    submit(client)
    assert SpentToken.objects.exists() and RateCounter.objects.exists() and RecentReceipt.objects.exists()
    past = timezone.now() - datetime.timedelta(seconds=1)
    for model in (RateCounter, SpentToken, RecentReceipt):
        model.objects.update(expires_at=past)
    intake_forget_expired.call_local()
    assert not (SpentToken.objects.exists() or RateCounter.objects.exists() or RecentReceipt.objects.exists())


def test_replays_do_not_use_up_the_organisations_budget(personas, client, monkeypatch):
    monkeypatch.setattr(conf, "RATE_REPORTS_WITH_POW", 2)
    page = client.get("/r/lima/")
    token, challenge = page_fields(page.content)
    solution = solve(challenge)
    assert client.post("/r/lima/", form_data(token=token, pow=solution)).status_code == 201
    for _ in range(3):
        other, _ = page_fields(client.get("/r/lima/").content)
        assert client.post("/r/lima/", form_data(token=other, pow=solution)).status_code == 409
    assert submit(client).status_code == 201


