"""Staff and public pages: login, two-factor, roles, other organisations, bad input, and the
rule that public pages keep no address and show nothing unpublished."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.alerts import services
from amparo.alerts.models import (
    Alarm,
    AlarmStatus,
    AlertStatus,
    Channel,
    CommunityAlert,
    DetainedPerson,
    OnCallShift,
    Subscriber,
)
from amparo.alerts.tests.factories import on_call, propose_alert, publish, raise_alarm, subscribe
from amparo.audit.models import AuditEvent

STAFF_PAGES = [
    ("alerts:home", []),
    ("alerts:alarm_list", []),
    ("alerts:alarm_create", []),
    ("alerts:shift_list", []),
    ("alerts:settings", []),
    ("alerts:alert_list", []),
    ("alerts:alert_create", []),
    ("alerts:lookup", []),
    ("alerts:devices", []),
]


@pytest.mark.parametrize("name,args", STAFF_PAGES)
def test_staff_pages_require_login(personas, client, name, args) -> None:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/cuenta/" in response["Location"]


def test_staff_pages_require_two_factor(personas, client) -> None:
    client.force_login(personas.carla)  # password only, no TOTP step
    response = client.get(reverse("alerts:home"))
    assert response.status_code == 302 and "/cuenta/" in response["Location"]


@pytest.mark.parametrize("name,args", STAFF_PAGES)
def test_coordinators_reach_every_staff_page(personas, login_as, name, args) -> None:
    assert login_as(personas.carla).get(reverse(name, args=args)).status_code == 200


def test_analysts_reach_no_rapid_response_page(personas, login_as) -> None:
    client = login_as(personas.ana)
    for name, args in STAFF_PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name


def test_documenters_cannot_manage_the_roster_or_settings(personas, login_as) -> None:
    client = login_as(personas.dora)
    for name in ("alerts:shift_list", "alerts:settings", "alerts:devices"):
        assert client.get(reverse(name)).status_code == 403


def test_the_alarm_button_raises_an_alarm(personas, login_as, queue, django_capture_on_commit_callbacks) -> None:
    client = login_as(personas.dora)
    page = client.get(reverse("alerts:home"))
    assert b"alarm-button" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("alerts:alarm_create"),
            {"kind": "raid", "district": "150101", "place": "Jr. Ica", "people_count": "4", "description": "Redada"},
        )
    alarm = Alarm.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("alerts:alarm_detail", args=[alarm.pk])
    assert alarm.raised_by == personas.dora and alarm.source == "button" and alarm.people_count == 4
    assert queue.pending() == 1  # the dispatch job, queued after commit


@pytest.mark.parametrize(
    "data", [{}, {"kind": "raid", "people_count": "0"}, {"kind": "x", "people_count": "1"},
             {"kind": "raid", "people_count": "1", "district": "999999"}]
)
def test_bad_alarm_input_answers_400_and_saves_nothing(personas, login_as, data) -> None:
    response = login_as(personas.dora).post(reverse("alerts:alarm_create"), data)
    assert response.status_code == 400
    assert not Alarm.objects.exists()


def test_alarm_pages_hide_other_organisations_alarms(personas, login_as) -> None:
    alarm = raise_alarm(personas)
    client = login_as(personas.bruno)
    assert client.get(reverse("alerts:alarm_detail", args=[alarm.pk])).status_code == 404
    assert client.post(reverse("alerts:alarm_acknowledge", args=[alarm.pk])).status_code == 404
    assert b"Jr. Ica" not in client.get(reverse("alerts:alarm_list")).content


def test_a_documenter_sees_only_the_alarms_she_raised(personas, login_as) -> None:
    alarm = raise_alarm(personas, personas.dora)
    assert login_as(personas.diana).get(reverse("alerts:alarm_detail", args=[alarm.pk])).status_code == 404


def test_viewing_an_alarm_is_audited_and_shows_its_details(personas, login_as) -> None:
    alarm = raise_alarm(personas)
    response = login_as(personas.lucia).get(reverse("alerts:alarm_detail", args=[alarm.pk]))
    assert response.status_code == 200 and "Comisaría de Monserrate" in response.content.decode()
    event = AuditEvent.objects.filter(action="alarm.viewed").last()
    assert event.actor_id == personas.lucia.pk and "description" in event.fields


def test_a_lawyer_acknowledges_and_logs_a_detention(personas, login_as) -> None:
    alarm = raise_alarm(personas)
    client = login_as(personas.lucia)
    assert client.get(reverse("alerts:alarm_acknowledge", args=[alarm.pk])).status_code == 405
    assert client.post(reverse("alerts:alarm_acknowledge", args=[alarm.pk])).status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    since = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("alerts:detained_add", args=[alarm.pk]),
        {"code_name": "Girasol", "held_at": "Comisaría Alfonso Ugarte", "basis": "identity_check_foreign",
         "since": since, "distance_hours": "0"},
    )
    assert response.status_code == 302
    person = DetainedPerson.objects.get()
    page = client.get(reverse("alerts:alarm_detail", args=[alarm.pk])).content.decode()
    assert "Girasol" in page and "detention-within" in page
    bad = client.post(reverse("alerts:detained_release", args=[person.pk]), {"released_at": "ayer"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    person.refresh_from_db()
    assert person.released_at is None
    released = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("alerts:detained_release", args=[person.pk]), {"released_at": released})
    person.refresh_from_db()
    assert person.released_at is not None


def test_bad_detention_input_answers_400(personas, login_as) -> None:
    alarm = raise_alarm(personas)
    response = login_as(personas.lucia).post(
        reverse("alerts:detained_add", args=[alarm.pk]), {"code_name": "", "basis": "nope", "since": "yesterday"}
    )
    assert response.status_code == 400 and not DetainedPerson.objects.exists()


def test_a_coordinator_adds_and_removes_shifts(personas, login_as) -> None:
    client = login_as(personas.carla)
    lucia = personas.membership(personas.lucia)
    response = client.post(
        reverse("alerts:shift_list"),
        {"membership": lucia.pk, "weekdays": ["0", "1"], "start": "20:00", "end": "08:00", "level": "0"},
    )
    assert response.status_code == 302
    shift = OnCallShift.objects.get()
    assert shift.weekdays == "01" and shift.membership == lucia
    assert client.post(reverse("alerts:shift_list"), {"membership": lucia.pk}).status_code == 400
    other = on_call(personas, personas.carla)
    assert login_as(personas.bruno).post(reverse("alerts:shift_delete", args=[other.pk])).status_code == 404
    assert login_as(personas.lucia).post(reverse("alerts:shift_delete", args=[other.pk])).status_code == 403
    client = login_as(personas.carla)
    assert client.post(reverse("alerts:shift_delete", args=[shift.pk])).status_code == 302
    assert list(OnCallShift.objects.all()) == [other]


def test_settings_show_the_emergency_link_and_refuse_a_gateway_without_secret(personas, login_as) -> None:
    client = login_as(personas.alicia)
    token = services.alert_settings_for(personas.org).emergency_token
    assert f"/emergencia/{token}/" in client.get(reverse("alerts:settings")).content.decode()
    response = client.post(
        reverse("alerts:settings"), {"escalation_minutes": "5", "webhook_url": "https://gw.example/hook"}
    )
    assert response.status_code == 400
    assert client.post(reverse("alerts:settings"), {"escalation_minutes": "0"}).status_code == 400


def test_an_alert_goes_from_proposal_to_publication_to_withdrawal(personas, login_as) -> None:
    dora = login_as(personas.dora)
    response = dora.post(
        reverse("alerts:alert_create"),
        {"kind": "bad_date", "severity": "danger", "region": "15", "report": "Me golpeó", "phone": "987111222"},
    )
    alert = CommunityAlert.objects.get()
    assert response.status_code == 302 and alert.status == AlertStatus.PENDING
    assert dora.post(reverse("alerts:alert_publish", args=[alert.pk]), {}).status_code == 403
    carla = login_as(personas.carla)
    page = carla.get(reverse("alerts:alert_detail", args=[alert.pk])).content.decode()
    assert "Me golpeó" in page and "legal_basis" in page
    bad = carla.post(reverse("alerts:alert_publish", args=[alert.pk]), {"title": "Peligro"})
    assert bad.status_code == 400
    expires = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = carla.post(
        reverse("alerts:alert_publish", args=[alert.pk]),
        {"title": "Cliente peligroso", "public_text": "Cuidado", "severity": "danger", "legal_basis": "vital_interest",
         "legal_reason": "Riesgo", "expires_on": expires},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.PUBLISHED
    assert carla.post(reverse("alerts:alert_withdraw", args=[alert.pk]), {"reason": ""}).status_code == 400
    alert.refresh_from_db()
    assert alert.status == AlertStatus.PUBLISHED
    carla.post(reverse("alerts:alert_withdraw", args=[alert.pk]), {"reason": "Error"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.WITHDRAWN


def test_alert_pages_hide_other_organisations_and_other_documenters_alerts(personas, login_as) -> None:
    alert = propose_alert(personas, personas.dora)
    assert login_as(personas.bruno).get(reverse("alerts:alert_detail", args=[alert.pk])).status_code == 404
    assert login_as(personas.diana).get(reverse("alerts:alert_detail", args=[alert.pk])).status_code == 404


def test_the_lookup_page_answers_one_value_and_refuses_bad_input(personas, login_as) -> None:
    publish(personas, propose_alert(personas))
    client = login_as(personas.diana)
    hit = client.post(reverse("alerts:lookup"), {"phone": "987 111 222"})
    assert hit.status_code == 200 and "Cliente violento en Lince" in hit.content.decode()
    miss = client.post(reverse("alerts:lookup"), {"plate": "ZZZ999"})
    assert "Cliente violento" not in miss.content.decode()
    assert client.post(reverse("alerts:lookup"), {}).status_code == 400
    assert client.post(reverse("alerts:lookup"), {"phone": "1", "plate": "ABC123"}).status_code == 400
    assert client.post(reverse("alerts:lookup"), {"phone": "12"}).status_code == 400


# --- public pages --------------------------------------------------------------------------

TRACE = {"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "TraceableBrowser/1.0", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}


def _nothing_traceable_stored() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (test: table names from introspection)
            text = " ".join(str(v) for row in cursor.fetchall() for v in row)
            for trace in ("203.0.113.9", "198.51.100.7", "TraceableBrowser"):
                assert trace not in text, (table, trace)


def test_the_public_emergency_form_raises_an_alarm_and_keeps_no_address(personas, django_capture_on_commit_callbacks) -> None:
    client = Client(**TRACE)
    token = services.alert_settings_for(personas.org).emergency_token
    url = f"/emergencia/{token}/"
    page = client.get(url)
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store")
    assert not page.cookies  # no CSRF or session cookie handed to an anonymous visitor
    with django_capture_on_commit_callbacks():
        response = client.post(url, {"kind": "detention", "people_count": "2", "description": "Se las llevaron", "contact": ""})
    assert response.status_code == 200
    alarm = Alarm.objects.get()
    assert alarm.source == "public_form" and alarm.raised_by is None
    _nothing_traceable_stored()
    assert client.get("/emergencia/not-a-token/").status_code == 404
    assert client.post(url, {"kind": "detention", "people_count": "0"}).status_code == 400
    assert Alarm.objects.count() == 1


def test_the_emergency_form_renders_in_both_languages(personas) -> None:
    token = services.alert_settings_for(personas.org).emergency_token
    es = Client(HTTP_ACCEPT_LANGUAGE="es").get(f"/emergencia/{token}/").content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/emergencia/{token}/").content.decode()
    assert "Enviar alarma" in es and "Send alarm" in en


def test_subscribing_without_an_account(personas, django_capture_on_commit_callbacks) -> None:
    client = Client(**TRACE)
    page = client.get("/alertas/lima/")
    assert page.status_code == 200 and b"/alertas/lima/15.atom" in page.content
    with django_capture_on_commit_callbacks():
        response = client.post("/alertas/lima/", {"channel": "email", "address": "vecina@example.org", "regions": ["15"]})
    assert response.status_code == 200
    assert Subscriber.objects.get().channel == Channel.EMAIL
    _nothing_traceable_stored()
    assert client.post("/alertas/lima/", {"channel": "email", "address": "nope", "regions": ["15"]}).status_code == 400
    assert client.post("/alertas/lima/", {"channel": "email", "address": "a@b.org"}).status_code == 400
    assert client.get("/alertas/nadie/").status_code == 404


def test_confirmation_needs_a_click_not_just_opening_the_link(personas) -> None:
    outcome = services.subscriber_subscribe(
        organisation=personas.org, channel=Channel.EMAIL, address="v@example.org", region_codes=["15"]
    )
    url = reverse("alerts_public:confirm", args=[services.subscriber_token(outcome.subscriber, purpose="confirm")])
    client = Client()
    client.get(url)
    outcome.subscriber.refresh_from_db()
    assert outcome.subscriber.status == "pending"
    client.post(url)
    outcome.subscriber.refresh_from_db()
    assert outcome.subscriber.status == "active"


def test_one_click_unsubscribe_works_without_a_csrf_token(personas) -> None:
    subscriber = subscribe(personas, Channel.EMAIL, "vecina@example.org")
    url = reverse("alerts_public:unsubscribe", args=[services.subscriber_token(subscriber)])
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200 and Subscriber.objects.exists()
    assert client.post(url).status_code == 200
    assert not Subscriber.objects.exists()
    assert client.post(url).status_code == 404


def test_the_region_feed_shows_only_live_published_alerts_and_no_private_detail(personas) -> None:
    live = publish(personas, propose_alert(personas))
    propose_alert(personas, report="Pendiente de moderar")
    gone = publish(personas, propose_alert(personas), title="Retirada")
    services.alert_withdraw(alert=gone, membership=personas.membership(personas.carla), reason="Error")
    publish(personas, propose_alert(personas, region="04"), title="En Arequipa")
    response = Client(**TRACE).get("/alertas/lima/15.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert [e.find("a:id", ns).text for e in entries] == [f"urn:uuid:{live.uuid}"]
    text = response.content.decode()
    for private in ("Mariposa", "hostal", "987111222", "ABC123", "Pendiente", "Retirada", "En Arequipa", "Riesgo de nuevas"):
        assert private not in text
    assert Client().get("/alertas/lima/99.atom").status_code == 404


def test_the_service_worker_is_served_from_the_public_scope(personas) -> None:
    response = Client().get("/alertas/sw.js")
    assert response.status_code == 200 and b"showNotification" in response.content


def test_a_lawyer_registers_this_browser_for_alarm_notifications(personas, login_as) -> None:
    from amparo.alerts.models import StaffDevice
    from amparo.alerts.tests.receivers import Browser

    browser = Browser()
    body = {"endpoint": "https://push.example/abc", "keys": {"p256dh": browser.p256dh_b64, "auth": browser.auth_b64}}
    url = reverse("alerts:device_register")
    client = login_as(personas.lucia)
    assert client.post(url, body, content_type="application/json").status_code == 201
    assert client.post(url, body, content_type="application/json").status_code == 201  # same browser, one row
    assert StaffDevice.objects.count() == 1
    assert client.post(url, {"endpoint": "x"}, content_type="application/json").status_code == 400
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert login_as(personas.dora).post(url, body, content_type="application/json").status_code == 403
    page = login_as(personas.lucia).get(reverse("alerts:devices")).content.decode()
    assert "alerts/push.js" in page and "data-key=" in page


def test_an_alert_is_proposed_from_an_incident(personas, login_as) -> None:
    from conftest import make_incident

    incident = make_incident(personas.org, personas.dora)
    client = login_as(personas.dora)
    url = reverse("alerts:alert_create") + f"?incidente={incident.pk}"
    assert incident.reference in client.get(url).content.decode()
    client.post(url, {"kind": "bad_date", "severity": "warning", "region": "15", "report": "Me golpeó"})
    assert CommunityAlert.objects.get().source_incident == incident
    other = make_incident(personas.other_org, personas.bruno)
    assert client.get(reverse("alerts:alert_create") + f"?incidente={other.pk}").status_code == 404


def test_list_pages_do_not_query_once_per_row(personas, login_as, django_assert_max_num_queries) -> None:
    client = login_as(personas.carla)
    raise_alarm(personas)
    propose_alert(personas)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("alerts:alarm_list"))
        client.get(reverse("alerts:alert_list"))
    for _ in range(10):
        raise_alarm(personas)
        propose_alert(personas)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("alerts:alarm_list"))
        client.get(reverse("alerts:alert_list"))
