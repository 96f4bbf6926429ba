"""The repository's XLSForms build to XForms, reproducibly, with generated choice lists."""

from __future__ import annotations

import io
import time
from xml.etree.ElementTree import fromstring

import pytest
from openpyxl import load_workbook

from amparo.openrosa.lib import odkcrypto, xlsform
from amparo.openrosa.tests.support import organisation_choices, reference_choices

XF = "{http://www.w3.org/2002/xforms}"


@pytest.mark.parametrize("form_id", xlsform.FORM_IDS)
def test_every_form_builds_to_an_xform(form_id):
    built = xlsform.build(form_id, choices=organisation_choices())
    root = fromstring(built.xml)
    instance = root.find(f".//{XF}instance")
    data = list(instance)[0]
    assert data.get("id") == form_id and data.get("version") == built.version
    assert built.version.startswith(built.schema_version + ".")
    # The incident forms take photos; a tally is counts only.
    assert bool(built.binary_fields) == (form_id != "activity_tally")
    assert all(name.startswith("photo") for name in built.binary_fields)
    assert not built.encrypted and b"base64RsaPublicKey" not in built.xml


def test_choice_lists_come_from_the_vocabularies_and_ubigeo():
    built = xlsform.build("incident_interview", choices=reference_choices())
    text = built.xml.decode()
    for code in ("arbitrary_detention", "forced_sex_by_official", "pnp_officer", "serenazgo", "police_station"):
        assert code in text
    assert 'jr://file-csv/districts.csv' in text and "districts.csv" in built.media
    assert b"150132" in built.media["districts.csv"]  # San Juan de Lurigancho, Lima


def test_the_build_is_reproducible_and_the_version_follows_the_content():
    choices = reference_choices()
    first = xlsform.build("raid_alarm", choices=choices)
    time.sleep(1.1)
    second = xlsform.build("raid_alarm", choices=choices)
    assert first.xlsx == second.xlsx and first.xml == second.xml and first.version == second.version
    changed = xlsform.ChoiceSet(lists={**choices.lists, "violation": choices.lists["violation"][:-1]}, media=choices.media)
    assert xlsform.build("raid_alarm", choices=changed).version != first.version


def test_the_workbook_is_a_real_xlsform():
    built = xlsform.build("follow_up_visit", choices=reference_choices())
    wb = load_workbook(io.BytesIO(built.xlsx))
    assert wb.sheetnames == ["survey", "choices", "settings"]
    assert wb["settings"]["C2"].value == built.version


def test_an_encrypted_form_carries_the_organisations_public_key():
    key = odkcrypto.generate_private_key(2048)
    public = odkcrypto.public_key_base64(key)
    built = xlsform.build("incident_interview", choices=reference_choices(), public_key=public)
    submission = fromstring(built.xml).find(f".//{XF}submission")
    assert submission.get("base64RsaPublicKey") == public and built.encrypted


def test_older_schema_versions_still_build():
    versions = xlsform.schema_versions("incident_interview")
    assert versions[0] == "2026112301" and "2026110101" in versions
    old = xlsform.build("incident_interview", choices=reference_choices(), schema_version="2026110101")
    assert old.schema_version == "2026110101" and b"violation_types" in old.xml


def test_a_missing_choice_list_is_a_clear_error():
    with pytest.raises(xlsform.FormSourceError):
        xlsform.build("incident_interview", choices=xlsform.ChoiceSet())


def test_every_image_question_of_the_shipped_forms_limits_its_pixels():
    # Collect scales the photo down on the phone before it is sent (orx:max-pixels): smaller
    # uploads over weak signal, and no 12-megapixel original left in the phone's form folder.
    import re

    for form_id in xlsform.FORM_IDS:
        rows = xlsform.survey_rows(form_id)
        images = [row["name"] for row in rows if row["type"].strip() == "image"]
        assert bool(images) == (form_id != "activity_tally"), form_id
        built = xlsform.build(form_id, choices=organisation_choices())
        for name in images:
            bind = re.search(rb'<bind nodeset="/%s/(?:[^"]*/)?%s"[^>]*>' % (form_id.encode(), name.encode()), built.xml)
            assert bind and re.search(rb'orx:max-pixels="(1024|2048)"', bind.group(0)), (form_id, name)


def test_the_forms_build_the_same_bytes_twice():
    first = xlsform.build("raid_alarm", choices=reference_choices())
    second = xlsform.build("raid_alarm", choices=reference_choices())
    assert (first.xlsx, first.xml, first.version) == (second.xlsx, second.xml, second.version)


def test_the_tally_needs_the_organisations_venue_and_programme_lists():
    with pytest.raises(xlsform.FormSourceError, match="programme|venue"):
        xlsform.build("activity_tally", choices=reference_choices())
    built = xlsform.build("activity_tally", choices=organisation_choices())
    text = built.xml.decode()
    assert "Sauna Azul" in text and "<name>street</name>" in text and "<name>none</name>" in text
    # The form's own constraints: no more reactive results than tests, none confirmed beyond reactive.
    assert 'constraint=". &gt;= 0 and . &lt;=  /activity_tally/tests_done "' in text
    assert 'constraint=". &gt;= 0 and . &lt;=  /activity_tally/tests_reactive "' in text
    assert 'constraint=". &lt;= today()"' in text
