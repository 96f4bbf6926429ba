"""The evidence bundle: a ZIP a prosecutor can check without Amparo, and its verifier.

Layout of `bundle.zip` (format "amparo-evidence-bundle/1"):

    files/001-<name>        the evidence files, as stored (image metadata already stripped)
    custody_log.json        every custody event of every file, oldest first
    summary.txt             a human-readable summary of the case and the files
    VERIFY.txt              how to check the bundle with standard tools
    manifest.json           SHA-256 and size of every file above, and the signing key's fingerprint
    manifest.sig            Ed25519 signature (64 raw bytes) over the exact bytes of manifest.json
    public_key.pem          the organisation's Ed25519 public key (SubjectPublicKeyInfo PEM)
    SHA256SUMS              the same fingerprints in `sha256sum -c` format

The signature covers manifest.json, and manifest.json covers every other file by its hash,
so changing any byte of any file breaks the check. A bundle only proves who made it when the
key's fingerprint matches the one the organisation has given the reader separately (on paper,
on its website): anyone can make a self-consistent bundle with a key of their own.

This module must not import Django or touch a database: `amparo evidence verify` runs on a
machine that has neither the database nor the master key.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "amparo-evidence-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
SUMS = "SHA256SUMS"
CUSTODY = "custody_log.json"
SUMMARY = "summary.txt"
README = "VERIFY.txt"
FILES_DIR = "files/"

# Members that the manifest does not list by hash: the signature, the key (bound through its
# fingerprint inside the manifest) and the sums file (compared against the manifest).
UNHASHED_MEMBERS = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY, SUMS})

# Limits that keep a hostile ZIP from exhausting the verifier.
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 4 * 1024**3
MAX_MANIFEST_BYTES = 16 * 1024**2
CHUNK = 1024 * 1024


# --------------------------------------------------------------------------- keys


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex, grouped in fours for reading aloud."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def normalise_fingerprint(value: str) -> str:
    return re.sub(r"[^0-9a-f]", "", value.lower())


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def private_key_to_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def private_key_from_bytes(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class BundleFile:
    """One evidence file going into a bundle, with what the organisation knows about it."""

    name: str
    data: bytes
    sha256_original: str = ""
    metadata_stripped: bool = False
    content_type: str = "application/octet-stream"
    evidence_id: int | str = ""
    uploaded_at: str = ""
    kind: str = ""


def safe_member_name(name: str, index: int) -> str:
    """`files/NNN-name` with only portable characters (no paths, no control characters)."""
    base = unicodedata.normalize("NFKD", posixpath.basename(name.replace("\\", "/")))
    base = base.encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "file"
    return f"{FILES_DIR}{index:03d}-{base[:80]}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


VERIFY_TEXT = """\
Amparo evidence bundle — how to check it / Cómo verificar este paquete
=======================================================================

Key fingerprint / Huella de la clave: {fingerprint}

Compare this fingerprint with the one the organisation gave you separately (on paper, by
phone or on its website). If it differs, do not trust the bundle.
Compare esta huella con la que la organización le entregó por otro medio (en papel, por
teléfono o en su sitio web). Si no coincide, no confíe en el paquete.

1. With Amparo installed / Con Amparo instalado:

       amparo evidence verify bundle.zip --fingerprint "{fingerprint}"

2. With standard tools (OpenSSL 3 and coreutils), after unzipping:
   Con herramientas estándar (OpenSSL 3 y coreutils), después de descomprimir:

       openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum
           (must print the fingerprint above without the colons /
            debe mostrar la huella de arriba sin los dos puntos)
       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin \\
               -in manifest.json -sigfile manifest.sig
           (must print "Signature Verified Successfully")
       sha256sum -c SHA256SUMS
           (every line must end in OK / cada línea debe terminar en OK)

   Then check that SHA256SUMS lists the same fingerprints as manifest.json.
   Luego verifique que SHA256SUMS tenga las mismas huellas que manifest.json.

