"""The activity tally round trip, driven the way ODK Collect drives it.

Carla (coordinator, Lima) keeps the venue list and a testing campaign with a target of HIV
tests. Dora (documenter, Lima) carries a phone set up for her: at "Sauna Azul" without signal
she fills the tally, and when the phone sends it the campaign's progress moves. Bruno's
organisation (Arequipa) has its own venues, which never reach Lima's phones.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from amparo.openrosa import services
from amparo.openrosa.models import FormSetting, FormVersion, Route, Submission, SubmissionStatus
from amparo.openrosa.tests.collect import encrypt_like_collect, fill_instance
from amparo.programmes.models import Activity
from amparo.programmes.selectors import indicator_value
from amparo.programmes.services import indicator_create, venue_update
from amparo.programmes.tests.factories import district, make_programme, make_venue


@pytest.fixture
def campaign(personas):
    today = timezone.localdate()
    programme = make_programme(personas, starts_on=today - dt.timedelta(days=200), ends_on=today + dt.timedelta(days=60))
    indicator = indicator_create(membership=personas.membership(personas.carla), acting_user=personas.carla, programme=programme,
                                 name="Pruebas de VIH", measure="tests_done", target=1000, activity_kind="testing_day")
    venue = make_venue(personas, "Sauna Azul")
    return programme, indicator, venue


def plain_tally(org):
    FormSetting.objects.update_or_create(organisation=org, form_id="activity_tally", defaults={"encrypted": False, "route": Route.ACTIVITY})


def answers_for(programme, venue, /, **overrides):
    answers = {
        "kind": "testing_day", "held_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "venue": f"v{venue.pk}", "programme": f"p{programme.pk}",
        "participants_sex_workers": "18", "participants_trans_women": "7", "participants_other": "2",
        "condoms": "300", "lubricants": "120", "leaflets": "40",
        "tests_done": "25", "tests_reactive": "2", "tests_confirmed": "1", "notes": "Buena acogida del administrador.",
    }
    answers.update(overrides)
    return answers


def _nothing_saved(org):
    return not Submission.objects.filter(organisation=org).exists() and not Activity.objects.filter(organisation=org).exists()


def test_a_tally_sent_from_the_phone_becomes_an_activity_and_moves_the_indicator(personas, phone, campaign):
    programme, indicator, venue = campaign
    plain_tally(personas.org)
    assert indicator_value(indicator) == 0
    xform = phone.forms()["activity_tally"]
    assert b"Sauna Azul" in xform and f"<name>v{venue.pk}</name>".encode() in xform
    xml, instance_id = fill_instance(xform, answers_for(programme, venue))
    response = phone.submit(xml, xml_name="tally.xml")
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(instance_id=instance_id)
    activity = submission.activity
    assert submission.status == SubmissionStatus.MAPPED and submission.incident is None
    assert activity.kind == "testing_day" and activity.venue == venue and activity.programme == programme
    assert activity.district_id == venue.district_id and activity.held_on == timezone.localdate() - dt.timedelta(days=1)
    assert (activity.participants, activity.condoms, activity.lubricants, activity.leaflets) == (27, 300, 120, 40)
    assert (activity.tests_done, activity.tests_reactive, activity.tests_confirmed) == (25, 2, 1)
    assert activity.notes == "Buena acogida del administrador."
    # The phone's responsible member recorded it and facilitated it.
    assert activity.recorded_by == personas.dora and list(activity.facilitators.all()) == [personas.membership(personas.dora)]
    assert indicator_value(indicator) == 25


def test_the_coordinator_sees_which_activity_a_tally_became(personas, phone, campaign, login_as):
    programme, _indicator, venue = campaign
    plain_tally(personas.org)
    xml, instance_id = fill_instance(phone.forms()["activity_tally"], answers_for(programme, venue))
    assert phone.submit(xml).status_code == 201
    submission = Submission.objects.get(instance_id=instance_id)
    page = login_as(personas.carla).get(f"/odk/gestion/envios/{submission.pk}/").content.decode()
    assert 'id="activity">Jornada de pruebas' in page


def test_an_encrypted_tally_is_decrypted_and_recorded(personas, phone, campaign):
    programme, indicator, venue = campaign
    xform = phone.forms()["activity_tally"]
    key = services.form_key_current(organisation=personas.org)
    assert key.public_key.encode() in xform
    version = FormVersion.objects.get(organisation=personas.org, form_id="activity_tally", is_current=True).version
    xml, instance_id = fill_instance(xform, answers_for(programme, venue, tests_done="40", tests_reactive="0", tests_confirmed="0"))
    manifest, files = encrypt_like_collect(public_key_b64=key.public_key, form_id="activity_tally", version=version,
                                           instance_id=instance_id, submission_xml=xml, media=[])
    response = phone.submit(manifest, list(files.items()), xml_name="submission.xml")
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(instance_id=instance_id)
    assert submission.encrypted and submission.signature_valid is True and submission.activity.tests_done == 40
    assert indicator_value(indicator) == 40


def test_a_tally_in_the_street_takes_the_district_from_the_form(personas, phone, campaign):
    programme, indicator, _venue = campaign
    plain_tally(personas.org)
    xml, instance_id = fill_instance(phone.forms()["activity_tally"], answers_for(
        programme, _venue, kind="peer_outreach", venue="street", department="15", province="1501", district="150132",
        programme="none", tests_done="", tests_reactive="", tests_confirmed="",
    ))
    assert phone.submit(xml).status_code == 201
    activity = Submission.objects.get(instance_id=instance_id).activity
    assert activity.venue is None and activity.district_id == "150132" and activity.programme is None
    assert activity.kind == "peer_outreach" and activity.tests_done == 0 and activity.condoms == 300
    assert indicator_value(indicator) == 0


def test_sending_the_same_tally_twice_records_one_activity(personas, phone, campaign):
    programme, indicator, venue = campaign
    plain_tally(personas.org)
    xml, instance_id = fill_instance(phone.forms()["activity_tally"], answers_for(programme, venue))
    assert phone.submit(xml).status_code == 201
    again = phone.submit(xml)
    assert again.status_code == 202
    assert Submission.objects.filter(instance_id=instance_id).count() == 1
    assert Activity.objects.filter(organisation=personas.org).count() == 1 and indicator_value(indicator) == 25


def test_the_form_offers_only_the_organisations_active_venues_and_changes_version_with_them(personas, phone, campaign):
    _programme, _indicator, venue = campaign
    from amparo.programmes.services import venue_create

    venue_create(membership=personas.membership(personas.bruno, personas.other_org), acting_user=personas.bruno,
                 code_name="Hotel Misti", kind="hotel", district=district("040101"))
    first = phone.forms()["activity_tally"]
    assert b"Sauna Azul" in first and b"Hotel Misti" not in first
    venue_update(venue=venue, membership=personas.membership(personas.carla), acting_user=personas.carla, is_active=False)
    second = phone.forms()["activity_tally"]
    assert b"Sauna Azul" not in second
    versions = FormVersion.objects.filter(organisation=personas.org, form_id="activity_tally")
    assert versions.count() == 2 and versions.filter(is_current=True).count() == 1

    # A tally finished on the older form, at the venue since taken out of use, is still recorded.
    plain_tally(personas.org)
    xml, instance_id = fill_instance(first, answers_for(_programme, venue))
    assert phone.submit(xml).status_code == 201
    assert Submission.objects.get(instance_id=instance_id).activity.venue == venue


def _bad(programme, venue, other_venue, other_programme):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    return {
        "unknown venue": ({"venue": "v999999"}, "no está en la lista"),
        "another organisation's venue": ({"venue": f"v{other_venue.pk}"}, "no está en la lista"),
        "not a venue at all": ({"venue": "sauna azul"}, "Elija el local"),
        "another organisation's programme": ({"programme": f"p{other_programme.pk}"}, "no es de la organización"),
        "more reactive than done": ({"tests_done": "3", "tests_reactive": "5", "tests_confirmed": "0"}, "más resultados reactivos"),
        "more confirmed than reactive": ({"tests_reactive": "1", "tests_confirmed": "2"}, "más resultados confirmados"),
        "no kind": ({"kind": ""}, "tipo de actividad"),
        "unknown kind": ({"kind": "police_training"}, "tipo de actividad"),
        "no date": ({"held_on": ""}, "fecha de la actividad"),
        "not a date": ({"held_on": "2026-13-45"}, "No es una fecha"),
        "future date": ({"held_on": tomorrow}, "futur"),
        "street without district": ({"venue": "street"}, "necesitan su distrito"),
        "street with an unknown district": ({"venue": "street", "district": "999999"}, "necesitan su distrito"),
        "negative count": ({"condoms": "-4"}, "Entre 0 y"),
        "huge count": ({"leaflets": "5000000"}, "Entre 0 y"),
        "not a number": ({"participants_other": "muchas"}, "No es un número"),
    }


BAD_CASES = [
    "unknown venue", "another organisation's venue", "not a venue at all", "another organisation's programme",
    "more reactive than done", "more confirmed than reactive", "no kind", "unknown kind", "no date", "not a date",
    "future date", "street without district", "street with an unknown district", "negative count", "huge count", "not a number",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_a_bad_tally_is_refused_with_a_clear_4xx_and_nothing_is_saved(personas, phone, campaign, case):
    from amparo.programmes.services import programme_create, venue_create

    programme, indicator, venue = campaign
    bruno = personas.membership(personas.bruno, personas.other_org)
    other_venue = venue_create(membership=bruno, acting_user=personas.bruno, code_name="Hotel Misti", kind="hotel", district=district("040101"))
    other_programme = programme_create(membership=bruno, acting_user=personas.bruno, kind="grant", name="Fondo", starts_on=dt.date(2026, 1, 1),
                                       ends_on=dt.date(2026, 12, 31))
    plain_tally(personas.org)
    overrides, words = _bad(programme, venue, other_venue, other_programme)[case]
    xml, instance_id = fill_instance(phone.forms()["activity_tally"], answers_for(programme, venue, **overrides))
    response = phone.submit(xml)
    assert response.status_code == 400, response.content
    body = response.content.decode()
    assert "No se registró el conteo" in body and words in body, body
    assert _nothing_saved(personas.org) and indicator_value(indicator) == 0


def test_a_bad_encrypted_tally_is_refused_too_and_nothing_is_saved(personas, phone, campaign):
    programme, indicator, venue = campaign
    xform = phone.forms()["activity_tally"]
    key = services.form_key_current(organisation=personas.org)
    version = FormVersion.objects.get(organisation=personas.org, form_id="activity_tally", is_current=True).version
    xml, instance_id = fill_instance(xform, answers_for(programme, venue, tests_done="1", tests_reactive="2"))
    manifest, files = encrypt_like_collect(public_key_b64=key.public_key, form_id="activity_tally", version=version,
                                           instance_id=instance_id, submission_xml=xml, media=[])
    response = phone.submit(manifest, list(files.items()), xml_name="submission.xml")
    assert response.status_code == 400 and "más resultados reactivos" in response.content.decode()
    assert _nothing_saved(personas.org)
    # Corrected on the phone and sent again (same instance), it is recorded.
    xml, _ = fill_instance(xform, answers_for(programme, venue, tests_done="3", tests_reactive="2"), instance_id=instance_id)
    manifest, files = encrypt_like_collect(public_key_b64=key.public_key, form_id="activity_tally", version=version,
                                           instance_id=instance_id, submission_xml=xml, media=[])
    assert phone.submit(manifest, list(files.items()), xml_name="submission.xml").status_code == 201
    assert indicator_value(indicator) == 3


def test_the_refusal_is_in_the_phones_language(personas, phone, campaign):
    programme, _indicator, venue = campaign
    plain_tally(personas.org)
    xml, _ = fill_instance(phone.forms()["activity_tally"], answers_for(programme, venue, tests_done="1", tests_reactive="2"))
    from amparo.openrosa.tests.collect import multipart_like_collect

    assert phone.request("HEAD", "/odk/lima/submission").status_code == 204
    body, content_type = multipart_like_collect("tally.xml", xml, [])
    english = phone.request("POST", "/odk/lima/submission", data=body, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and "The tally was not recorded" in english.content.decode()
    assert "more reactive results than tests done" in english.content.decode()


def test_a_tally_only_goes_to_activities(personas, login_as):
    client = login_as(personas.alicia)
    refused = client.post("/odk/gestion/formularios/activity_tally/", {"enabled": "on", "route": "incident"})
    assert refused.status_code == 400
    assert not FormSetting.objects.filter(organisation=personas.org, form_id="activity_tally").exists()
    assert client.post("/odk/gestion/formularios/activity_tally/", {"enabled": "on", "route": "activity"}).status_code == 302
    page = client.get("/odk/gestion/telefonos/").content.decode()
    assert 'id="route-activity_tally"><option value="activity" selected>' in page


def test_the_tally_xlsform_download_carries_the_organisations_venues(personas, login_as, campaign):
    response = login_as(personas.carla).get("/odk/gestion/formularios/activity_tally.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    import io

    from openpyxl import load_workbook

    choices = [tuple(row) for row in load_workbook(io.BytesIO(response.content))["choices"].iter_rows(values_only=True)]
    assert any(row[0] == "venue" and row[2] == "Sauna Azul" for row in choices)
    # The programme's name is sealed: the phone sees its type, period and number only.
    assert not any("Campaña de pruebas 2026" in str(row) for row in choices)
    assert any(row[0] == "programme" and row[2].startswith("Campaña ") and row[2].endswith(f"n.º {campaign[0].pk}") for row in choices)
