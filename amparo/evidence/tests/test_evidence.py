"""Evidence files: metadata stripped, fingerprinted, encrypted, every access in the custody log."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from amparo.evidence import storage
from amparo.evidence.models import CustodyEvent, EvidenceFile
from amparo.evidence.services import EvidenceTampered, evidence_read, evidence_store
from amparo.evidence.tests.fixtures import tiny_pdf

pytestmark = pytest.mark.django_db


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 90))
    exif = Image.Exif()
    exif[0x010F] = "AcmePhone"  # Make
    exif[0x0110] = "Model X-1"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (12.0, 2.0, 3.0)  # latitude
    gps[3], gps[4] = "W", (77.0, 1.0, 42.0)  # longitude
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_gps_and_device_data_are_removed_and_the_original_fingerprint_kept(personas):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    evidence = evidence_store(organisation=personas.org, uploaded=original, acting_user=personas.dora, original_name="foto.jpg")
    assert evidence.sha256_original == hashlib.sha256(original).hexdigest()
    assert evidence.metadata_stripped and evidence.content_type == "image/jpeg"
    kept = evidence_read(evidence=evidence, acting_user=personas.carla, purpose="review")
    image = Image.open(io.BytesIO(kept))
    assert not image.getexif() and b"AcmePhone" not in kept and b"Model X-1" not in kept
    assert image.size == (64, 48)


def test_the_stored_file_is_encrypted(personas):
    data = tiny_pdf("informe medico de Rosa Quispe")
    evidence = evidence_store(organisation=personas.org, uploaded=data, acting_user=personas.dora)
    on_disk = storage.path_for(evidence.storage_name).read_bytes()
    assert b"Rosa Quispe" not in on_disk and b"%PDF" not in on_disk


def test_every_access_is_in_the_custody_log(personas):
    evidence = evidence_store(organisation=personas.org, uploaded=tiny_pdf(), acting_user=personas.dora)
    evidence_read(evidence=evidence, acting_user=personas.carla, purpose="case file")
    evidence_read(evidence=evidence, acting_user=personas.lucia, purpose="download", action="downloaded")
    log = list(CustodyEvent.objects.filter(evidence=evidence).values_list("action", "actor_label"))
    assert log == [("stored", "dora"), ("viewed", "carla"), ("downloaded", "lucia")]


def test_tampering_with_the_stored_file_is_detected_and_logged(personas):
    evidence = evidence_store(organisation=personas.org, uploaded=tiny_pdf("original"), acting_user=personas.dora)
    path = storage.path_for(evidence.storage_name)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(EvidenceTampered):
        evidence_read(evidence=evidence, acting_user=personas.carla)
    assert CustodyEvent.objects.filter(evidence=evidence, action="tamper_detected").exists()


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    (b"MZ\x90\x00 this is a windows program", "type"),
    (b"<html><script>alert(1)</script>", "type"),
    (b"\xff\xd8\xff\xe0 broken jpeg", "broken"),
])
def test_bad_files_are_refused_and_nothing_is_kept(personas, data, code):
    with pytest.raises(ValidationError) as err:
        evidence_store(organisation=personas.org, uploaded=data, acting_user=personas.dora)
    assert err.value.code == code
    assert EvidenceFile.objects.count() == 0


def test_oversized_files_are_refused(personas):
    with pytest.raises(ValidationError) as err:
        evidence_store(organisation=personas.org, uploaded=b"%PDF" + b"0" * 2048, acting_user=personas.dora, max_bytes=1024)
    assert err.value.code == "too_large"


def test_the_nightly_sweep_removes_old_blobs_no_row_refers_to_and_nothing_else(personas):
    import os
    import time

    from amparo.evidence.services import evidence_sweep_orphans

    kept = evidence_store(organisation=personas.org, uploaded=tiny_pdf("kept"), acting_user=personas.dora)
    orphan = storage.path_for(f"{personas.org.pk}/{'0' * 32}.bin")
    young = storage.path_for(f"{personas.org.pk}/{'1' * 32}.bin")
    orphan.write_bytes(b"left by a rolled-back upload")
    young.write_bytes(b"an upload whose transaction is still running")
    old = time.time() - 2 * 3600
    for path in (orphan, storage.path_for(kept.storage_name)):
        os.utime(path, (old, old))
    assert evidence_sweep_orphans() == 1
    assert not orphan.exists() and young.exists() and storage.path_for(kept.storage_name).exists()
    young.unlink()
