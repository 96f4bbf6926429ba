"""The OpenRosa server end to end, driven the way ODK Collect drives it.

Alicia (admin, Lima) sets up a phone for Dora (documenter, Lima). The phone signs in with
HTTP Digest, downloads the repository's forms, and sends real XForm submissions — plain and
encrypted, with photos — in Collect's multipart shape. Bruno (Arequipa) has nothing to do
with Lima's phones, and a phone of Lima cannot talk to Arequipa's server space.
"""

from __future__ import annotations

import functools
import io
import os
from xml.etree.ElementTree import fromstring

import pytest
from django.test import Client
from PIL import Image

from amparo.evidence.models import EvidenceFile
from amparo.openrosa import services
from amparo.openrosa.lib import collect_settings, odkcrypto
from amparo.openrosa.models import (
    Collector,
    FormSetting,
    FormVersion,
    Route,
    Submission,
    SubmissionAttachment,
    SubmissionStatus,
)
from amparo.openrosa.tests.collect import (
    DigestClient,
    encrypt_like_collect,
    fill_instance,
    multipart_like_collect,
)
from amparo.records.models import Incident, IncidentOrigin

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"


@functools.cache
def _shared_org_key():
    return odkcrypto.generate_private_key(2048)


@pytest.fixture(autouse=True)
def _quick_keys(monkeypatch):
    # One 2048-bit key for every test organisation keeps the suite quick (and lets built forms
    # be reused); production draws a fresh AMPARO_ODK_RSA_BITS (3072) key per organisation.
    monkeypatch.setattr("amparo.openrosa.services._new_rsa_key", _shared_org_key)
    services.forget_choices()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (12.0, 3.0, 0.0)
    gps[3] = "W"
    gps[4] = (77.0, 2.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


class Phone:
    """One configured phone: a Digest client over Django's test client, like Collect's OkHttp."""

    def __init__(self, issued: services.IssuedCredentials, slug: str = "lima") -> None:
        self.client = Client()
        self.digest = DigestClient(issued.username, issued.password)
        self.base = f"/odk/{slug}"

    def request(self, method: str, path: str, **extra):
        headers = {}
        if self.digest.challenge:
            headers["HTTP_AUTHORIZATION"] = self.digest.header(method, path)
        response = self.client.generic(method, path, **extra, **headers)
        if response.status_code == 401 and "WWW-Authenticate" in response:
            self.digest.remember(response["WWW-Authenticate"])
            headers["HTTP_AUTHORIZATION"] = self.digest.header(method, path)
            response = self.client.generic(method, path, **extra, **headers)
        return response

    def get(self, path: str):
        return self.request("GET", path)

    def forms(self) -> dict[str, bytes]:
        listing = self.get(f"{self.base}/formList")
        assert listing.status_code == 200, listing.content
        out = {}
        for xform in fromstring(listing.content).findall(f"{LIST_NS}xform"):
            url = xform.find(f"{LIST_NS}downloadUrl").text.replace("http://testserver", "")
            out[xform.find(f"{LIST_NS}formID").text] = self.get(url).content
        return out

    def submit(self, xml: bytes, files: list[tuple[str, bytes]] = (), *, xml_name: str = "interview.xml", incomplete: bool = False):
        head = self.request("HEAD", f"{self.base}/submission")
        assert head.status_code == 204
        body, content_type = multipart_like_collect(xml_name, xml, list(files), incomplete=incomplete)
        return self.request("POST", f"{self.base}/submission", data=body, content_type=content_type)


@pytest.fixture
def phone_setup(personas):
    collector, issued = services.collector_create(organisation=personas.org, label="Teléfono 1", owner=personas.dora, acting_user=personas.alicia)
    return collector, issued


@pytest.fixture
def phone(phone_setup):
    return Phone(phone_setup[1])


def plain_forms(org):
    for form_id in ("incident_interview", "raid_alarm", "follow_up_visit"):
        FormSetting.objects.update_or_create(organisation=org, form_id=form_id, defaults={"encrypted": False, "route": services.DEFAULT_ROUTES[form_id]})


INTERVIEW = {
    "consent_store": "yes", "consent_share_stats": "yes", "consent_legal_action": "no", "consent_contact": "no",
    "code_name": "Girasol", "gender_identity": "trans_woman", "age_band": "25_34", "nationality": "VE",
    "migrant_status": "irregular", "work_setting": "street", "is_defender": "no",
    "occurred_on": "2026-10-02", "date_precision": "day", "department": "15", "province": "1501", "district": "150132",
    "place_type": "street", "violations": "arbitrary_detention confiscation", "perpetrators": "pnp_officer",
    "perpetrator_details": "Patrullero PL-4521", "narrative": "Nos subieron al patrullero y nos quitaron los condones.",
    "people_affected": "2", "source": "peer_interview", "reliability": "high",
}


# -- authentication --------------------------------------------------------------------------


def test_it_challenges_a_phone_without_credentials_with_digest_and_openrosa_headers(personas, phone_setup):
    response = Client().get("/odk/lima/formList")
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Digest ") and 'qop="auth"' in challenge and 'domain="/odk/lima/"' in challenge
    assert response["X-OpenRosa-Version"] == "1.0" and "Date" in response


def test_it_lets_a_phone_in_with_digest_and_without_any_session(phone):
    response = phone.get("/odk/lima/formList")
    assert response.status_code == 200 and response["X-OpenRosa-Version"] == "1.0"
    assert int(response["X-OpenRosa-Accept-Content-Length"]) > 0
    assert "amparo_session" not in response.cookies and "csrftoken" not in response.cookies


def test_a_signed_in_staff_session_without_two_factor_does_not_reach_the_phone_routes(personas, phone_setup):
    client = Client()
    client.force_login(personas.dora)  # password only, no TOTP
    response = client.get("/odk/lima/formList")
    assert response.status_code == 302 and "/cuenta/" in response["Location"]


def test_a_server_configured_for_sha256_challenges_and_accepts_it(personas, phone_setup, monkeypatch):
    monkeypatch.setattr("amparo.openrosa.conf.DIGEST_ALGORITHMS", ("SHA-256",))
    phone = Phone(phone_setup[1])
    assert phone.get("/odk/lima/formList").status_code == 200
    assert phone.digest.challenge["algorithm"] == "SHA-256"


def test_it_refuses_a_wrong_password(personas, phone_setup):
    _collector, issued = phone_setup
    wrong = Phone(services.IssuedCredentials(issued.username, "not-the-password", "", "", ""))
    assert wrong.get("/odk/lima/formList").status_code == 401


def test_a_revoked_phone_is_refused_on_its_very_next_request(personas, phone_setup, phone):
    collector, _issued = phone_setup
    assert phone.get("/odk/lima/formList").status_code == 200
    services.collector_revoke(collector=collector, acting_user=personas.alicia)
    assert phone.get("/odk/lima/formList").status_code == 401
    assert phone.request("HEAD", "/odk/lima/submission").status_code == 401


def test_removing_the_responsible_members_access_cuts_off_her_phones(personas, phone):
    from amparo.accounts.services import membership_deactivate

    assert phone.get("/odk/lima/formList").status_code == 200
    membership_deactivate(membership=personas.membership(personas.dora), acting_user=personas.alicia)
    assert phone.get("/odk/lima/formList").status_code == 401


def test_reissuing_invalidates_the_old_set_up_code(personas, phone_setup, phone):
    collector, _issued = phone_setup
    assert phone.get("/odk/lima/formList").status_code == 200
    new = services.collector_reissue(collector=collector, acting_user=personas.alicia)
    assert phone.get("/odk/lima/formList").status_code == 401
    assert Phone(new).get("/odk/lima/formList").status_code == 200


def test_a_replayed_request_is_refused(phone):
    assert phone.get("/odk/lima/formList").status_code == 200
    header = phone.digest.header("GET", "/odk/lima/formList")
    assert Client().get("/odk/lima/formList", HTTP_AUTHORIZATION=header).status_code == 200
    again = Client().get("/odk/lima/formList", HTTP_AUTHORIZATION=header)
    assert again.status_code == 401 and "stale=true" in again["WWW-Authenticate"]


def test_a_lima_phone_cannot_use_arequipas_server_space(personas, phone_setup):
    _collector, issued = phone_setup
    assert Phone(issued, slug="arequipa").get("/odk/arequipa/formList").status_code == 401


def test_an_unknown_organisation_is_not_found(db):
    assert Client().get("/odk/nadie/formList").status_code == 404


# -- forms --------------------------------------------------------------------------------


def test_the_form_list_offers_the_four_forms_with_hashes_and_manifests(phone):
    listing = phone.get("/odk/lima/formList")
    root = fromstring(listing.content)
    ids = {x.find(f"{LIST_NS}formID").text for x in root.findall(f"{LIST_NS}xform")}
    assert ids == {"incident_interview", "raid_alarm", "follow_up_visit", "activity_tally"}
    for xform in root.findall(f"{LIST_NS}xform"):
        form = phone.get(xform.find(f"{LIST_NS}downloadUrl").text.replace("http://testserver", ""))
        import hashlib

        assert xform.find(f"{LIST_NS}hash").text == "md5:" + hashlib.md5(form.content).hexdigest()
        manifest_url = xform.find(f"{LIST_NS}manifestUrl")
        if xform.find(f"{LIST_NS}formID").text != "follow_up_visit":
            manifest = fromstring(phone.get(manifest_url.text.replace("http://testserver", "")).content)
            names = {m.find(f"{MANIFEST_NS}filename").text for m in manifest.findall(f"{MANIFEST_NS}mediaFile")}
            assert names == {"provinces.csv", "districts.csv"}
            media = manifest.find(f"{MANIFEST_NS}mediaFile/{MANIFEST_NS}downloadUrl").text.replace("http://testserver", "")
            assert phone.get(media).content.startswith(b"name,label,")


def test_encrypted_forms_carry_lima_key_and_formid_filters(personas, phone):
    forms = phone.forms()
    key = services.form_key_current(organisation=personas.org)
    assert key.public_key.encode() in forms["incident_interview"]
    one = fromstring(phone.get("/odk/lima/formList?formID=raid_alarm").content)
    assert [x.find(f"{LIST_NS}formID").text for x in one.findall(f"{LIST_NS}xform")] == ["raid_alarm"]


def test_publishing_twice_creates_no_new_version(personas):
    first = services.forms_publish(organisation=personas.org)
    second = services.forms_publish(organisation=personas.org)
    assert [f.pk for f in first] == [f.pk for f in second]
    assert FormVersion.objects.filter(organisation=personas.org).count() == 4


# -- submissions ----------------------------------------------------------------------------


def test_a_plain_interview_with_a_photo_becomes_an_incident_with_stripped_evidence(personas, phone):
    plain_forms(personas.org)
    xform = phone.forms()["incident_interview"]
    photo = jpeg_with_gps()
    xml, instance_id = fill_instance(xform, {**INTERVIEW, "photo_1": "1700000001.jpg"})
    response = phone.submit(xml, [("1700000001.jpg", photo)])
    assert response.status_code == 201, response.content
    assert b"OpenRosaResponse" in response.content and response["X-OpenRosa-Version"] == "1.0"
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.MAPPED and submission.collector.owner == personas.dora
    incident = submission.incident
    assert incident.origin == IncidentOrigin.FIELD_FORM and incident.created_by == personas.dora
    assert incident.district_id == "150132" and incident.people_affected == 2
    assert {t.code for t in incident.violations.all()} == {"arbitrary_detention", "confiscation"}
    assert incident.narrative.startswith("Nos subieron") and incident.people.get().code_name == "Girasol"
    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.metadata_stripped and evidence.source == "odk" and evidence.source_ref == instance_id
    import hashlib

    assert evidence.sha256_original == hashlib.sha256(photo).hexdigest()


def test_an_encrypted_interview_with_a_photo_is_decrypted_on_receipt(personas, phone):
    xform = phone.forms()["incident_interview"]
    key = services.form_key_current(organisation=personas.org)
    version = FormVersion.objects.get(organisation=personas.org, form_id="incident_interview", is_current=True).version
    xml, instance_id = fill_instance(xform, {**INTERVIEW, "photo_1": "1700000002.jpg"})
    manifest, files = encrypt_like_collect(
        public_key_b64=key.public_key, form_id="incident_interview", version=version, instance_id=instance_id,
        submission_xml=xml, media=[("1700000002.jpg", jpeg_with_gps())],
    )
    response = phone.submit(manifest, list(files.items()), xml_name="submission.xml")
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.encrypted and submission.signature_valid is True and submission.status == SubmissionStatus.MAPPED
    assert "Girasol" in submission.xml and submission.incident.narrative.startswith("Nos subieron")
    [evidence] = EvidenceFile.objects.filter(incident=submission.incident)
    assert evidence.original_name == "1700000002.jpg" and evidence.metadata_stripped
    assert not SubmissionAttachment.objects.filter(submission=submission, evidence=None).exists()


def test_a_plain_submission_is_refused_for_a_form_marked_encrypted(personas, phone):
    xform = phone.forms()["incident_interview"]
    xml, instance_id = fill_instance(xform, INTERVIEW)
    response = phone.submit(xml)
    assert response.status_code == 400 and "debe enviarse cifrado" in response.content.decode()
    assert not Submission.objects.filter(instance_id=instance_id).exists()


def test_the_phone_is_answered_in_its_language(personas, phone):
    head = phone.request("HEAD", "/odk/lima/submission")
    assert head.status_code == 204
    body, content_type = multipart_like_collect("x.xml", b"<broken", [])
    english = phone.request("POST", "/odk/lima/submission", data=body, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en")
    assert b"not well-formed" in english.content and english["Content-Language"] == "en"
    spanish = phone.request("POST", "/odk/lima/submission", data=body, content_type=content_type, HTTP_ACCEPT_LANGUAGE="es-PE")
    assert "no es XML bien formado" in spanish.content.decode()


def test_resending_the_same_instance_is_idempotent(personas, phone):
    plain_forms(personas.org)
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], INTERVIEW)
    assert phone.submit(xml).status_code == 201
    again = phone.submit(xml)
    assert again.status_code == 202
    assert Submission.objects.filter(instance_id=instance_id).count() == 1
    assert Incident.objects.filter(organisation=personas.org).count() == 1


