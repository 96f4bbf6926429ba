"""Referrals: consent first, the status flow, the lawyer's answer, the person's feedback."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from amparo.audit.models import AuditEvent
from amparo.response import selectors, services
from amparo.response.models import Referral, Service
from amparo.response.tests.factories import incident_with_person, local_service, move, refer

pytestmark = pytest.mark.django_db


def test_it_refuses_a_referral_of_identifying_data_without_consent(personas):
    incident, _person = incident_with_person(personas)
    service = local_service(personas)
    with pytest.raises(ValidationError) as exc:
        refer(personas, incident, service=service, consent=False, consent_method="")
    assert "consent_given" in exc.value.message_dict
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action="referral.created").exists()


def test_without_consent_only_an_anonymous_referral_is_possible_and_it_carries_no_note(personas):
    incident, _person = incident_with_person(personas)
    referral = refer(personas, incident, service=local_service(personas), consent=False, consent_method="",
                     shares_identifying_data=False, note="Se llama Rosa, vive en Lince")
    assert referral.shares_identifying_data is False and referral.note == ""


def test_a_referral_to_a_lawyer_always_shares_data_so_it_always_needs_consent(personas):
    incident, _person = incident_with_person(personas)
    with pytest.raises(ValidationError):
        refer(personas, incident, lawyer=personas.lucia, consent=False, consent_method="", shares_identifying_data=False)


def test_the_database_refuses_identifying_referrals_without_consent_too(personas):
    incident, _person = incident_with_person(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            organisation=personas.org, incident=incident, lawyer=personas.lucia, shares_identifying_data=True,
            consent_given=False, created_by=personas.carla,
        )


def test_it_records_who_took_the_consent_and_how(personas):
    incident, _person = incident_with_person(personas)
    referral = refer(personas, incident, consent_method="written")
    assert referral.consent_recorded_by == personas.carla and referral.consent_method == "written"
    assert referral.consent_recorded_at is not None
    with pytest.raises(ValidationError):
        refer(personas, incident, consent_method="telepathy")


def test_it_goes_proposed_sent_accepted_completed_with_timestamps_and_audit(personas):
    incident, _person = incident_with_person(personas)
    referral = refer(personas, incident)
    assert referral.status == "proposed"
    referral = move(personas, referral, "sent")
    assert referral.sent_at and referral.follow_up_on  # a default follow-up is set when sent
    referral = move(personas, referral, "accepted", "completed")
    assert referral.answered_at and referral.completed_at and referral.closed_at
    actions = list(AuditEvent.objects.filter(target_id=str(referral.pk), action__startswith="referral.").order_by("seq").values_list("action", flat=True))
    assert actions == ["referral.created", "referral.sent", "referral.accepted", "referral.completed"]


def test_it_refuses_skipping_steps_and_reopening(personas):
    incident, _person = incident_with_person(personas)
    referral = refer(personas, incident)
    with pytest.raises(ValidationError):
        move(personas, referral, "completed")
    referral = move(personas, referral, "sent", "declined")
    with pytest.raises(ValidationError):
        move(personas, referral, "accepted")


def test_only_the_lawyer_it_is_addressed_to_answers_it(personas):
    from conftest import make_user

    incident, _person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    other_lawyer = make_user("lorena", personas.org, "lawyer")
    with pytest.raises(PermissionDenied):
        services.referral_transition(referral=referral, membership=personas.membership(other_lawyer), acting_user=other_lawyer, status="accepted")
    with pytest.raises(PermissionDenied):  # a lawyer cannot send or withdraw for the organisation
        services.referral_transition(referral=referral, membership=personas.membership(personas.lucia), acting_user=personas.lucia, status="withdrawn")
    referral = move(personas, referral, "accepted", user=personas.lucia)
    assert referral.status == "accepted"


def test_analysts_cannot_refer(personas):
    incident, _person = incident_with_person(personas)
    with pytest.raises(PermissionDenied):
        refer(personas, incident, user=personas.ana)


def test_it_refuses_a_lawyer_or_service_of_another_organisation(personas):
    incident, _person = incident_with_person(personas)
    with pytest.raises(ValidationError):
        refer(personas, incident, lawyer=personas.bruno)
    arequipa_service = local_service(personas, org=personas.other_org, name="Servicio de Arequipa")
    with pytest.raises(ValidationError):
        refer(personas, incident, service=arequipa_service)


def test_it_refuses_an_incident_of_another_organisation(personas):
    incident, _person = incident_with_person(personas, org=personas.other_org)
    with pytest.raises(PermissionDenied):
        services.referral_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                 incident=incident, lawyer=personas.lucia, consent_given=True, consent_method="verbal")


def test_national_services_can_be_referred_to_by_every_organisation(personas):
    cem = Service.objects.get(organisation__isnull=True, code="CEM")
    for org, coordinator in ((personas.org, personas.carla), (personas.other_org, personas.bruno)):
        incident, _person = incident_with_person(personas, org=org)
        assert refer(personas, incident, service=cem, user=coordinator).service == cem


def test_feedback_feeds_the_per_service_figures(personas):
    service = local_service(personas)
    for rating, final in ((5, "completed"), (2, "completed"), (None, "declined")):
        incident, _person = incident_with_person(personas)
        referral = move(personas, refer(personas, incident, service=service), "sent", *(["accepted", final] if final == "completed" else [final]))
        if rating:
            services.referral_feedback_record(referral=referral, membership=personas.membership(personas.carla),
                                              acting_user=personas.carla, rating=rating, respectful=rating > 3, comment="Me trataron bien")
    stats = selectors.service_stats_for(membership=personas.membership(personas.carla), service_ids=[service.pk])[service.pk]
    assert (stats.referrals, stats.completed, stats.declined, stats.rated, stats.average_rating, stats.respectful) == (3, 2, 1, 2, 3.5, 1)
    # Arequipa sees its own figures only.
    assert selectors.service_stats_for(membership=personas.membership(personas.bruno, personas.other_org), service_ids=[service.pk])[service.pk].referrals == 0


def test_feedback_is_refused_before_sending_and_out_of_range(personas):
    incident, _person = incident_with_person(personas)
    referral = refer(personas, incident)
    m = personas.membership(personas.carla)
    with pytest.raises(ValidationError):
        services.referral_feedback_record(referral=referral, membership=m, acting_user=personas.carla, rating=4)
    referral = move(personas, referral, "sent")
    with pytest.raises(ValidationError):
        services.referral_feedback_record(referral=referral, membership=m, acting_user=personas.carla, rating=9)


def test_a_person_in_the_referral_must_belong_to_the_incident(personas):
    incident, _person = incident_with_person(personas)
    _other_incident, stranger = incident_with_person(personas, code_name="Otra")
    with pytest.raises(ValidationError):
        refer(personas, incident, person=stranger)
