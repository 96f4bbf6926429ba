"""Spam and merge ask first and can be undone for 30 days; the purge job deletes what they kept;
withdrawal still deletes at once; what a reporter adds after triage reaches the incident;
duplicate suggestions weigh place and say why.

Carla coordinates Lima and triages; Dora documents (no triage); Bruno coordinates Arequipa and
sees none of Lima's reports.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from amparo.audit.models import AuditEvent
from amparo.evidence.models import CustodyAction, EvidenceFile
from amparo.intake import services
from amparo.intake.models import Report, ReportMessage, TriageUndo
from amparo.intake.selectors import duplicate_candidates
from amparo.intake.tasks import intake_purge_undo_expired
from amparo.intake.tests.helpers import NARRATIVE, jpeg_with_gps, submit
from amparo.records.models import Incident
from conftest import login, make_incident

pytestmark = pytest.mark.django_db

BADGE = "La placa del sereno era SZ-4471."


@pytest.fixture
def report(personas, client):
    assert submit(client, files=[SimpleUploadedFile("a.jpg", jpeg_with_gps())]).status_code == 201
    return Report.objects.get()


def _later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


# --- Confirmation ------------------------------------------------------------------------


def test_spam_without_confirmation_only_shows_what_would_happen(personas, client, report):
    login(client, personas.carla)
    r = client.get(reverse("intake:triage_spam", args=[report.pk]))
    assert r.status_code == 200 and 'name="confirm"' in r.content.decode()
    assert "30" in r.content.decode()  # says how long it can be undone
    assert client.post(reverse("intake:triage_spam", args=[report.pk]), {"confirm": ""}).status_code == 200
    assert Report.objects.get().status == Report.Status.NEW and not TriageUndo.objects.exists()


def test_merge_without_confirmation_only_shows_what_would_happen(personas, client, report):
    incident = make_incident(personas.org, personas.dora)
    login(client, personas.carla)
    r = client.post(reverse("intake:triage_merge", args=[report.pk]), {"incident": incident.reference})
    assert r.status_code == 200 and incident.reference in r.content.decode()
    incident.refresh_from_db()
    assert Report.objects.get().status == Report.Status.NEW and NARRATIVE not in incident.narrative


def test_confirmation_pages_are_for_triage_roles_of_the_organisation_only(personas, client, report):
    login(client, personas.dora)
    assert client.get(reverse("intake:triage_spam", args=[report.pk])).status_code == 403
    assert client.post(reverse("intake:triage_undo", args=[report.pk])).status_code == 403
    login(client, personas.bruno)
    assert client.get(reverse("intake:triage_spam", args=[report.pk])).status_code == 404
    assert client.post(reverse("intake:triage_undo", args=[report.pk])).status_code == 404


# --- Undo --------------------------------------------------------------------------------


def test_undoing_spam_puts_the_report_back_in_the_queue_with_its_content(personas, client, report):
    services.report_mark_spam(report=report, acting_user=personas.carla)
    login(client, personas.carla)
    r = client.post(reverse("intake:triage_undo", args=[report.pk]))
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.NEW and report.narrative == NARRATIVE and report.triaged_by is None
    assert EvidenceFile.objects.get().deleted_at is None
    assert TriageUndo.objects.get().undone_at is not None
    assert AuditEvent.objects.filter(action="intake.report.spam_undone", actor_id=personas.carla.pk).exists()
    # Once undone, there is nothing left to undo: a clear 409, nothing changed.
    r = client.post(reverse("intake:triage_undo", args=[report.pk]))
    assert r.status_code == 409 and "ya no se puede deshacer" in r.content.decode()
    assert Report.objects.get().status == Report.Status.NEW


def test_undoing_a_merge_takes_back_exactly_what_it_added(personas, client, report):
    incident = make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 14), district="150122")
    before = incident.narrative
    services.report_add_information(report=report, text=BADGE, uploads=[])
    services.report_merge(report=report, incident=incident, acting_user=personas.carla)
    incident = Incident.objects.get(pk=incident.pk)
    assert NARRATIVE in incident.narrative and BADGE in incident.narrative
    assert set(incident.violations.values_list("code", flat=True)) == {"arbitrary_detention", "physical_assault", "confiscation"}
    photo = EvidenceFile.objects.get()
    assert photo.incident_id == incident.pk
    # What she adds after the merge reaches the incident, and undoing takes it back too.
    services.report_add_information(report=Report.objects.get(), text="Y volvió al día siguiente.", uploads=[])
    assert "Y volvió al día siguiente." in Incident.objects.get(pk=incident.pk).narrative

    undone = services.report_triage_undo(report=report, acting_user=personas.carla)
    assert undone.narrative_intact
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.narrative == before
    assert set(incident.violations.values_list("code", flat=True)) == {"arbitrary_detention"}
    photo.refresh_from_db()
    assert photo.incident_id is None and photo.deleted_at is None
    assert list(photo.custody.values_list("action", flat=True)) == [
        CustodyAction.STORED, CustodyAction.VERIFIED, CustodyAction.VERIFIED
    ]
    report.refresh_from_db()
    assert report.status == Report.Status.NEW and report.incident is None
    assert ReportMessage.objects.filter(report=report).count() == 2  # the report keeps its messages


def test_undoing_a_merge_after_the_narrative_was_edited_says_to_review_it(personas, client, report):
    from amparo.records.services import incident_update

    incident = make_incident(personas.org, personas.dora)
    services.report_merge(report=report, incident=incident, acting_user=personas.carla)
    incident = Incident.objects.get(pk=incident.pk)
    incident_update(incident=incident, acting_user=personas.carla, narrative=incident.narrative.replace("Los serenos", "Dos serenos"))
    login(client, personas.carla)
    r = client.post(reverse("intake:triage_undo", args=[report.pk]), follow=True)
    assert r.status_code == 200 and incident.reference in r.content.decode()
    assert "Dos serenos" in Incident.objects.get(pk=incident.pk).narrative  # her edit is not thrown away
    assert Report.objects.get().status == Report.Status.NEW


def test_it_cannot_be_undone_after_thirty_days(personas, report):
    services.report_mark_spam(report=report, acting_user=personas.carla)
    TriageUndo.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(services.ActionRefused):
        services.report_triage_undo(report=report, acting_user=personas.carla)
    assert Report.objects.get().status == Report.Status.SPAM


def test_accepting_cannot_be_undone(personas, client, report):
    services.report_accept(report=report, acting_user=personas.carla)
    login(client, personas.carla)
    assert client.post(reverse("intake:triage_undo", args=[report.pk])).status_code == 409
    assert Report.objects.get().status == Report.Status.ACCEPTED


# --- Purge job ---------------------------------------------------------------------------


def test_the_purge_job_deletes_spam_content_after_thirty_days_and_is_idempotent(personas, client, report):
    services.report_mark_spam(report=report, acting_user=personas.carla)
    assert services.triage_purge_expired(now=_later(29)) == 0
    assert Report.objects.get().narrative == NARRATIVE

    assert services.triage_purge_expired(now=_later(31)) == 1
    report.refresh_from_db()
    assert report.status == Report.Status.SPAM and report.narrative == "" and report.contact == ""
    assert EvidenceFile.objects.get().deleted_at is not None
    assert TriageUndo.objects.get().purged_at is not None
    assert AuditEvent.objects.filter(action="intake.report.spam_purged", actor_id=None).count() == 1
    assert services.triage_purge_expired(now=_later(32)) == 0  # twice does no harm
    assert AuditEvent.objects.filter(action="intake.report.spam_purged").count() == 1
    with pytest.raises(services.ActionRefused):
        services.report_triage_undo(report=report, acting_user=personas.carla)


def test_the_purge_job_forgets_merge_snapshots_and_spares_undone_decisions(personas, client, report):
    incident = make_incident(personas.org, personas.dora)
    services.report_merge(report=report, incident=incident, acting_user=personas.carla)
    submit(client, narrative="Otro reporte que no es spam")
    second = Report.objects.exclude(pk=report.pk).get()
    services.report_mark_spam(report=second, acting_user=personas.carla)
    services.report_triage_undo(report=second, acting_user=personas.carla)
    TriageUndo.objects.update(expires_at=timezone.now() - datetime.timedelta(days=1))

    assert intake_purge_undo_expired.call_local() == 1  # the periodic job itself
    merge = TriageUndo.objects.get(action=TriageUndo.Action.MERGE)
    assert merge.purged_at is not None and merge.snapshot in ({}, "", None)
    assert NARRATIVE in Incident.objects.get(pk=incident.pk).narrative  # the merge itself stays
    assert Report.objects.get(pk=second.pk).narrative == "Otro reporte que no es spam"


# --- Withdrawal --------------------------------------------------------------------------


def test_withdrawal_deletes_content_at_once_even_while_spam_could_be_undone(personas, report):
    services.report_mark_spam(report=report, acting_user=personas.carla)
    services.report_withdraw(report=report)
    report.refresh_from_db()
    assert report.status == Report.Status.WITHDRAWN and report.narrative == "" and report.contact == ""
    assert EvidenceFile.objects.get().deleted_at is not None
    assert TriageUndo.objects.get().purged_at is not None
    with pytest.raises(services.ActionRefused):
        services.report_triage_undo(report=report, acting_user=personas.carla)


def test_withdrawal_deletes_the_reports_content_but_not_the_incident_made_from_it(personas, report):
    services.report_add_information(report=report, text=BADGE, uploads=[])
    services.report_accept(report=report, acting_user=personas.carla)
    services.report_withdraw(report=Report.objects.get())
    report.refresh_from_db()
    assert report.narrative == "" and not report.messages.exists()
    assert BADGE in report.incident.narrative  # the organisation's record is reviewed by a person


# --- Follow-ups after triage reach the incident ------------------------------------------


def test_accepting_carries_every_follow_up_and_file_and_later_ones_reach_the_incident(personas, client, report):
    services.report_add_information(report=report, text=BADGE, uploads=[SimpleUploadedFile("b.jpg", jpeg_with_gps())])
    services.report_reply(report=report, acting_user=personas.carla, body="Gracias, ¿recuerda la hora?")
    report = services.report_accept(report=Report.objects.get(), acting_user=personas.carla, code_name="Colibrí")
    incident = report.incident
    assert incident.narrative.startswith(NARRATIVE) and BADGE in incident.narrative
    assert "recuerda la hora" not in incident.narrative  # the organisation's replies stay in the conversation
    assert incident.evidence.count() == 2
    with override("en"):  # she reads the follow-up page in English; the incident stays in Spanish
        services.report_add_information(report=report, text="Eran las diez de la noche.", uploads=[SimpleUploadedFile("c.jpg", jpeg_with_gps())])
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.narrative.endswith("Eran las diez de la noche.") and incident.evidence.count() == 3
    assert incident.narrative.count(f"Agregado por quien envió {report.reference}") == 2
    # The incident's page shows the conversation to whoever may see the incident, once opened.
    login(client, personas.carla)
    page = client.get(reverse("records:incident_detail", args=[incident.pk])).content.decode()
    assert report.reference in page and "Eran las diez" not in page
    page = client.get(reverse("records:incident_detail", args=[incident.pk]) + "?mostrar=1").content.decode()
    assert "Eran las diez de la noche." in page and "recuerda la hora" in page
    assert AuditEvent.objects.filter(action="intake.report.viewed", actor_id=personas.carla.pk).exists()


# --- Duplicate suggestions ---------------------------------------------------------------


def test_suggestions_weigh_place_and_say_why(personas, client, report):
    # The report: 14 March 2025, Miraflores (Lima), physical assault and confiscation.
    near = make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 13), district="150122",
                         violation_codes=["physical_assault"])
    same_province = make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 14), district="150101",
                                  violation_codes=["physical_assault"])
    far = make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 14), district="040101",
                        violation_codes=["physical_assault", "confiscation"])
    with override("es"):
        found = duplicate_candidates(membership=personas.membership(personas.carla), report=report)
    assert [c.obj for c in found] == [near, same_province]  # never another region while these fit
    assert found[0].why == "mismo distrito, 1 día antes, misma vulneración"
    assert found[1].why == "misma provincia, mismo día, misma vulneración"
    assert far not in [c.obj for c in found]


def test_another_region_is_suggested_only_when_nothing_else_fits(personas, client, report):
    far = make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 15), district="040101",
                        violation_codes=["physical_assault", "confiscation"])
    make_incident(personas.org, personas.dora, occurred_on=datetime.date(2025, 3, 17), district="150122",
                  violation_codes=["threat"])  # same district, but nothing else in common: not a duplicate
    with override("es"):
        found = duplicate_candidates(membership=personas.membership(personas.carla), report=report)
    assert [c.obj for c in found] == [far]
    assert found[0].why == "otra región, 1 día después, 2 vulneraciones en común"
    login(client, personas.carla)
    assert "otra región" in client.get(reverse("intake:triage_detail", args=[report.pk])).content.decode()


def test_suggestions_never_cross_organisations(personas, client, report):
    make_incident(personas.other_org, personas.bruno, occurred_on=datetime.date(2025, 3, 14), district="150122",
                  violation_codes=["physical_assault"])
    assert duplicate_candidates(membership=personas.membership(personas.carla), report=report) == []


def test_the_incidents_staff_see_the_conversation_and_others_do_not(personas, client, report):
    from amparo.records.services import incident_assign

    services.report_add_information(report=report, text=BADGE, uploads=[])
    report = services.report_accept(report=Report.objects.get(), acting_user=personas.carla)
    incident_assign(incident=report.incident, assignee=personas.dora, acting_user=personas.carla)
    url = reverse("records:incident_detail", args=[report.incident_id]) + "?mostrar=1"
    login(client, personas.dora)  # assigned documenter: sees it, but no link into the triage queue
    page = client.get(url).content.decode()
    assert BADGE in page and reverse("intake:triage_detail", args=[report.pk]) not in page
    login(client, personas.diana)  # another documenter: the incident is not hers
    assert client.get(url).status_code == 404
    login(client, personas.bruno)
    assert client.get(url).status_code == 404
