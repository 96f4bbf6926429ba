"""OpenRosa 1.0 documents and headers: the form list, media manifests, response envelopes.

Built with ElementTree so every value is escaped; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from xml.etree.ElementTree import Element, SubElement, tostring

OPENROSA_VERSION = "1.0"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


def openrosa_headers(*, accept_content_length: int | None = None, language: str = "") -> dict[str, str]:
    """Headers every OpenRosa response carries (Date in RFC 1123 form, as the spec asks)."""
    headers = {"X-OpenRosa-Version": OPENROSA_VERSION, "Date": formatdate(usegmt=True)}
    if accept_content_length is not None:
        headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length)
    if language:
        headers["Content-Language"] = language
    return headers


def _document(root: Element) -> bytes:
    return b"<?xml version='1.0' encoding='UTF-8'?>\n" + tostring(root, encoding="unicode").encode("utf-8")


@dataclass(frozen=True)
class FormListEntry:
    form_id: str
    name: str
    version: str
    md5: str  # hex digest of the exact XForm bytes served
    download_url: str
    manifest_url: str = ""
    description: str = ""


def form_list(entries: Iterable[FormListEntry], *, verbose: bool = False) -> bytes:
    root = Element("xforms", xmlns=XFORMS_LIST_NS)
    for entry in entries:
        xform = SubElement(root, "xform")
        SubElement(xform, "formID").text = entry.form_id
        SubElement(xform, "name").text = entry.name
        SubElement(xform, "version").text = entry.version
        SubElement(xform, "hash").text = f"md5:{entry.md5}"
        if verbose and entry.description:
            SubElement(xform, "descriptionText").text = entry.description
        SubElement(xform, "downloadUrl").text = entry.download_url
        if entry.manifest_url:
            SubElement(xform, "manifestUrl").text = entry.manifest_url
    return _document(root)


@dataclass(frozen=True)
class MediaFile:
    filename: str
    md5: str
    download_url: str


def manifest(files: Iterable[MediaFile]) -> bytes:
    root = Element("manifest", xmlns=MANIFEST_NS)
    for media in files:
        item = SubElement(root, "mediaFile")
        SubElement(item, "filename").text = media.filename
        SubElement(item, "hash").text = f"md5:{media.md5}"
        SubElement(item, "downloadUrl").text = media.download_url
    return _document(root)


def response_envelope(message: str, *, nature: str = "", extra: Mapping[str, str] | None = None) -> bytes:
    """<OpenRosaResponse> with one human-readable message (shown on the phone)."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    msg = SubElement(root, "message")
    if nature:
        msg.set("nature", nature)
    msg.text = message
    for key, value in (extra or {}).items():
        SubElement(root, key).text = value
    return _document(root)
