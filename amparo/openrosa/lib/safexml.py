"""Parsing of submitted XML that refuses every XML attack before it can cost anything.

Submissions come from phones we do not control. defusedxml with `forbid_dtd=True` refuses
any document type declaration, which removes entity expansion ("billion laughs"), external
entities (XXE: local files, SSRF) and external DTDs in one rule: an XForm instance never
needs a DTD. Size and element-count limits keep a flat but huge document from eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

OPENROSA_XFORMS_NS = "http://openrosa.org/xforms"
MAX_ELEMENTS = 5000


class UnsafeXml(ValueError):
    """The document declares a DTD or entities: refused without being expanded."""


class MalformedXml(ValueError):
    """The document is not well-formed XML, is empty or too large."""


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse(data: bytes, *, max_bytes: int) -> Element:
    if not data or not data.strip():
        raise MalformedXml("empty document")
    if len(data) > max_bytes:
        raise MalformedXml(f"document larger than {max_bytes} bytes")
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeXml(type(exc).__name__)
    except (ParseError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedXml(str(exc)[:200])
    for count, _ in enumerate(root.iter(), start=1):
        if count > MAX_ELEMENTS:
            raise MalformedXml(f"more than {MAX_ELEMENTS} elements")
    return root


@dataclass(frozen=True)
class Instance:
    """A filled XForm instance: where it belongs and what it says."""

    form_id: str
    version: str
    instance_id: str
    root_name: str
    # Leaf answers by question name (XLSForm names are unique within our forms); groups are
    # flattened. Repeated names (repeat groups) keep every value in order.
    values: dict[str, list[str]] = field(default_factory=dict)
    encrypted: bool = False

    def first(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default


def _find_instance_id(root: Element) -> str:
    for meta in root:
        if local_name(meta.tag) == "meta":
            for child in meta:
                if local_name(child.tag) == "instanceID":
                    return (child.text or "").strip()
    # Briefcase-style fallback: an instanceID attribute on the root.
    return (root.get("instanceID") or "").strip()


def read_instance(root: Element) -> Instance:
    form_id = (root.get("id") or "").strip()
    version = (root.get("version") or "").strip()
    instance_id = _find_instance_id(root)
    values: dict[str, list[str]] = {}
    for element in root.iter():
        if element is root or len(element):
            continue
        name = local_name(element.tag)
        values.setdefault(name, []).append((element.text or "").strip())
    return Instance(
        form_id=form_id,
        version=version,
        instance_id=instance_id,
        root_name=local_name(root.tag),
        values=values,
        encrypted=(root.get("encrypted") or "").lower() == "yes",
    )


@dataclass(frozen=True)
class EncryptedManifest:
    """The plaintext manifest that travels as xml_submission_file for encrypted forms."""

    form_id: str
    version: str
    instance_id: str
    base64_encrypted_key: str
    encrypted_xml_file: str
    media_files: tuple[str, ...]
    signature: str


def read_manifest(root: Element) -> EncryptedManifest:
    """Read by local names: ODK Collect writes the elements in its own namespace
    (http://www.opendatakit.org/xforms/encrypted), the spec's example uses another."""
    fields: dict[str, str] = {}
    media: list[str] = []
    for child in root:
        name = local_name(child.tag)
        if name == "media":
            for file_el in child:
                text = (file_el.text or "").strip()
                if local_name(file_el.tag) == "file" and text:
                    media.append(text)
        elif name != "meta":
            fields[name] = (child.text or "").strip()
    manifest = EncryptedManifest(
        form_id=(root.get("id") or "").strip(),
        version=(root.get("version") or "").strip(),
        instance_id=_find_instance_id(root),
        base64_encrypted_key=fields.get("base64EncryptedKey", ""),
        encrypted_xml_file=fields.get("encryptedXmlFile", ""),
        media_files=tuple(media),
        signature=fields.get("base64EncryptedElementSignature", ""),
    )
    missing = [
        label
        for label, value in (
            ("id", manifest.form_id),
            ("instanceID", manifest.instance_id),
            ("base64EncryptedKey", manifest.base64_encrypted_key),
            ("encryptedXmlFile", manifest.encrypted_xml_file),
        )
        if not value
    ]
    if missing:
        raise MalformedXml("encrypted manifest lacks " + ", ".join(missing))
    return manifest