def test_an_older_form_version_is_mapped_onto_the_current_questions(personas, phone):
    from amparo.openrosa.lib import xlsform

    plain_forms(personas.org)
    old = xlsform.build("incident_interview", choices=services.reference_choices(), schema_version="2026110101")
    answers = {**INTERVIEW}
    answers["pseudonym"] = answers.pop("code_name")
    answers["violation_types"] = answers.pop("violations")
    answers["perpetrator_types"] = answers.pop("perpetrators")
    xml, instance_id = fill_instance(old.xml, answers)
    assert phone.submit(xml).status_code == 201
    incident = Submission.objects.get(instance_id=instance_id).incident
    assert incident.people.get().code_name == "Girasol"
    assert {t.code for t in incident.violations.all()} == {"arbitrary_detention", "confiscation"}


def test_without_consent_nothing_is_recorded_but_the_phone_is_answered(personas, phone):
    plain_forms(personas.org)
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {"consent_store": "no"})
    assert phone.submit(xml).status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.DECLINED and submission.xml == "" and submission.incident is None


def test_a_raid_alarm_lands_for_triage_or_as_an_alarm_incident(personas, phone):
    plain_forms(personas.org)
    xml, instance_id = fill_instance(phone.forms()["raid_alarm"], {
        "consent_store": "yes", "occurred_on": "2026-11-20", "department": "15", "perpetrators": "pnp_officer serenazgo",
        "violations": "raid", "people_affected": "6", "people_detained": "3", "narrative": "Operativo en la cuadra 5.",
        "needs_help_now": "yes",
    })
    assert phone.submit(xml).status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.MAPPED
    if submission.incident is not None:  # the triage queue is not on this branch: the clean fallback
        assert submission.incident.origin == IncidentOrigin.ALARM and "3" in submission.incident.narrative