The signature covers manifest.json; manifest.json holds the SHA-256 of every other file.
La firma cubre manifest.json; manifest.json contiene el SHA-256 de todos los demás archivos.
"""


def build_bundle(
    out: IO[bytes],
    *,
    signing_key: Ed25519PrivateKey,
    header: dict[str, Any],
    files: Iterable[BundleFile],
    custody_log: list[dict[str, Any]],
    summary_text: str,
) -> dict[str, Any]:
    """Write a signed bundle to `out` and return its manifest.

    `header` holds what describes the bundle (organisation, case, who made it, when); it is
    copied into the manifest as is, so it must be JSON-serialisable and carry no secrets the
    reader should not see.
    """
    public_key = signing_key.public_key()
    fingerprint = key_fingerprint(public_key)
    members: list[tuple[str, bytes]] = []
    file_entries = []
    for index, item in enumerate(files, start=1):
        path = safe_member_name(item.name, index)
        members.append((path, item.data))
        file_entries.append(
            {
                "path": path,
                "name": item.name,
                "sha256": sha256_hex(item.data),
                "size": len(item.data),
                "sha256_original": item.sha256_original,
                "metadata_stripped": item.metadata_stripped,
                "content_type": item.content_type,
                "evidence_id": item.evidence_id,
                "uploaded_at": item.uploaded_at,
                "kind": item.kind,
            }
        )
    custody_bytes = _canonical_json(custody_log)
    summary_bytes = summary_text.encode()
    readme_bytes = VERIFY_TEXT.format(fingerprint=fingerprint).encode()
    documents = [(CUSTODY, custody_bytes), (SUMMARY, summary_bytes), (README, readme_bytes)]
    manifest = {
        "format": FORMAT,
        **header,
        "files": file_entries,
        "documents": [{"path": p, "sha256": sha256_hex(b), "size": len(b)} for p, b in documents],
        "custody_events": len(custody_log),
        "signing_key": {"algorithm": "Ed25519", "fingerprint": fingerprint},
    }
    manifest_bytes = _canonical_json(manifest)
    signature = signing_key.sign(manifest_bytes)
    hashed = members + documents
    sums = "".join(f"{sha256_hex(data)}  {path}\n" for path, data in hashed).encode()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in hashed:
            zf.writestr(path, data)
        zf.writestr(MANIFEST, manifest_bytes)
        zf.writestr(SIGNATURE, signature)
        zf.writestr(PUBLIC_KEY, public_key_pem(public_key))
        zf.writestr(SUMS, sums)
    return manifest


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Problem:
    """Something wrong with a bundle. `code` is stable; `path` names the member if any."""

    code: str
    path: str = ""
    detail: str = ""


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    fingerprint: str = ""
    files_checked: int = 0
    # True when the caller named the fingerprint(s) to trust and the bundle's key is one of them.
    key_trusted: bool = False
    key_pinned: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _unsafe_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return True
    parts = name.split("/")
    return any(part in ("", ".", "..") for part in parts) or bool(re.match(r"^[A-Za-z]:", name))


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise ValueError("member too large")
            digest.update(chunk)
    return digest.hexdigest(), size


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError("member too large")
    return data


def verify_bundle(source: str | Path | bytes | IO[bytes], *, trusted_fingerprints: Iterable[str] = ()) -> VerifyReport:
    """Check a bundle end to end and list every problem found (an empty list means intact).

    Never raises for a bad bundle: a damaged or hostile file is reported, not crashed on.
    """
    report = VerifyReport()
    pins = {normalise_fingerprint(f) for f in trusted_fingerprints if normalise_fingerprint(f)}
    report.key_pinned = bool(pins)
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, EOFError):
        report.problems.append(Problem("not_a_zip"))
        return report
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            report.problems.append(Problem("too_many_members"))
            return report
        by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if _unsafe_name(info.filename):
                report.problems.append(Problem("unsafe_member_name", info.filename))
                continue
            if info.filename in by_name:
                report.problems.append(Problem("duplicate_member", info.filename))
                continue
            if not info.is_dir():
                by_name[info.filename] = info
        for required in (MANIFEST, SIGNATURE, PUBLIC_KEY):
            if required not in by_name:
                report.problems.append(Problem("missing_member", required))
        if any(p.code == "missing_member" for p in report.problems):
            return report
        try:
            manifest_bytes = _read_small(zf, by_name[MANIFEST], MAX_MANIFEST_BYTES)
            signature = _read_small(zf, by_name[SIGNATURE], 1024)
            key_pem = _read_small(zf, by_name[PUBLIC_KEY], 4096)
        except (ValueError, zipfile.BadZipFile, OSError, EOFError):
            report.problems.append(Problem("unreadable_member", MANIFEST))
            return report

        # 1. The key, and the signature over the manifest's exact bytes.
        try:
            public_key = serialization.load_pem_public_key(key_pem)
        except (ValueError, TypeError):
            report.problems.append(Problem("bad_public_key", PUBLIC_KEY))
            return report
        if not isinstance(public_key, Ed25519PublicKey):
            report.problems.append(Problem("bad_public_key", PUBLIC_KEY, "not an Ed25519 key"))
            return report
        report.fingerprint = key_fingerprint(public_key)
        try:
            public_key.verify(signature, manifest_bytes)
        except InvalidSignature:
            report.problems.append(Problem("bad_signature", MANIFEST))
        if pins:
            report.key_trusted = normalise_fingerprint(report.fingerprint) in pins
            if not report.key_trusted:
                report.problems.append(Problem("untrusted_key", PUBLIC_KEY, report.fingerprint))

        # 2. The manifest itself.
        try:
            manifest = json.loads(manifest_bytes.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            report.problems.append(Problem("bad_manifest", MANIFEST))
            return report
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            report.problems.append(Problem("unknown_format", MANIFEST, str(manifest.get("format") if isinstance(manifest, dict) else "")))
            return report
        report.manifest = manifest
        declared = (manifest.get("signing_key") or {}).get("fingerprint", "")
        if normalise_fingerprint(str(declared)) != normalise_fingerprint(report.fingerprint):
            report.problems.append(Problem("key_mismatch", PUBLIC_KEY))

        # 3. Every listed file: present, same size, same SHA-256.
        entries = list(manifest.get("files") or []) + list(manifest.get("documents") or [])
        listed: dict[str, str] = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                report.problems.append(Problem("bad_manifest", MANIFEST, "entry without a path"))
                continue
            path = entry["path"]
            listed[path] = str(entry.get("sha256", ""))
            member = by_name.get(path)
            if member is None:
                report.problems.append(Problem("missing_file", path))
                continue
            info = member
            try:
                digest, size = _hash_member(zf, info)
            except (ValueError, zipfile.BadZipFile, OSError, EOFError):
                report.problems.append(Problem("unreadable_member", path))
                continue
            if digest != entry.get("sha256"):
                report.problems.append(Problem("hash_mismatch", path))
            elif size != entry.get("size"):
                report.problems.append(Problem("size_mismatch", path))
            report.files_checked += 1

        # 4. Nothing unlisted slipped in, and SHA256SUMS agrees with the manifest.
        for name in sorted(by_name):
            if name not in listed and name not in UNHASHED_MEMBERS:
                report.problems.append(Problem("unlisted_member", name))
        if SUMS in by_name:
            try:
                sums_text = _read_small(zf, by_name[SUMS], MAX_MANIFEST_BYTES).decode("utf-8")
            except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError):
                sums_text = None
            sums: dict[str, str] = {}
            for line in (sums_text or "").splitlines():
                digest, _sep, path = line.partition("  ")
                sums[path] = digest
            if sums_text is None or sums != listed:
                report.problems.append(Problem("sums_mismatch", SUMS))
    return report

