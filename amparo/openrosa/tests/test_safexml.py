"""Submitted XML: XML attacks are refused before anything is expanded or fetched."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.openrosa.lib.safexml import MalformedXml, UnsafeXml, parse, read_instance, read_manifest

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<data id="incident_interview"><narrative>&lol3;</narrative></data>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<data id="incident_interview"><narrative>&secret;</narrative></data>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE data SYSTEM "http://127.0.0.1:9/evil.dtd"><data id="x"/>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_it_refuses_dtds_entities_and_external_references(payload):
    with pytest.raises(UnsafeXml):
        parse(payload, max_bytes=100_000)


@pytest.mark.parametrize("payload", [b"", b"   ", b"<data", b"not xml", b"<a></b>", "<d>\udcff</d>".encode("utf-8", "surrogatepass")])
def test_it_refuses_malformed_documents(payload):
    with pytest.raises(MalformedXml):
        parse(payload, max_bytes=100_000)


def test_it_refuses_oversized_and_overly_large_trees():
    with pytest.raises(MalformedXml):
        parse(b"<d>" + b"x" * 2000 + b"</d>", max_bytes=1000)
    with pytest.raises(MalformedXml):
        parse(b"<d>" + b"<a/>" * 6000 + b"</d>", max_bytes=1_000_000)


def test_it_reads_an_instance_with_groups_and_namespaced_meta():
    root = parse(
        b"<?xml version='1.0' ?><incident_interview xmlns:orx='http://openrosa.org/xforms' id='incident_interview' version='2026112301.ab'>"
        b"<consent><consent_store>yes</consent_store></consent><incident><violations>raid threat</violations></incident>"
        b"<orx:meta><orx:instanceID>uuid:1</orx:instanceID></orx:meta></incident_interview>",
        max_bytes=10_000,
    )
    instance = read_instance(root)
    assert (instance.form_id, instance.version, instance.instance_id) == ("incident_interview", "2026112301.ab", "uuid:1")
    assert instance.first("consent_store") == "yes" and instance.first("violations") == "raid threat"


def test_it_reads_an_encrypted_manifest_in_either_namespace():
    for ns in ("http://www.opendatakit.org/xforms/encrypted", "http://opendatakit.org/submissions"):
        root = parse(
            f"<data xmlns='{ns}' id='f' version='1' encrypted='yes'><base64EncryptedKey>a2V5</base64EncryptedKey>"
            "<orx:meta xmlns:orx='http://openrosa.org/xforms'><orx:instanceID>uuid:2</orx:instanceID></orx:meta>"
            "<media><file>p.jpg.enc</file></media><encryptedXmlFile>submission.xml.enc</encryptedXmlFile></data>".encode(),
            max_bytes=10_000,
        )
        manifest = read_manifest(root)
        assert manifest.media_files == ("p.jpg.enc",) and manifest.instance_id == "uuid:2"
        assert read_instance(root).encrypted


def test_it_refuses_a_manifest_without_its_key():
    root = parse(b"<data id='f' encrypted='yes'><encryptedXmlFile>s.enc</encryptedXmlFile></data>", max_bytes=1000)
    with pytest.raises(MalformedXml):
        read_manifest(root)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(alphabet="<>/=\"' abcdmetaID!DOCTYPE&;[]x", max_size=200).map(str.encode))
def test_arbitrary_bytes_either_parse_or_raise_a_known_refusal(data):
    try:
        root = parse(data, max_bytes=10_000)
    except (MalformedXml, UnsafeXml):
        return
    read_instance(root)
    with contextlib.suppress(MalformedXml):
        read_manifest(root)
