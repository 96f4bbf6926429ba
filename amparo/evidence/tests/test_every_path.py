"""Every path that keeps a file, through its real view, for every accepted type: nothing that
identifies a place, device or person is left in what is stored nor in what is served (exiftool).

Paths: the public report form, the reporter's follow-up, a staff upload onto an incident, a legal
case's documents, an attachment from a field phone (OpenRosa), and the evidence bundle.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from amparo.evidence.models import EvidenceFile
from amparo.evidence.services import evidence_check
from amparo.evidence.tests import fixtures
from amparo.evidence.tests.test_sanitize import KEPT_AS
from conftest import login

pytestmark = pytest.mark.django_db

EXTENSIONS = {"jpeg": "jpg", "heic": "heic", "m4a": "m4a"}


def upload(kind: str) -> SimpleUploadedFile:
    # The name says nothing true: only the bytes decide.
    return SimpleUploadedFile(f"archivo.{EXTENSIONS.get(kind, kind)}", fixtures.sample(kind), content_type="application/octet-stream")


def assert_clean(evidence: EvidenceFile, served: bytes, kind: str) -> None:
    stored = evidence_check(evidence=evidence)
    assert served == stored
    assert evidence.content_type == KEPT_AS[kind] and evidence.metadata_stripped
    assert fixtures.identifying(stored) == {}, f"{kind}: identifying metadata stored"


def _download(client, url: str, content_type: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == content_type and "no-store" in response["Cache-Control"]
    return response.content


@pytest.mark.parametrize("kind", fixtures.ALL_KINDS)
def test_the_public_form_keeps_and_serves_files_clean(personas, client, kind):
    from amparo.intake.models import Report
    from amparo.intake.tests.helpers import submit

    response = submit(client, files=[upload(kind)])
    assert response.status_code == 201, response.content.decode()[:2000]
    report = Report.objects.get()
    link = report.files.select_related("evidence").get()
    login(client, personas.carla)
    served = _download(client, reverse("intake:triage_file", args=[report.pk, link.pk]), KEPT_AS[kind])
    assert_clean(link.evidence, served, kind)


@pytest.mark.parametrize("kind", ["heic", "mp4", "ogg", "pdf"])
def test_the_follow_up_keeps_and_serves_files_clean(personas, client, kind):
    import re

    from amparo.intake.models import Report
    from amparo.intake.tests.helpers import receipt_of, submit

    code, phrase = receipt_of(submit(client))
    page = client.post("/r/lima/seguimiento/", {"receipt": code, "passphrase": phrase, "lang": "es"})
    token = re.search(r'name="t" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post("/r/lima/seguimiento/agregar/", {"t": token, "text": "", "files": upload(kind), "lang": "es"})
    assert response.status_code == 200, response.content.decode()[:2000]
    report = Report.objects.get()
    link = report.files.select_related("evidence").get()
    login(client, personas.carla)
    served = _download(client, reverse("intake:triage_file", args=[report.pk, link.pk]), KEPT_AS[kind])
    assert_clean(link.evidence, served, kind)


@pytest.mark.parametrize("kind", fixtures.ALL_KINDS)
def test_a_staff_upload_onto_an_incident_is_kept_and_served_clean(personas, client, kind):
    from amparo.response.tests.factories import incident_with_person

    incident, _person = incident_with_person(personas)
    login(client, personas.carla)
    response = client.post(reverse("response:incident_evidence_add", args=[incident.pk]), {"file": upload(kind), "description": ""})
    assert response.status_code in (302, 303), response.content.decode()[:2000]
    evidence = EvidenceFile.objects.get(incident=incident)
    served = _download(client, reverse("response:evidence_download", args=[evidence.uid]), KEPT_AS[kind])
    assert_clean(evidence, served, kind)


@pytest.mark.parametrize("kind", fixtures.ALL_KINDS)
def test_a_legal_case_document_is_kept_and_served_clean_and_so_is_its_bundle(personas, client, kind):
    from amparo.response.models import CaseDocument
    from amparo.response.tests.factories import incident_with_person, open_case

    incident, _person = incident_with_person(personas)
    case = open_case(personas, [incident])
    login(client, personas.carla)
    response = client.post(
        reverse("response:case_document_add", args=[case.pk]), {"file": upload(kind), "kind": "other", "description": ""}
    )
    assert response.status_code in (302, 303), response.content.decode()[:2000]
    document = CaseDocument.objects.get(case=case)
    served = _download(client, reverse("response:case_document_download", args=[case.pk, document.pk]), KEPT_AS[kind])
    assert_clean(document.evidence, served, kind)
    from amparo.response import services

    bundle = services.case_bundle_bytes(case=case, membership=personas.membership(personas.carla), acting_user=personas.carla)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        inside = [archive.read(n) for n in archive.namelist() if archive.getinfo(n).file_size == len(served)]
    assert served in inside  # the bundle carries the clean file, not the original


@pytest.mark.parametrize("kind", fixtures.ALL_KINDS)
def test_a_field_phone_attachment_is_kept_and_served_clean(personas, client, kind, monkeypatch):
    from amparo.openrosa import services as odk
    from amparo.openrosa.models import Submission, SubmissionStatus
    from amparo.openrosa.tests.collect import fill_instance
    from amparo.openrosa.tests.test_server import INTERVIEW, Phone, _shared_org_key, plain_forms

    monkeypatch.setattr("amparo.openrosa.services._new_rsa_key", _shared_org_key)
    odk.forget_choices()
    _collector, issued = odk.collector_create(organisation=personas.org, label="Teléfono 1", owner=personas.dora, acting_user=personas.alicia)
    phone = Phone(issued)
    plain_forms(personas.org)
    name = f"1700000001.{EXTENSIONS.get(kind, kind)}"
    xml, instance_id = fill_instance(phone.forms()["incident_interview"], {**INTERVIEW, "photo_1": name})
    assert phone.submit(xml, [(name, fixtures.sample(kind))]).status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.status == SubmissionStatus.MAPPED, submission.detail
    evidence = EvidenceFile.objects.get(incident=submission.incident)
    login(client, personas.carla)
    served = _download(client, reverse("response:evidence_download", args=[evidence.uid]), KEPT_AS[kind])
    assert_clean(evidence, served, kind)


@pytest.mark.parametrize("path", ["form", "staff", "case"])
def test_a_file_that_cannot_be_cleaned_is_refused_with_a_translated_4xx_and_nothing_is_kept(personas, client, path):
    from amparo.intake.models import Report
    from amparo.intake.tests.helpers import submit
    from amparo.response.tests.factories import incident_with_person, open_case

    broken = SimpleUploadedFile("video.mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + b"\x00" * 500)
    if path == "form":
        response = submit(client, files=[broken])
    else:
        incident, _person = incident_with_person(personas)
        login(client, personas.carla)
        if path == "staff":
            response = client.post(reverse("response:incident_evidence_add", args=[incident.pk]), {"file": broken, "description": ""})
        else:
            case = open_case(personas, [incident])
            response = client.post(reverse("response:case_document_add", args=[case.pk]), {"file": broken, "kind": "other", "description": ""})
    assert response.status_code == 400
    assert "No se pudo leer el audio o el video" in response.content.decode()
    assert EvidenceFile.objects.count() == 0 and Report.objects.count() == 0


@pytest.mark.parametrize("kind", ["heic", "mov", "mp3", "pdf"])
def test_the_public_api_keeps_files_clean_and_refuses_what_it_cannot_clean(personas, client, kind):
    import base64
    import json

    from amparo.intake.models import Report
    from amparo.intake.tests.test_api import BASE, _payload

    def send(name: str, data: bytes):  # type: ignore[no-untyped-def]
        body = _payload(client, files=[{"name": name, "content_base64": base64.b64encode(data).decode()}])
        return client.post(f"{BASE}/reports", json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="es")

    assert send(f"a.{kind}", fixtures.sample(kind)).status_code == 201
    evidence = Report.objects.get().files.get().evidence
    assert_clean(evidence, evidence_check(evidence=evidence), kind)
    refused = send("roto.mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + b"\x00" * 500)
    assert refused.status_code == 422
    assert "roto.mp4: No se pudo leer el audio o el video" in json.dumps(refused.json(), ensure_ascii=False)
    assert Report.objects.count() == 1 and EvidenceFile.objects.count() == 1
