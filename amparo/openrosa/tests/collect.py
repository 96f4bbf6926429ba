"""A stand-in for ODK Collect, written from the specifications and Collect's behaviour:

- it fills the primary instance of a real XForm (as Collect serialises it),
- encrypts like Collect's EncryptionUtils (random AES-256 key; RSA/NONE/OAEPWithSHA256AndMGF1Padding;
  AES/CFB/PKCS5Padding with the MD5(instanceID||key) IV seed; media first, submission.xml last;
  the manifest in Collect's namespace with an MD5 signature),
- builds the multipart body the way OkHttp's MultipartBody does for Collect (one part per file,
  named after the file, each with Content-Disposition, Content-Type and Content-Length),
- authenticates with Digest like okhttp-digest: HEAD first, answer the challenge, then reuse the
  cached nonce with an increasing nonce count.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from xml.etree.ElementTree import Element, SubElement, fromstring, register_namespace, tostring

from amparo.openrosa.lib import digest
from amparo.openrosa.lib.odkcrypto import (
    OAEP_SHA256,
    aes_cfb_encrypt,
    iv_sequence,
    public_key_from_base64,
    signature_source,
)

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"
ORX = "http://openrosa.org/xforms"
COLLECT_ENC_NS = "http://www.opendatakit.org/xforms/encrypted"


def primary_instance(xform: bytes) -> Element:
    root = fromstring(xform)
    model = root.find(f"{H}head/{XF}model")
    instance = model.find(f"{XF}instance")
    return list(instance)[0]


def fill_instance(xform: bytes, answers: dict[str, str], *, instance_id: str | None = None) -> tuple[bytes, str]:
    """Fill leaves by question name; returns (xml bytes, instanceID)."""
    register_namespace("orx", ORX)
    register_namespace("jr", "http://openrosa.org/javarosa")
    template = primary_instance(xform)
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    unknown = set(answers)
    for element in template.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if len(element):
            continue
        if name == "instanceID":
            element.text = instance_id
        elif name in answers:
            element.text = answers[name]
            unknown.discard(name)
    if unknown:
        raise KeyError(f"the form has no questions named {sorted(unknown)}")
    # Strip the XForms default namespace the way Collect writes instances (plain tags).
    for element in template.iter():
        if element.tag.startswith(XF):
            element.tag = element.tag[len(XF):]
    return b"<?xml version='1.0' ?>" + tostring(template, encoding="unicode").encode(), instance_id


def encrypt_like_collect(
    *, public_key_b64: str, form_id: str, version: str, instance_id: str, submission_xml: bytes,
    media: list[tuple[str, bytes]], key: bytes | None = None, sign: bool = True,
) -> tuple[bytes, dict[str, bytes]]:
    public_key = public_key_from_base64(public_key_b64)
    key = key or os.urandom(32)
    wrapped = base64.b64encode(public_key.encrypt(key, OAEP_SHA256)).decode()
    ordered = [*media, ("submission.xml", submission_xml)]
    ivs = iv_sequence(instance_id, key, len(ordered))
    files = {f"{name}.enc": aes_cfb_encrypt(key, iv, data) for (name, data), iv in zip(ordered, ivs, strict=True)}
    root = Element(f"{{{COLLECT_ENC_NS}}}data", {"id": form_id, "version": version, "encrypted": "yes"})
    SubElement(root, f"{{{COLLECT_ENC_NS}}}base64EncryptedKey").text = wrapped
    meta = SubElement(root, f"{{{ORX}}}meta")
    SubElement(meta, f"{{{ORX}}}instanceID").text = instance_id
    for name, _ in media:
        media_el = SubElement(root, f"{{{COLLECT_ENC_NS}}}media")
        SubElement(media_el, f"{{{COLLECT_ENC_NS}}}file").text = f"{name}.enc"
    SubElement(root, f"{{{COLLECT_ENC_NS}}}encryptedXmlFile").text = "submission.xml.enc"
    if sign:
        source = signature_source(form_id=form_id, version=version, base64_key=wrapped, instance_id=instance_id, files=ordered)
        signature = public_key.encrypt(hashlib.md5(source).digest(), OAEP_SHA256)
        SubElement(root, f"{{{COLLECT_ENC_NS}}}base64EncryptedElementSignature").text = base64.b64encode(signature).decode()
    register_namespace("", COLLECT_ENC_NS)
    register_namespace("orx", ORX)
    manifest = b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>" + tostring(root, encoding="unicode").encode()
    return manifest, files


CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".xml": "text/xml", ".m4a": "audio/mp4"}


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def multipart_like_collect(xml_name: str, xml: bytes, files: list[tuple[str, bytes]], *, incomplete: bool = False) -> tuple[bytes, str]:
    boundary = str(uuid.uuid4())
    out = bytearray()

    def part(disposition: str, content_type: str | None, data: bytes) -> None:
        out.extend(f"--{boundary}\r\n".encode())
        out.extend(f"Content-Disposition: {disposition}\r\n".encode())
        if content_type:
            out.extend(f"Content-Type: {content_type}\r\n".encode())
        out.extend(f"Content-Length: {len(data)}\r\n\r\n".encode())
        out.extend(data)
        out.extend(b"\r\n")

    part(f'form-data; name="xml_submission_file"; filename="{xml_name}"', "text/xml", xml)
    for name, data in files:
        part(f'form-data; name="{name}"; filename="{name}"', content_type_for(name), data)
    if incomplete:
        part('form-data; name="*isIncomplete*"', None, b"yes")
    out.extend(f"--{boundary}--\r\n".encode())
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class DigestClient:
    """Computes Authorization headers like okhttp-digest, caching the last challenge."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.challenge: dict[str, str] | None = None
        self.nc = 0

    def remember(self, www_authenticate: str) -> None:
        params: dict[str, str] = {}
        for item in www_authenticate[len("Digest "):].split(", "):
            key, _, value = item.partition("=")
            params[key.strip()] = value.strip().strip('"')
        self.challenge = params
        self.nc = 0

    def header(self, method: str, uri: str) -> str:
        assert self.challenge, "no challenge yet"
        self.nc += 1
        algorithm = self.challenge.get("algorithm", "MD5")
        cnonce = uuid.uuid4().hex
        nc = f"{self.nc:08x}"
        ha1 = digest.ha1(algorithm=algorithm, username=self.username, realm=self.challenge["realm"], password=self.password)
        response = digest.response_for(
            algorithm=algorithm, ha1_hex=ha1, nonce=self.challenge["nonce"], nc=nc, cnonce=cnonce, qop="auth", method=method, uri=uri
        )
        return (
            f'Digest username="{self.username}", realm="{self.challenge["realm"]}", nonce="{self.challenge["nonce"]}", '
            f'uri="{uri}", response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", '
            f'algorithm={algorithm}, opaque="{self.challenge.get("opaque", "")}"'
        )