def test_a_fresh_raid_alarm_asking_for_help_calls_the_on_call_roster(personas, phone):
    """Urgent help from the field raises the same alarm as the button, tied to the one incident."""
    from django.utils import timezone

    from amparo.alerts.models import Alarm, AlarmSource

    plain_forms(personas.org)
    today = timezone.localdate().isoformat()
    answers = {
        "consent_store": "yes", "occurred_on": today, "department": "15", "perpetrators": "pnp_officer",
        "violations": "raid", "people_affected": "4", "people_detained": "2", "narrative": "Operativo ahora en la cuadra 5.",
    }
    xml, urgent = fill_instance(phone.forms()["raid_alarm"], {**answers, "needs_help_now": "yes"})
    assert phone.submit(xml).status_code == 201
    alarm = Alarm.objects.get()
    submission = Submission.objects.get(instance_id=urgent)
    assert alarm.source == AlarmSource.FIELD_FORM and alarm.kind == "detention" and alarm.people_count == 4
    assert alarm.incident == submission.incident and alarm.raised_by == submission.incident.created_by
    xml, calm = fill_instance(phone.forms()["raid_alarm"], {**answers, "needs_help_now": "no"})
    assert phone.submit(xml).status_code == 201
    assert Alarm.objects.count() == 1 and Submission.objects.get(instance_id=calm).incident is not None


