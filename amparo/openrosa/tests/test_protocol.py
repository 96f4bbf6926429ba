"""OpenRosa documents and headers, and the ODK Collect settings QR payload."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import fromstring

from amparo.openrosa.lib import collect_settings, protocol


def test_the_headers_name_the_version_the_date_and_the_size_limit():
    headers = protocol.openrosa_headers(accept_content_length=1024)
    assert headers["X-OpenRosa-Version"] == "1.0" and headers["X-OpenRosa-Accept-Content-Length"] == "1024"
    assert parsedate_to_datetime(headers["Date"]).tzinfo is not None


def test_the_form_list_follows_the_xformslist_namespace_and_escapes_values():
    doc = protocol.form_list(
        [protocol.FormListEntry("f1", "Entrevista <1> & más", "1.a", "0" * 32, "https://x/f1.xml", "https://x/m")]
    )
    root = fromstring(doc)
    ns = "{http://openrosa.org/xforms/xformsList}"
    xform = root.find(f"{ns}xform")
    assert xform.find(f"{ns}name").text == "Entrevista <1> & más"
    assert xform.find(f"{ns}hash").text == "md5:" + "0" * 32
    assert xform.find(f"{ns}manifestUrl").text == "https://x/m"


def test_the_manifest_and_the_response_envelope():
    manifest = fromstring(protocol.manifest([protocol.MediaFile("districts.csv", "a" * 32, "https://x/d")]))
    assert manifest.tag == "{http://openrosa.org/xforms/xformsManifest}manifest"
    envelope = fromstring(protocol.response_envelope("Recibido", nature="submit_success"))
    assert envelope.tag == "{http://openrosa.org/http/response}OpenRosaResponse"
    assert envelope[0].text == "Recibido" and envelope[0].get("nature") == "submit_success"


def test_the_settings_payload_round_trips_and_hardens_the_phone():
    settings = collect_settings.PhoneSettings(
        server_url="https://amparo.example/odk/org-a", username="c-abc", password="pw", admin_password="admin",
        project_name="Amparo",
    ).as_dict()
    payload = collect_settings.encode(settings)
    decoded = collect_settings.decode(payload)
    assert decoded == settings
    general, admin = decoded["general"], decoded["admin"]
    assert general["server_url"] == "https://amparo.example/odk/org-a" and general["username"] == "c-abc"
    assert general["delete_send"] is True and general["autosend"] != "off" and general["analytics"] is False
    assert general["form_update_mode"] == "match_exactly"
    assert admin["admin_pw"] == "admin" and admin["change_server"] is False and admin["view_sent"] is False
    assert admin["edit_saved"] is False


def test_the_qr_is_an_svg_without_script_or_inline_style():
    svg = collect_settings.qr_svg(collect_settings.encode({"general": {}, "admin": {}}))
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
