"""ODK encrypted submissions: what a Collect-like encryptor produces, Amparo decrypts."""

from __future__ import annotations

import base64
import os
from functools import cache

import pytest

from amparo.openrosa.lib import odkcrypto, xlsform
from amparo.openrosa.lib.safexml import parse, read_instance, read_manifest
from amparo.openrosa.tests.collect import encrypt_like_collect, fill_instance
from amparo.openrosa.tests.support import reference_choices


@cache
def org_key():
    return odkcrypto.generate_private_key(2048)


@cache
def other_key():
    return odkcrypto.generate_private_key(2048)


def _encrypted_interview(*, sign=True, key=None):
    public = odkcrypto.public_key_base64(org_key())
    built = xlsform.build("incident_interview", choices=reference_choices(), public_key=public)
    xml, instance_id = fill_instance(built.xml, {"consent_store": "yes", "narrative": "Nos quitaron los condones", "photo_1": "1700000001.jpg"})
    photo = b"\xff\xd8\xff\xe0" + os.urandom(5000) + b"\xff\xd9"
    manifest, files = encrypt_like_collect(
        public_key_b64=public, form_id="incident_interview", version=built.version, instance_id=instance_id,
        submission_xml=xml, media=[("1700000001.jpg", photo)], sign=sign, key=key,
    )
    return manifest, files, xml, photo


def test_amparo_decrypts_what_collect_encrypts_with_attachments_and_signature():
    manifest_xml, files, xml, photo = _encrypted_interview()
    manifest = read_manifest(parse(manifest_xml, max_bytes=100_000))
    assert manifest.media_files == ("1700000001.jpg.enc",) and manifest.encrypted_xml_file == "submission.xml.enc"
    result = odkcrypto.decrypt_submission(private_key=org_key(), manifest=manifest, files=files)
    assert result.xml == xml and result.media == {"1700000001.jpg": photo} and result.signature_valid is True
    assert read_instance(parse(result.xml, max_bytes=100_000)).first("narrative") == "Nos quitaron los condones"


def test_nothing_is_readable_without_the_private_key():
    manifest_xml, files, xml, _ = _encrypted_interview()
    assert b"condones" not in manifest_xml and all(b"condones" not in blob for blob in files.values())
    manifest = read_manifest(parse(manifest_xml, max_bytes=100_000))
    with pytest.raises(odkcrypto.DecryptionFailed):
        odkcrypto.decrypt_submission(private_key=other_key(), manifest=manifest, files=files)


def test_a_tampered_file_fails_or_breaks_the_signature():
    manifest_xml, files, _, _ = _encrypted_interview()
    manifest = read_manifest(parse(manifest_xml, max_bytes=100_000))
    damaged = dict(files)
    blob = bytearray(damaged["1700000001.jpg.enc"])
    blob[100] ^= 0xFF
    damaged["1700000001.jpg.enc"] = bytes(blob)
    result = odkcrypto.decrypt_submission(private_key=org_key(), manifest=manifest, files=damaged)
    assert result.signature_valid is False


def test_a_missing_encrypted_file_is_named():
    manifest_xml, files, _, _ = _encrypted_interview()
    manifest = read_manifest(parse(manifest_xml, max_bytes=100_000))
    with pytest.raises(odkcrypto.DecryptionFailed, match="1700000001.jpg.enc"):
        odkcrypto.decrypt_submission(private_key=org_key(), manifest=manifest, files={"submission.xml.enc": files["submission.xml.enc"]})


def test_an_unsigned_submission_decrypts_with_signature_unknown():
    manifest_xml, files, xml, _ = _encrypted_interview(sign=False)
    manifest = read_manifest(parse(manifest_xml, max_bytes=100_000))
    assert odkcrypto.decrypt_submission(private_key=org_key(), manifest=manifest, files=files).signature_valid is None


def test_the_iv_derivation_follows_the_specification():
    key = bytes(range(32))
    ivs = odkcrypto.iv_sequence("uuid:x", key, 18)
    seed = bytearray(__import__("hashlib").md5(b"uuid:x" + key).digest())
    seed[0] = (seed[0] + 1) % 256
    assert ivs[0] == bytes(seed)
    assert ivs[16][0] == (ivs[15][0] + 1) % 256 and ivs[16][1:] == ivs[15][1:]
    assert len(set(ivs)) == 18


def test_padding_is_pkcs7_over_16_byte_blocks():
    key, iv = bytes(32), bytes(16)
    for size in (0, 1, 15, 16, 17):
        data = os.urandom(size)
        blob = odkcrypto.aes_cfb_encrypt(key, iv, data)
        assert len(blob) % 16 == 0 and len(blob) > size
        assert odkcrypto.aes_cfb_decrypt(key, iv, blob) == data


def test_the_public_key_is_the_der_subject_public_key_info_in_base64():
    public = odkcrypto.public_key_base64(org_key())
    assert base64.b64decode(public)[:2] == b"\x30\x82"
    assert odkcrypto.public_key_from_base64(public).key_size == 2048