def test_a_follow_up_visit_attaches_to_its_incident_and_an_unknown_reference_is_flagged(personas, phone):
    from conftest import make_incident

    plain_forms(personas.org)
    incident = make_incident(personas.org, personas.dora)
    xform = phone.forms()["follow_up_visit"]
    base = {"visit_date": "2026-11-21", "person_status": "safe", "needs": "legal", "legal_update": "yes_now", "notes": "Está bien."}
    xml, known = fill_instance(xform, {**base, "incident_reference": incident.reference.lower()})
    assert phone.submit(xml).status_code == 201
    incident.refresh_from_db()
    assert Submission.objects.get(instance_id=known).incident == incident and incident.consent_legal_action
    xml, unknown = fill_instance(xform, {**base, "incident_reference": "LIM-1999-99999"})
    assert phone.submit(xml).status_code == 201
    flagged = Submission.objects.get(instance_id=unknown)
    assert flagged.status == SubmissionStatus.FLAGGED and "unknown_reference" in flagged.flags and "Está bien" in flagged.xml


def test_answers_that_cannot_be_mapped_are_kept_whole_and_explained(personas, phone):
    plain_forms(personas.org)
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "violations": "no_such_violation"})
    assert phone.submit(xml).status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.FLAGGED and submission.flags == ["mapping_failed"]
    assert "no_such_violation" in submission.detail and "Girasol" in submission.xml
    assert not Incident.objects.filter(organisation=personas.org).exists()


def test_an_encrypted_submission_that_does_not_open_is_kept_encrypted_and_flagged(personas, phone):
    xform = phone.forms()["incident_interview"]
    version = FormVersion.objects.get(organisation=personas.org, form_id="incident_interview", is_current=True).version
    stranger = odkcrypto.public_key_base64(odkcrypto.generate_private_key(2048))
    xml, instance_id = fill_instance(xform, INTERVIEW)
    manifest, files = encrypt_like_collect(public_key_b64=stranger, form_id="incident_interview", version=version,
                                           instance_id=instance_id, submission_xml=xml, media=[])
    assert phone.submit(manifest, list(files.items()), xml_name="submission.xml").status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.FLAGGED and submission.flags == ["undecryptable"]
    assert submission.attachments.get().sealed  # the encrypted file, kept


# -- refusals: nothing stored ---------------------------------------------------------------


def _nothing_stored(org):
    return not Submission.objects.filter(organisation=org).exists() and not EvidenceFile.objects.filter(organisation=org).exists()


def test_malformed_xml_is_refused(personas, phone):
    response = phone.submit(b"<incident_interview id='incident_interview'><narrative>")
    assert response.status_code == 400 and b"OpenRosaResponse" in response.content
    assert _nothing_stored(personas.org)


@pytest.mark.parametrize("payload", [
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><incident_interview id="incident_interview"><narrative>&c;</narrative></incident_interview>',
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<incident_interview id="incident_interview"><narrative>&x;</narrative></incident_interview>',
])
def test_xml_attacks_are_refused(personas, phone, payload):
    response = phone.submit(payload)
    assert response.status_code == 400 and b"root:" not in response.content
    assert _nothing_stored(personas.org)


def test_an_xml_attack_inside_an_encrypted_submission_is_refused_too(personas, phone):
    key = services.form_key_current(organisation=personas.org)
    evil = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><incident_interview id="incident_interview"><narrative>&x;</narrative><meta><instanceID>uuid:evil</instanceID></meta></incident_interview>'
    manifest, files = encrypt_like_collect(public_key_b64=key.public_key, form_id="incident_interview", version="2026112301.x",
                                           instance_id="uuid:evil", submission_xml=evil, media=[])
    assert phone.submit(manifest, list(files.items()), xml_name="submission.xml").status_code == 400
    assert _nothing_stored(personas.org)


