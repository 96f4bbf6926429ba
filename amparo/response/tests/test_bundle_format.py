"""The evidence bundle format and its offline verifier (no database, no master key)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from amparo.response.lib.bundle import (
    MANIFEST,
    SIGNATURE,
    BundleFile,
    build_bundle,
    key_fingerprint,
    safe_member_name,
    verify_bundle,
)

ROOT = Path(__file__).resolve().parents[3]


def make_bundle(key: Ed25519PrivateKey | None = None) -> tuple[bytes, Ed25519PrivateKey]:
    key = key or Ed25519PrivateKey.generate()
    out = io.BytesIO()
    build_bundle(
        out,
        signing_key=key,
        header={"case": {"reference": "CASO-2026-0001"}, "organisation": {"name": "Org"}, "created_at": "2026-03-02T10:00:00Z"},
        files=[
            BundleFile(name="foto de la lesión.jpg", data=b"\xff\xd8jpeg-bytes", sha256_original="ab" * 32, metadata_stripped=True, content_type="image/jpeg"),
            BundleFile(name="../../etc/passwd", data=b"a medical report"),
        ],
        custody_log=[{"at": "2026-03-01T10:00:00Z", "action": "stored", "evidence_id": 1, "actor": "doc"}],
        summary_text="Resumen / Summary\n",
    )
    return out.getvalue(), key


def rewrite(data: bytes, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    dst.writestr(info.filename, change[info.filename])
            else:
                dst.writestr(info.filename, src.read(info.filename))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def codes(report) -> set[str]:
    return {p.code for p in report.problems}


def test_an_untouched_bundle_verifies() -> None:
    data, key = make_bundle()
    report = verify_bundle(data)
    assert report.ok, report.problems
    assert report.files_checked == 5  # two files + custody log, summary, VERIFY.txt
    assert report.fingerprint == key_fingerprint(key.public_key())
    assert report.manifest["case"]["reference"] == "CASO-2026-0001"


def test_member_names_never_escape_the_files_folder() -> None:
    assert safe_member_name("../../etc/passwd", 2) == "files/002-passwd"
    assert safe_member_name("C:\\fotos\\lesión.jpg", 1) == "files/001-lesion.jpg"
    assert safe_member_name("...", 3) == "files/003-file"


def test_it_detects_a_changed_evidence_file() -> None:
    data, _key = make_bundle()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    photo = next(n for n in names if n.startswith("files/001"))
    report = verify_bundle(rewrite(data, {photo: b"\xff\xd8edited"}))
    assert "hash_mismatch" in codes(report) and not report.ok


def test_it_detects_a_removed_file() -> None:
    data, _key = make_bundle()
    report = verify_bundle(rewrite(data, {"custody_log.json": None}))
    assert "missing_file" in codes(report)


def test_it_detects_an_edited_manifest() -> None:
    data, _key = make_bundle()
    manifest = zipfile.ZipFile(io.BytesIO(data)).read(MANIFEST).replace(b"CASO-2026-0001", b"CASO-2026-0002")
    assert "bad_signature" in codes(verify_bundle(rewrite(data, {MANIFEST: manifest})))


def test_it_detects_a_file_slipped_in() -> None:
    data, _key = make_bundle()
    assert "unlisted_member" in codes(verify_bundle(rewrite(data, {}, add={"files/999-extra.jpg": b"x"})))


def test_it_rejects_path_traversal_entries() -> None:
    data, _key = make_bundle()
    assert "unsafe_member_name" in codes(verify_bundle(rewrite(data, {}, add={"../evil": b"x"})))


def test_a_bundle_re_signed_with_another_key_fails_when_the_fingerprint_is_pinned() -> None:
    data, key = make_bundle()
    forged, _other = make_bundle(Ed25519PrivateKey.generate())
    assert verify_bundle(forged).ok  # self-consistent…
    report = verify_bundle(forged, trusted_fingerprints=[key_fingerprint(key.public_key())])
    assert "untrusted_key" in codes(report)  # …but not from the organisation
    assert verify_bundle(data, trusted_fingerprints=[key_fingerprint(key.public_key()).replace(":", "")]).key_trusted


def test_it_reports_garbage_instead_of_crashing() -> None:
    assert codes(verify_bundle(b"not a zip")) == {"not_a_zip"}
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    assert "missing_member" in codes(verify_bundle(empty.getvalue()))
    data, _key = make_bundle()
    assert "bad_signature" in codes(verify_bundle(rewrite(data, {SIGNATURE: b"short"})))
    assert "bad_public_key" in codes(verify_bundle(rewrite(data, {"public_key.pem": b"-----BEGIN nonsense"})))
    assert "sums_mismatch" in codes(verify_bundle(rewrite(data, {"SHA256SUMS": b"00  files/001-x\n"})))


def test_the_manifest_lists_original_and_stored_fingerprints() -> None:
    data, _key = make_bundle()
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read(MANIFEST))
    photo = manifest["files"][0]
    assert photo["sha256_original"] == "ab" * 32 and photo["metadata_stripped"] is True
    assert len(photo["sha256"]) == 64 and photo["sha256"] != photo["sha256_original"]


def test_the_bundle_verifies_with_standard_tools_as_verify_txt_says(tmp_path: Path) -> None:
    from amparo.lib.tools import require

    require("openssl", package="openssl")
    data, key = make_bundle()
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    result = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin", "-in", "manifest.json", "-sigfile", "manifest.sig"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert "Signature Verified Successfully" in result.stdout
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", "public_key.pem", "-outform", "DER"], cwd=tmp_path, capture_output=True).stdout
    import hashlib

    assert hashlib.sha256(der[-32:]).hexdigest() == key_fingerprint(key.public_key()).replace(":", "")
    assert key_fingerprint(key.public_key()) in (tmp_path / "VERIFY.txt").read_text()


def run_cli(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # No database, no master key, production mode: only the verifier may run in this setup.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AMPARO_PRODUCTION": "1",
            "AMPARO_DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
            "AMPARO_MASTER_KEY_FILE": "/nonexistent/master.keys",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "amparo", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_amparo_evidence_verify_runs_without_database_or_master_key(tmp_path: Path) -> None:
    data, key = make_bundle()
    good = tmp_path / "bundle.zip"
    good.write_bytes(data)
    result = run_cli("evidence", "verify", str(good), extra_env={"AMPARO_LANGUAGE": "en"})
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and key_fingerprint(key.public_key()) in result.stdout

    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    bad = tmp_path / "tampered.zip"
    bad.write_bytes(rewrite(data, {next(n for n in names if n.startswith("files/002")): b"edited"}))
    result = run_cli("evidence", "verify", str(bad), "--json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["problems"][0]["code"] == "hash_mismatch"


def test_amparo_evidence_verify_answers_a_missing_file_clearly(tmp_path: Path) -> None:
    result = run_cli("evidence", "verify", str(tmp_path / "nope.zip"), extra_env={"AMPARO_LANGUAGE": "en"})
    assert result.returncode == 2 and "No such file" in result.stderr


def test_the_django_management_command_checks_a_bundle_too(tmp_path: Path) -> None:
    from django.core.management import call_command
    from django.utils import translation

    data, key = make_bundle()
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    out = io.StringIO()
    with translation.override("en"):
        call_command("evidence", "verify", str(path), "--fingerprint", key_fingerprint(key.public_key()), stdout=out)
    assert "OK" in out.getvalue()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    path.write_bytes(rewrite(data, {next(n for n in names if n.startswith("files/001")): b"x"}))
    with pytest.raises(SystemExit) as exc:
        call_command("evidence", "verify", str(path), stdout=io.StringIO())
    assert exc.value.code == 1
