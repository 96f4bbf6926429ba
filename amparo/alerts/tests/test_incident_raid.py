"""A raid recorded on the incident form (J3's server side): each person's role and harms, one
detention record per detained person (the alarm's own record, linked to the incident), the alarm
raised by "¿Está pasando ahora?", and closing an alarm only after confirming.

Personas (conftest): Dora documents in Lima (sees what she recorded), Diana too (not Dora's),
Lucía is Lima's lawyer (on call here), Carla coordinates, Bruno coordinates Arequipa.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from amparo.alerts import services
from amparo.alerts.models import Alarm, AlarmNotification, DetainedPerson
from amparo.alerts.tests.factories import on_call, raise_alarm
from amparo.records.models import Incident, IncidentPerson, Person
from conftest import login

pytestmark = pytest.mark.django_db


def raid_post(**overrides):  # type: ignore[no-untyped-def]
    since = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "occurred_on": timezone.localdate().isoformat(), "date_precision": "day", "department": "15",
        "violations": ["raid", "arbitrary_detention"], "perpetrators": ["pnp_officer"], "people_affected": "1",
        "reliability": "unknown", "consent_store": "on", "happening_now": "on",
        "gente-TOTAL_FORMS": "3", "gente-INITIAL_FORMS": "0", "gente-MIN_NUM_FORMS": "0", "gente-MAX_NUM_FORMS": "40",
        "gente-0-code_name": "Luna", "gente-0-role": "victim", "gente-0-harms": ["detained"],
        "gente-0-detained_since": since, "gente-0-held_at": "Comisaría de Lince",
        "gente-1-code_name": "Estrella", "gente-1-role": "victim", "gente-1-harms": ["detained", "injured"],
        "gente-2-code_name": "Brisa", "gente-2-role": "witness", "gente-2-harms": ["robbed"],
    }
    data.update(overrides)
    return data


def nothing_saved() -> bool:
    return not (Incident.objects.exists() or Person.objects.exists() or DetainedPerson.objects.exists() or Alarm.objects.exists())


def test_the_incident_form_records_each_person_her_detention_and_raises_the_alarm(personas, client, queue, smtp, django_capture_on_commit_callbacks):
    on_call(personas, personas.lucia)
    login(client, personas.dora)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("records:incident_create"), raid_post())
    assert response.status_code == 302
    incident = Incident.objects.get()
    roles = {link.person.code_name: (link.role, link.harms) for link in IncidentPerson.objects.select_related("person")}
    assert roles == {"Luna": ("victim", ["detained"]), "Estrella": ("victim", ["detained", "injured"]), "Brisa": ("witness", ["robbed"])}
    assert incident.people_affected == 2
    alarm = Alarm.objects.get()
    assert alarm.incident == incident and alarm.source == "incident" and alarm.kind == "raid" and alarm.people_count == 2
    held = {d.code_name: d for d in DetainedPerson.objects.all()}
    assert sorted(held) == ["Estrella", "Luna"]
    assert all(d.incident == incident and d.alarm == alarm for d in held.values())
    assert held["Luna"].held_at == "Comisaría de Lince"
    assert held["Luna"].reckoning().deadline == held["Luna"].since + timedelta(hours=4)
    # The on-call roster is called through the alarm service.
    queue.run()
    assert AlarmNotification.objects.filter(alarm=alarm, membership=personas.membership(personas.lucia), status="sent").exists()
    assert Incident.objects.count() == 1


def test_without_happening_now_no_alarm_is_raised_but_detentions_are_kept(personas, client):
    login(client, personas.dora)
    data = raid_post()
    del data["happening_now"]
    assert client.post(reverse("records:incident_create"), data).status_code == 302
    assert not Alarm.objects.exists()
    assert DetainedPerson.objects.filter(alarm__isnull=True, incident=Incident.objects.get()).count() == 2


@pytest.mark.parametrize("overrides, message", [
    ({"gente-1-code_name": ""}, "Dé un código a esta persona"),
    ({"gente-1-harms": ["kidnapped"]}, "kidnapped"),
    ({"gente-2-held_at": "Comisaría"}, "Márquela como detenida"),
    ({"gente-0-detained_since": "2099-01-01T10:00"}, "no puede estar en el futuro"),
    ({"gente-0-role": "boss"}, "boss"),
    ({"gente-TOTAL_FORMS": "500"}, "40"),
])
def test_a_bad_person_row_is_refused_with_a_400_and_nothing_is_saved(personas, client, overrides, message):
    login(client, personas.dora)
    response = client.post(reverse("records:incident_create"), raid_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_saved()


def test_the_count_of_people_affected_never_falls_below_the_people_listed(personas, client):
    from amparo.records.services import incident_update

    login(client, personas.dora)
    client.post(reverse("records:incident_create"), raid_post())
    incident = Incident.objects.get()
    with pytest.raises(ValidationError) as exc:
        incident_update(incident=incident, acting_user=personas.dora, people_affected=1)
    assert "people_affected" in exc.value.message_dict


def test_the_alarm_page_shows_its_incident_and_the_detainees_logged_on_it(personas, client):
    login(client, personas.dora)
    client.post(reverse("records:incident_create"), raid_post())
    alarm = Alarm.objects.get()
    login(client, personas.lucia)
    page = client.get(reverse("alerts:alarm_detail", args=[alarm.pk])).content.decode()
    assert alarm.incident.reference in page and "Luna" in page and "Estrella" in page


def test_the_lawyer_on_call_reads_the_incident_once_she_responds(personas, client):
    login(client, personas.dora)
    client.post(reverse("records:incident_create"), raid_post())
    alarm = Alarm.objects.get()
    login(client, personas.lucia)
    incident_url = reverse("records:incident_detail", args=[alarm.incident_id])
    assert client.get(incident_url).status_code == 404
    client.post(reverse("alerts:alarm_acknowledge", args=[alarm.pk]))
    assert client.get(incident_url).status_code == 200
    luna = Person.objects.get(code_name="Luna")
    assert client.get(reverse("records:person_detail", args=[luna.pk])).status_code == 200


def test_a_detention_is_released_only_by_those_who_may_see_it(personas, client):
    login(client, personas.dora)
    data = raid_post()
    del data["happening_now"]
    client.post(reverse("records:incident_create"), data)
    held = DetainedPerson.objects.get(code_name="Luna")
    url = reverse("alerts:detained_release", args=[held.pk])
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    for outsider in (personas.diana, personas.bruno):
        login(client, outsider)
        assert client.post(url, {"released_at": when}).status_code == 404
    assert DetainedPerson.objects.get(pk=held.pk).released_at is None
    login(client, personas.dora)
    assert client.post(url, {"released_at": "no es hora"}).status_code == 400
    response = client.post(url, {"released_at": when, "next": "incident"})
    assert response.status_code == 302 and response["Location"] == reverse("records:incident_detail", args=[held.incident_id])
    assert DetainedPerson.objects.get(pk=held.pk).released_at is not None


def test_a_detention_belongs_to_an_alarm_or_an_incident(personas):
    with pytest.raises(ValidationError):
        services.detained_add(membership=personas.membership(personas.carla), code_name="X", since=timezone.now())


def test_the_detail_page_adds_a_person_with_her_harms_and_detention(personas, client):
    login(client, personas.dora)
    data = raid_post()
    del data["happening_now"]
    client.post(reverse("records:incident_create"), data)
    incident = Incident.objects.get()
    url = reverse("records:incident_person_add", args=[incident.pk])
    person = {f"p-{f}": "not_said" for f in ("gender_identity", "age_band", "nationality", "migrant_status", "work_setting")}
    person["p-code_name"] = "Sol"
    refused = client.post(url, {**person, "r-role": "victim", "r-harms": ["detained", "nope"]})
    assert refused.status_code == 400 and not Person.objects.filter(code_name="Sol").exists()
    added = client.post(url, {**person, "r-role": "victim", "r-harms": ["detained", "threatened"], "r-held_at": "Comisaría de Surquillo"})
    assert added.status_code == 302, added.content.decode()[-1500:]
    link = IncidentPerson.objects.get(person__code_name="Sol")
    assert sorted(link.harms) == ["detained", "threatened"]
    assert DetainedPerson.objects.get(person=link.person).held_at == "Comisaría de Surquillo"
    assert Incident.objects.get().people_affected == 3


# --- closing asks first -------------------------------------------------------------------------


def test_closing_an_alarm_asks_first_and_works_without_javascript(personas, client):
    alarm = raise_alarm(personas)
    login(client, personas.lucia)
    url = reverse("alerts:alarm_close", args=[alarm.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="confirm" value="yes"' in page.content.decode()
    assert client.post(url).status_code == 400
    assert Alarm.objects.get().status == "open"
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert Alarm.objects.get().status == "closed"
    assert client.post(url, {"confirm": "yes"}).status_code == 409


def test_nobody_outside_closes_an_alarm(personas, client):
    alarm = raise_alarm(personas)
    for user, status in ((personas.bruno, 404), (personas.dora, 403)):
        login(client, user)
        assert client.post(reverse("alerts:alarm_close", args=[alarm.pk]), {"confirm": "yes"}).status_code == status
    assert Alarm.objects.get().status == "open"


def test_the_home_of_a_responder_lists_open_alarms_and_not_answered_ones(personas, client):
    alarm = raise_alarm(personas)
    login(client, personas.lucia)
    assert 'id="home-alarms"' in client.get("/").content.decode()
    client.post(reverse("alerts:alarm_acknowledge", args=[alarm.pk]))
    assert 'id="home-alarms"' not in client.get("/").content.decode()
    login(client, personas.dora)
    assert 'id="home-alarms"' not in client.get("/").content.decode()