def test_an_encrypted_manifest_without_its_key_is_refused(personas, phone):
    manifest = (b"<data xmlns='http://www.opendatakit.org/xforms/encrypted' id='incident_interview' encrypted='yes'>"
                b"<orx:meta xmlns:orx='http://openrosa.org/xforms'><orx:instanceID>uuid:k</orx:instanceID></orx:meta>"
                b"<encryptedXmlFile>submission.xml.enc</encryptedXmlFile></data>")
    response = phone.submit(manifest, [("submission.xml.enc", b"0" * 32)], xml_name="submission.xml")
    assert response.status_code == 400 and _nothing_stored(personas.org)


def test_an_unknown_form_is_refused(personas, phone):
    response = phone.submit(b"<other id='mystery'><meta><instanceID>uuid:1</instanceID></meta></other>")
    assert response.status_code == 404 and _nothing_stored(personas.org)


def test_a_missing_attachment_is_refused(personas, phone):
    plain_forms(personas.org)
    xml, _ = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "photo_1": "1700000003.jpg"})
    response = phone.submit(xml)
    assert response.status_code == 400 and b"1700000003.jpg" in response.content
    assert _nothing_stored(personas.org)


def test_an_oversized_attachment_is_refused(personas, phone, monkeypatch):
    monkeypatch.setattr("amparo.openrosa.conf.MAX_ATTACHMENT_BYTES", 10_000)
    plain_forms(personas.org)
    xml, _ = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "photo_1": "big.jpg"})
    response = phone.submit(xml, [("big.jpg", b"\xff\xd8" + os.urandom(20_000))])
    assert response.status_code == 413 and _nothing_stored(personas.org)


def test_an_oversized_body_is_refused_before_it_is_read(personas, phone, monkeypatch):
    monkeypatch.setattr("amparo.openrosa.conf.MAX_SUBMISSION_BYTES", 5_000)
    xml, _ = fill_instance(phone.forms()["raid_alarm"], {"narrative": "x" * 6000})
    response = phone.submit(xml)
    assert response.status_code == 413 and _nothing_stored(personas.org)


def test_a_split_submission_is_completed_by_its_second_post(personas, phone):
    plain_forms(personas.org)
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "photo_1": "a.jpg", "photo_2": "b.jpg"})
    first = phone.submit(xml, [("a.jpg", jpeg_with_gps())], incomplete=True)
    assert first.status_code == 202
    assert Submission.objects.get(instance_id=instance_id).status == SubmissionStatus.PARTIAL
    assert phone.submit(xml, [("b.jpg", jpeg_with_gps())]).status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.MAPPED
    assert EvidenceFile.objects.filter(incident=submission.incident).count() == 2


def test_get_on_submission_is_not_allowed(phone):
    assert phone.get("/odk/lima/submission").status_code == 405


# -- admin screens --------------------------------------------------------------------------


def test_an_admin_creates_a_phone_and_sees_its_qr_once(personas, login_as):
    client = login_as(personas.alicia)
    response = client.post("/odk/gestion/telefonos/", {"label": "Teléfono 2", "owner": personas.diana.pk})
    assert response.status_code == 200 and b"<svg" in response.content and response["Cache-Control"] == "no-store"
    collector = Collector.objects.get(label="Teléfono 2")
    assert collector.owner == personas.diana and collector.ha1["MD5"]
    assert b"Tel\xc3\xa9fono 2" in client.get("/odk/gestion/telefonos/").content


def test_the_qr_configures_collect_for_this_server_and_account(personas):
    _collector, issued = services.collector_create(organisation=personas.org, label="T", owner=personas.dora, acting_user=personas.alicia)
    settings = collect_settings.decode(issued.payload)
    assert settings["general"]["server_url"].endswith("/odk/lima") and settings["general"]["username"] == issued.username
    assert settings["general"]["password"] == issued.password and settings["admin"]["admin_pw"] == issued.admin_password
    assert Phone(issued).get("/odk/lima/formList").status_code == 200


def test_revoke_is_one_click_for_an_admin(personas, phone_setup, login_as):
    collector, _ = phone_setup
    client = login_as(personas.alicia)
    response = client.post(f"/odk/gestion/telefonos/{collector.pk}/revocar/")
    assert response.status_code == 302
    collector.refresh_from_db()
    assert collector.revoked_at is not None and collector.ha1 == {}


@pytest.mark.parametrize("who", ["carla", "dora", "ana"])
def test_only_admins_manage_phones(personas, phone_setup, login_as, who):
    collector, _ = phone_setup
    client = login_as(getattr(personas, who))
    assert client.get("/odk/gestion/telefonos/").status_code == 403
    assert client.post(f"/odk/gestion/telefonos/{collector.pk}/revocar/").status_code == 403


def test_the_phones_page_requires_sign_in(db):
    response = Client().get("/odk/gestion/telefonos/")
    assert response.status_code == 302


