"""Evidence with chain of custody: fingerprints survive stripping, tampering is caught, every access is logged,
and the case bundle verifies offline."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from amparo.evidence import storage
from amparo.evidence.models import CustodyEvent, EvidenceFile
from amparo.response import services
from amparo.response.lib.bundle import verify_bundle
from amparo.response.models import SigningKey
from amparo.response.tests.factories import PDF, incident_with_person, jpeg_with_gps, open_case
from amparo.vault import crypto

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def case(personas):
    incident, _person = incident_with_person(personas)
    return open_case(personas, [incident])


def add(personas, case, data: bytes, name: str = "foto.jpg", kind: str = "photo"):
    return services.case_document_add(
        case=case, membership=personas.membership(personas.carla), acting_user=personas.carla,
        uploaded=SimpleUploadedFile(name, data), kind=kind,
    )


def actions(evidence) -> list[str]:
    return list(CustodyEvent.objects.filter(evidence=evidence).order_by("at", "pk").values_list("action", flat=True))


def bundle(personas, case, user=None) -> bytes:
    user = user or personas.carla
    return services.case_bundle_bytes(case=case, membership=personas.membership(user), acting_user=user)


def test_the_original_fingerprint_survives_metadata_stripping(personas, case):
    import hashlib

    photo = jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get(0x8825)  # the upload carries GPS
    evidence = add(personas, case, photo).evidence
    assert evidence.sha256_original == hashlib.sha256(photo).hexdigest()
    assert evidence.metadata_stripped and evidence.sha256_stored != evidence.sha256_original
    stored = storage.read(evidence.storage_name)
    assert hashlib.sha256(stored).hexdigest() == evidence.sha256_stored
    assert not Image.open(io.BytesIO(stored)).getexif()  # no GPS, no serial left
    assert b"SERIAL-123456" not in stored
    # Both fingerprints travel in the bundle's manifest.
    manifest = verify_bundle(bundle(personas, case)).manifest
    entry = manifest["files"][0]
    assert (entry["sha256_original"], entry["sha256"], entry["metadata_stripped"]) == (
        evidence.sha256_original, evidence.sha256_stored, True)


def test_the_stored_file_is_encrypted_outside_any_public_url(personas, case):
    evidence = add(personas, case, PDF, "denuncia.pdf", "complaint").evidence
    raw = storage.path_for(evidence.storage_name).read_bytes()
    assert PDF not in raw and b"%PDF" not in raw
    from django.conf import settings

    assert not str(storage.path_for(evidence.storage_name)).startswith(str(settings.STATIC_ROOT))


def test_every_access_is_in_the_custody_log(personas, case, client):
    from conftest import login

    document = add(personas, case, PDF, "informe.pdf", "medical")
    login(client, personas.lucia)
    response = client.get(f"/respuesta/casos/{case.pk}/documentos/{document.pk}/")
    assert response.status_code == 200 and response.content == PDF
    bundle(personas, case)
    events = CustodyEvent.objects.filter(evidence=document.evidence).order_by("at", "pk")
    # The bundle checks each file's integrity before it exports any.
    assert [e.action for e in events] == ["stored", "downloaded", "verified", "exported"]
    assert [e.actor_label for e in events] == ["carla", "lucia", "carla", "carla"]
    assert all(e.sha256 == document.evidence.sha256_stored for e in events)


def test_a_bundle_holds_files_manifest_custody_log_and_signed_summary_and_verifies(personas, case):
    add(personas, case, jpeg_with_gps())
    add(personas, case, PDF, "certificado médico legal.pdf", "forensic")
    data = bundle(personas, case)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"manifest.json", "manifest.sig", "public_key.pem", "custody_log.json", "summary.txt", "VERIFY.txt", "SHA256SUMS"} <= names
    assert len([n for n in names if n.startswith("files/")]) == 2
    key = SigningKey.objects.get(organisation=personas.org)
    report = verify_bundle(data, trusted_fingerprints=[key.fingerprint])
    assert report.ok and report.key_trusted, report.problems
    summary = zipfile.ZipFile(io.BytesIO(data)).read("summary.txt").decode()
    assert case.reference in summary and key.fingerprint in summary
    assert "Rosa Quispe" not in summary and "Placa 12345" not in data.decode("latin-1")


def test_the_signing_key_is_kept_sealed_by_the_organisation_key(personas, case):
    bundle(personas, case)
    key = SigningKey.objects.get(organisation=personas.org)
    sealed = bytes(key.sealed_private_key)
    assert len(sealed) > 32 and crypto.key_pk_of(sealed)  # an envelope, not a raw key
    # A second bundle reuses the same key: its fingerprint is what the organisation publishes.
    bundle(personas, case)
    assert SigningKey.objects.filter(organisation=personas.org).count() == 1


def test_the_bundle_checks_with_the_amparo_command_without_database_or_master_key(personas, case, tmp_path):
    add(personas, case, PDF, "denuncia.pdf", "complaint")
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle(personas, case))
    fingerprint = SigningKey.objects.get(organisation=personas.org).fingerprint
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "AMPARO_LANGUAGE": "en", "AMPARO_PRODUCTION": "1",
           "AMPARO_DATABASE_URL": "postgres://nobody@127.0.0.1:9/none", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "amparo", "evidence", "verify", str(path), "--fingerprint", fingerprint],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout and case.reference in result.stdout


def test_tampering_with_a_stored_file_is_detected_logged_and_stops_the_bundle(personas, case, client):
    from conftest import login

    document = add(personas, case, PDF, "denuncia.pdf", "complaint")
    evidence = document.evidence
    # Someone with disk access swaps the content for another one sealed with the same key.
    path = storage.path_for(evidence.storage_name)
    path.write_bytes(crypto.encrypt_bytes(PDF.replace(b"%PDF-1.3", b"%PDF-1.7", 1), org_id=personas.org.pk, context=f"evidence:{evidence.storage_name}"))
    with pytest.raises(services.BundleRefused) as exc:
        bundle(personas, case)
    assert exc.value.code == "tampered"
    assert actions(evidence)[-1] == "tamper_detected"
    login(client, personas.carla)
    response = client.get(f"/respuesta/casos/{case.pk}/documentos/{document.pk}/")
    assert response.status_code == 409 and response.content != PDF  # nothing handed out
    assert actions(evidence)[-1] == "tamper_detected"


def test_a_flipped_byte_in_the_stored_file_is_detected_too(personas, case):
    evidence = add(personas, case, PDF, "denuncia.pdf", "complaint").evidence
    path = storage.path_for(evidence.storage_name)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(services.BundleRefused):
        bundle(personas, case)
    assert "tamper_detected" in actions(evidence)


def test_files_of_the_linked_incidents_are_in_the_bundle(personas, case):
    from amparo.evidence.services import evidence_store

    incident = case.incidents.get()
    evidence_store(organisation=personas.org, uploaded=PDF, acting_user=personas.dora, incident=incident, original_name="acta.pdf")
    report = verify_bundle(bundle(personas, case))
    assert [f["kind"] for f in report.manifest["files"]] == ["incident"]


def test_no_bundle_without_consent_to_legal_action(personas):
    incident, _p = incident_with_person(personas, consent_legal_action=False)
    case = open_case(personas, [incident])
    add(personas, case, PDF, "denuncia.pdf", "complaint")
    with pytest.raises(services.BundleRefused) as exc:
        bundle(personas, case)
    assert exc.value.code == "consent"
    assert not CustodyEvent.objects.filter(action="exported").exists()


def test_uploads_that_are_not_evidence_files_are_refused_clearly(personas, case):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        add(personas, case, b"MZ\x90\x00 not a photo", "virus.exe", "other")
    with pytest.raises(ValidationError):
        add(personas, case, b"", "empty.pdf", "other")
    assert not EvidenceFile.objects.exists()


def test_files_are_attached_to_incidents_and_their_custody_is_shown(personas, client):
    from conftest import login

    incident, _p = incident_with_person(personas)
    login(client, personas.dora)
    response = client.post(f"/respuesta/incidentes/{incident.pk}/evidencia/",
                           {"file": SimpleUploadedFile("lesion.jpg", jpeg_with_gps()), "description": "Foto de la lesión"})
    assert response.status_code == 303
    evidence = EvidenceFile.objects.get(incident=incident)
    assert evidence.metadata_stripped and evidence.uploaded_by == personas.dora
    assert evidence.description == "Foto de la lesión"
    assert client.get(f"/respuesta/evidencia/{evidence.uid}/descargar/").status_code == 200
    assert client.post(f"/respuesta/evidencia/{evidence.uid}/verificar/").status_code == 303
    page = client.get(f"/respuesta/evidencia/{evidence.uid}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert evidence.sha256_original in page and evidence.sha256_stored in page
    assert actions(evidence) == ["stored", "downloaded", "verified"]


def test_evidence_pages_follow_the_record_scope(personas, client):
    from conftest import login

    incident, _p = incident_with_person(personas)
    from amparo.evidence.services import evidence_store

    evidence = evidence_store(organisation=personas.org, uploaded=PDF, acting_user=personas.dora, incident=incident)
    for user, expected in ((personas.bruno, 404), (personas.diana, 404), (personas.lucia, 404), (personas.ana, 403), (personas.carla, 200)):
        login(client, user)
        assert client.get(f"/respuesta/evidencia/{evidence.uid}/").status_code == expected, user
        assert client.get(f"/respuesta/evidencia/{evidence.uid}/descargar/").status_code == expected, user
    assert client.get("/respuesta/evidencia/not-a-uuid/").status_code == 404
    assert actions(evidence) == ["stored", "downloaded"]  # only Carla's download
    login(client, personas.bruno)
    assert client.post(f"/respuesta/incidentes/{incident.pk}/evidencia/", {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 404
    assert EvidenceFile.objects.count() == 1


def test_a_check_of_a_tampered_file_is_logged_and_its_download_refused(personas, client):
    from conftest import login

    incident, _p = incident_with_person(personas)
    from amparo.evidence.services import evidence_store

    evidence = evidence_store(organisation=personas.org, uploaded=PDF, acting_user=personas.dora, incident=incident)
    storage.path_for(evidence.storage_name).write_bytes(b"garbage")
    login(client, personas.carla)
    client.post(f"/respuesta/evidencia/{evidence.uid}/verificar/")
    assert client.get(f"/respuesta/evidencia/{evidence.uid}/descargar/").status_code == 409
    assert actions(evidence) == ["stored", "tamper_detected", "tamper_detected"]


def test_a_bad_upload_to_an_incident_is_answered_400(personas, client):
    from conftest import login

    incident, _p = incident_with_person(personas)
    login(client, personas.dora)
    assert client.post(f"/respuesta/incidentes/{incident.pk}/evidencia/", {"file": SimpleUploadedFile("x.exe", b"MZ\x90")}).status_code == 400
    assert client.post(f"/respuesta/incidentes/{incident.pk}/evidencia/", {}).status_code == 400
    assert not EvidenceFile.objects.exists()