def test_another_organisations_admin_cannot_touch_limas_phones(personas, phone_setup, login_as):
    from amparo.accounts.models import Role
    from conftest import make_user

    collector, _ = phone_setup
    other_admin = make_user("ofelia", personas.other_org, Role.ADMIN)
    client = login_as(other_admin)
    assert client.post(f"/odk/gestion/telefonos/{collector.pk}/revocar/").status_code == 404
    assert client.post(f"/odk/gestion/telefonos/{collector.pk}/reemitir/").status_code == 404
    collector.refresh_from_db()
    assert collector.revoked_at is None
    assert b"Tel\xc3\xa9fono 1" not in client.get("/odk/gestion/telefonos/").content


def test_bad_input_on_the_phone_form_is_a_clear_400(personas, login_as):
    client = login_as(personas.alicia)
    assert client.post("/odk/gestion/telefonos/", {"label": "", "owner": personas.dora.pk}).status_code == 400
    assert client.post("/odk/gestion/telefonos/", {"label": "x", "owner": personas.bruno.pk}).status_code == 400
    assert client.post("/odk/gestion/telefonos/", {"label": "x", "owner": personas.ana.pk}).status_code == 400
    assert not Collector.objects.exists()


def test_the_xlsform_can_be_downloaded_by_coordinators(personas, login_as):
    response = login_as(personas.carla).get("/odk/gestion/formularios/incident_interview.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert login_as(personas.dora).get("/odk/gestion/formularios/incident_interview.xlsx").status_code == 403


def test_the_route_setting_is_respected(personas, phone):
    FormSetting.objects.update_or_create(organisation=personas.org, form_id="raid_alarm", defaults={"encrypted": False, "route": Route.INCIDENT})
    xml, instance_id = fill_instance(phone.forms()["raid_alarm"], {
        "consent_store": "yes", "occurred_on": "2026-11-20", "department": "15", "perpetrators": "pnp_officer",
        "violations": "raid", "people_affected": "2", "narrative": "Operativo.", "needs_help_now": "no",
    })
    assert phone.submit(xml).status_code == 201
    assert Submission.objects.get(instance_id=instance_id).incident.origin == IncidentOrigin.ALARM


# -- follow-up of what the phones sent ------------------------------------------------------


def _flagged_interview(personas, phone):
    plain_forms(personas.org)
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "violations": "no_such_violation"})
    assert phone.submit(xml).status_code == 201
    return Submission.objects.get(instance_id=instance_id)


def test_a_coordinator_reads_a_flagged_submission_and_the_reading_is_audited(personas, phone, login_as):
    from amparo.audit.models import AuditEvent

    submission = _flagged_interview(personas, phone)
    client = login_as(personas.carla)
    listing = client.get("/odk/gestion/envios/")
    assert listing.status_code == 200 and f"/odk/gestion/envios/{submission.pk}/".encode() in listing.content
    page = client.get(f"/odk/gestion/envios/{submission.pk}/")
    assert page.status_code == 200 and b"Girasol" in page.content and page["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="odk.submission_viewed", actor_id=personas.carla.pk, fields=["xml"]).exists()


def test_a_flagged_submission_is_recorded_on_retry_once_the_problem_is_fixed(personas, phone, login_as):
    from amparo.vocab.models import Term

    submission = _flagged_interview(personas, phone)
    client = login_as(personas.carla)
    client.post(f"/odk/gestion/envios/{submission.pk}/registrar/")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.FLAGGED and submission.incident is None
    Term.objects.create(vocabulary="violation", code="no_such_violation", label_es="Nueva", label_en="New")
    client.post(f"/odk/gestion/envios/{submission.pk}/registrar/")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.MAPPED and submission.incident.people.get().code_name == "Girasol"


def test_a_flagged_submission_can_be_marked_as_handled(personas, phone, login_as):
    submission = _flagged_interview(personas, phone)
    login_as(personas.alicia).post(f"/odk/gestion/envios/{submission.pk}/atendido/")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.HANDLED


@pytest.mark.parametrize("who", ["dora", "lucia", "ana"])
def test_only_admins_and_coordinators_read_submissions(personas, phone, login_as, who):
    submission = _flagged_interview(personas, phone)
    client = login_as(getattr(personas, who))
    assert client.get("/odk/gestion/envios/").status_code == 403
    assert client.get(f"/odk/gestion/envios/{submission.pk}/").status_code == 403
    assert client.post(f"/odk/gestion/envios/{submission.pk}/atendido/").status_code == 403


def test_another_organisation_gets_404_for_limas_submissions(personas, phone, login_as):
    submission = _flagged_interview(personas, phone)
    client = login_as(personas.bruno)
    assert client.get(f"/odk/gestion/envios/{submission.pk}/").status_code == 404
    assert client.post(f"/odk/gestion/envios/{submission.pk}/registrar/").status_code == 404
    assert b"Girasol" not in client.get("/odk/gestion/envios/").content


def test_an_admin_changes_where_a_form_goes_and_whether_it_is_encrypted(personas, phone, login_as):
    client = login_as(personas.alicia)
    response = client.post("/odk/gestion/formularios/raid_alarm/", {"enabled": "on", "route": "incident"})
    assert response.status_code == 302
    setting = FormSetting.objects.get(organisation=personas.org, form_id="raid_alarm")
    assert setting.route == Route.INCIDENT and not setting.encrypted
    client.post("/odk/gestion/formularios/follow_up_visit/", {"route": "follow_up"})
    ids = {x.find(f"{LIST_NS}formID").text for x in fromstring(phone.get("/odk/lima/formList").content).findall(f"{LIST_NS}xform")}
    assert ids == {"incident_interview", "raid_alarm", "activity_tally"}
    refused = client.post("/odk/gestion/formularios/raid_alarm/", {"route": "nowhere"})
    assert refused.status_code == 400 and "respuestas de este formulario" in refused.content.decode()
    assert FormSetting.objects.get(organisation=personas.org, form_id="raid_alarm").route == Route.INCIDENT
    assert login_as(personas.carla).post("/odk/gestion/formularios/raid_alarm/", {"route": "triage"}).status_code == 403


def test_the_phones_page_is_in_spanish_by_default(personas, login_as):
    page = login_as(personas.alicia).get("/odk/gestion/telefonos/").content.decode()
    assert "Teléfonos de campo" in page and "Revocar" not in page  # no phone yet, no revoke button


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", b"hola"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"),
    ("multipart/form-data; boundary=xyz", b"garbage without any boundary"),
    ("multipart/form-data", b"--\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; name=\"a.jpg\"; filename=\"../../etc/passwd\"\r\n\r\nx\r\n--xyz--\r\n"),
])
def test_broken_requests_get_a_clear_4xx_never_a_500(personas, phone, content_type, body):
    head = phone.request("HEAD", "/odk/lima/submission")
    assert head.status_code == 204
    response = phone.request("POST", "/odk/lima/submission", data=body, content_type=content_type)
    assert 400 <= response.status_code < 500 and b"OpenRosaResponse" in response.content
    assert _nothing_stored(personas.org)


def test_too_many_attachments_are_refused(personas, phone, monkeypatch):
    monkeypatch.setattr("amparo.openrosa.conf.MAX_ATTACHMENTS", 2)
    plain_forms(personas.org)
    xml, _ = fill_instance(phone.forms()["raid_alarm"], {"narrative": "x"})
    response = phone.submit(xml, [(f"{n}.jpg", b"\xff\xd8x") for n in range(3)])
    assert response.status_code == 413 and _nothing_stored(personas.org)


def test_an_attachment_sent_twice_in_one_post_is_refused(personas, phone):
    plain_forms(personas.org)
    xml, _ = fill_instance(phone.forms()["raid_alarm"], {"narrative": "x"})
    response = phone.submit(xml, [("a.jpg", b"\xff\xd8x"), ("a.jpg", b"\xff\xd8y")])
    assert response.status_code == 400 and _nothing_stored(personas.org)


def test_a_body_without_declared_length_is_refused(personas, phone):
    phone.request("HEAD", "/odk/lima/submission")
    response = phone.request("POST", "/odk/lima/submission", data=b"", content_type="multipart/form-data; boundary=x")
    assert response.status_code == 411 and _nothing_stored(personas.org)


def test_a_large_plain_photo_never_touches_the_disk_unencrypted(personas, phone, monkeypatch):
    from django.core.files import uploadedfile

    spilled = []
    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", lambda *a, **k: spilled.append(a) or (_ for _ in ()).throw(AssertionError("spilled")))
    plain_forms(personas.org)
    big = Image.frombytes("RGB", (1400, 1000), os.urandom(1400 * 1000 * 3))
    out = io.BytesIO()
    big.save(out, "JPEG", quality=98)
    from django.conf import settings

    assert out.tell() > settings.FILE_UPLOAD_MAX_MEMORY_SIZE  # Django would spill this to a temporary file
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "photo_1": "big.jpg"})
    assert phone.submit(xml, [("big.jpg", out.getvalue())]).status_code == 201
    assert spilled == []


def test_an_admin_can_issue_a_phone_that_may_not_keep_drafts(personas, login_as):
    client = login_as(personas.alicia)
    response = client.post("/odk/gestion/telefonos/", {"label": "Teléfono de alto riesgo", "owner": personas.dora.pk})
    assert response.status_code == 200
    collector = Collector.objects.get(label="Teléfono de alto riesgo")
    assert collector.allow_drafts is False
    issued = services.collector_reissue(collector=collector, acting_user=personas.alicia)
    admin = collect_settings.decode(issued.payload)["admin"]
    # Current Collect: no save during entry and no "Save as draft" at the end (ProtectedProjectKeys
    # KEY_SAVE_MID, KEY_SAVE_AS_DRAFT); finishing stays possible; older Collect: always finalised.
    assert admin["save_mid"] is False and admin["save_as_draft"] is False and admin["mark_as_finalized"] is False
    assert admin["finalize_in_form_entry"] is True
    assert collect_settings.decode(issued.payload)["general"]["default_completed"] is True


def test_a_phone_that_may_keep_drafts_gets_both_draft_settings(personas):
    collector, issued = services.collector_create(organisation=personas.org, label="T", owner=personas.dora, acting_user=personas.alicia)
    admin = collect_settings.decode(issued.payload)["admin"]
    assert collector.allow_drafts and admin["save_mid"] is True and admin["save_as_draft"] is True


def test_the_draft_settings_are_keys_current_collect_knows():
    # The keys of Collect's client-settings schema (settings/src/main/resources/client-settings.schema.json,
    # "admin" section) that Amparo sets: a misspelt key would be silently ignored by the phone.
    collect_admin_keys = {
        "admin_pw", "edit_saved", "send_finalized", "view_sent", "get_blank", "delete_saved", "change_server",
        "change_project_display", "change_app_theme", "change_app_language", "change_font_size", "change_navigation",
        "show_splash_screen", "maps", "form_update_mode", "periodic_form_updates_check", "automatic_update",
        "hide_old_form_versions", "change_autosend", "delete_after_send", "default_to_finalized",
        "change_constraint_behavior", "high_resolution", "image_size", "guidance_hint", "external_app_recording",
        "instance_form_sync", "change_form_metadata", "analytics", "moving_backwards", "access_settings",
        "change_language", "jump_to", "save_mid", "mark_as_finalized", "save_as_draft", "finalize", "finalize_in_form_entry",
        "bulk_finalize",
    }
    assert set(collect_settings.DRAFT_KEYS) | {"finalize_in_form_entry"} <= collect_admin_keys


def test_the_announced_length_leaves_room_for_what_collect_does_not_count(personas, phone, monkeypatch):
    """Collect fills a POST until the raw sizes of the XML and files reach the announced length
    (OkHttpConnection.uploadSubmissionAndFiles) and adds multipart headers on top: such a batch
    must be accepted, not refused 413 and retried forever."""
    monkeypatch.setattr("amparo.openrosa.conf.MAX_SUBMISSION_BYTES", 400_000)
    monkeypatch.setattr("amparo.openrosa.conf.MAX_ATTACHMENT_BYTES", 400_000)
    plain_forms(personas.org)
    head = phone.request("HEAD", f"{phone.base}/submission")
    announced = int(head["X-OpenRosa-Accept-Content-Length"])
    assert announced <= 400_000 * 0.9
    names = [f"{'x' * 200}{i}.jpg" for i in range(4)]
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "photo_1": names[0], "photo_2": names[1]})
    # Files whose raw sizes, with the XML, add up to exactly the announced length.
    share = (announced - len(xml)) // len(names)
    files = [(name, b"\xff\xd8\xff" + os.urandom(share - 3)) for name in names]
    files[-1] = (names[-1], files[-1][1] + os.urandom(announced - len(xml) - share * len(names)))
    assert len(xml) + sum(len(data) for _, data in files) == announced
    body, _content_type = multipart_like_collect("interview.xml", xml, files)
    assert len(body) > announced  # what Collect does not count
    response = phone.submit(xml, files)
    assert response.status_code != 413, response.content
    # Announcing the limit itself (as before) let Collect build this batch, which is refused.
    files[-1] = (names[-1], files[-1][1] + os.urandom(400_000 - announced))
    assert len(xml) + sum(len(data) for _, data in files) == 400_000
    assert phone.submit(xml, files).status_code == 413


def test_after_a_key_change_forms_finished_with_the_old_key_still_open(personas, phone, login_as, monkeypatch):
    old_key = services.form_key_current(organisation=personas.org)
    xform = phone.forms()["incident_interview"]
    old_version = FormVersion.objects.get(organisation=personas.org, form_id="incident_interview", is_current=True).version
    monkeypatch.setattr("amparo.openrosa.services._new_rsa_key", lambda: odkcrypto.generate_private_key(2048))
    assert login_as(personas.alicia).post("/odk/gestion/clave/").status_code == 302
    assert login_as(personas.carla).post("/odk/gestion/clave/").status_code == 403
    new_forms = phone.forms()
    assert services.form_key_current(organisation=personas.org).pk != old_key.pk
    assert old_key.public_key.encode() not in new_forms["incident_interview"]
    xml, instance_id = fill_instance(xform, INTERVIEW)
    manifest, files = encrypt_like_collect(public_key_b64=old_key.public_key, form_id="incident_interview", version=old_version,
                                           instance_id=instance_id, submission_xml=xml, media=[])
    assert phone.submit(manifest, list(files.items()), xml_name="submission.xml").status_code == 201
    assert Submission.objects.get(instance_id=instance_id).status == SubmissionStatus.MAPPED


def test_a_raw_database_dump_reveals_nothing_the_phones_sent(personas, phone):
    import json

    from amparo.vault.tests.test_encryption import raw_dump

    plain_forms(personas.org)
    xform = phone.forms()["incident_interview"]
    secrets = {"narrative": "Nos subieron al patrullero en Zárate", "perpetrator_details": "Patrullero PL-4521",
               "contact_preference": "Escribir al Signal de noche"}
    answers = {**INTERVIEW, **secrets, "consent_contact": "yes"}
    xml, _ = fill_instance(xform, answers)
    assert phone.submit(xml).status_code == 201  # mapped
    xml, _ = fill_instance(xform, {**answers, "violations": "no_such_violation"})
    assert phone.submit(xml).status_code == 201  # flagged, kept whole
    xml, _ = fill_instance(xform, {**answers, "photo_1": "p.jpg", "photo_2": "q.jpg"})
    assert phone.submit(xml, [("p.jpg", jpeg_with_gps())], incomplete=True).status_code == 202  # partial
    dump = raw_dump()
    assert "Colectiva Lima" in dump
    for value in secrets.values():
        assert value not in dump and json.dumps(value)[1:-1] not in dump, value
