"""Reads of alarms and alerts, scoped by construction: "missing" and "not yours" are both 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from amparo.accounts.models import Membership, Organisation, Role
from amparo.alerts.lib import normalise
from amparo.alerts.models import (
    Alarm,
    AlarmStatus,
    AlertStatus,
    CommunityAlert,
    DetainedPerson,
    OnCallShift,
)
from amparo.alerts.services import MANAGER_ROLES, RESPONDER_ROLES
from amparo.audit import services as audit
from amparo.vault.crypto import blind_index

LOOKUP_ROLES = {Role.DOCUMENTER, Role.COORDINATOR, Role.ADMIN, Role.LAWYER}


def alarm_list_for(*, membership: Membership) -> QuerySet[Alarm]:
    """Responders see every alarm of their organisation; a documenter, the ones they raised."""
    base = Alarm.objects.for_member(membership).select_related("district")
    if membership.role in RESPONDER_ROLES:
        return base
    if membership.role == Role.DOCUMENTER:
        return base.filter(raised_by_id=membership.user_id)
    return base.none()


def alarms_waiting_for(*, membership: Membership) -> list[Alarm]:
    """Open alarms nobody has answered yet, for the members who respond to them (home page)."""
    if membership.role not in RESPONDER_ROLES:
        return []
    return list(
        alarm_list_for(membership=membership)
        .filter(status=AlarmStatus.OPEN)
        .select_related("incident")
        .defer(*Alarm.SENSITIVE_FIELDS, *(f"incident__{f}" for f in ("narrative", "perpetrator_details", "contact_preference")))
        .order_by("raised_at")[:20]
    )


def responded_incident_ids(*, membership: Membership) -> QuerySet[Any]:
    """Incidents of the alarms this member said she is responding to: a lawyer on call who
    answers a raid may then read its incident and its people (records' lawyer scope uses it)."""
    from amparo.alerts.models import AlarmAcknowledgement

    return AlarmAcknowledgement.objects.filter(
        organisation_id=membership.organisation_id, membership_id=membership.pk, alarm__incident__isnull=False
    ).values("alarm__incident_id")


def alarm_get_for(*, membership: Membership, alarm_id: int) -> Alarm:
    alarm = alarm_list_for(membership=membership).filter(pk=alarm_id).first()
    if alarm is None:
        raise Http404
    return alarm


def alarm_read_for(*, membership: Membership, alarm_id: int) -> Alarm:
    """The alarm with its sealed fields, recording that they were read."""
    alarm = alarm_get_for(membership=membership, alarm_id=alarm_id)
    audit.record(actor=membership.user, action="alarm.viewed", target=alarm, fields=Alarm.SENSITIVE_FIELDS)
    return alarm


def detained_get_for(*, membership: Membership, detained_id: int) -> DetainedPerson:
    """A detention the member may read: through its alarm, or through its incident."""
    found = (
        DetainedPerson.objects.select_related("alarm", "incident").get_for_member(membership, pk=detained_id)
    )
    if found.alarm_id is not None and alarm_list_for(membership=membership).filter(pk=found.alarm_id).exists():
        return found
    if found.incident_id is not None:
        from amparo.records.selectors import incident_get_for

        incident_get_for(membership=membership, incident_id=found.incident_id)
        return found
    raise Http404


def alarm_detainees(*, alarm: Alarm) -> QuerySet[DetainedPerson]:
    """The people held: logged on the alarm, or on its incident (one record each, never a copy)."""
    query = Q(alarm=alarm)
    if alarm.incident_id is not None:
        query |= Q(incident_id=alarm.incident_id)
    return DetainedPerson.objects.filter(query, organisation_id=alarm.organisation_id)  # scoped by the alarm, read for a member.order_by("since", "pk")


def incident_detentions_for(*, membership: Membership, incident: Any) -> dict[str, Any]:
    """What the incident page shows of rapid response: its detentions (with where each stands
    against its legal limit) and its alarms. `incident` was read through the records scope."""
    if membership.role not in (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER):
        return {"detentions": [], "alarms": []}
    now = timezone.now()
    detentions = DetainedPerson.objects.for_member(membership).filter(
        Q(incident=incident) | Q(alarm__incident=incident)
    ).order_by("since", "pk")
    alarms = list(alarm_list_for(membership=membership).filter(incident=incident).defer(*Alarm.SENSITIVE_FIELDS))
    if detentions:
        audit.record(actor=membership.user, action="detention.viewed", target=incident, fields=list(DetainedPerson.SENSITIVE_FIELDS))
    return {"detentions": [(d, d.reckoning(now)) for d in detentions], "alarms": alarms}


def shift_list_for(*, membership: Membership) -> QuerySet[OnCallShift]:
    if membership.role not in MANAGER_ROLES | RESPONDER_ROLES:
        raise PermissionDenied
    return OnCallShift.objects.for_member(membership).select_related("membership__user")


def shift_get_for(*, membership: Membership, shift_id: int) -> OnCallShift:
    found = shift_list_for(membership=membership).filter(pk=shift_id).first()
    if found is None:
        raise Http404
    return found


def alert_list_for(*, membership: Membership) -> QuerySet[CommunityAlert]:
    """Moderators see all alerts of their organisation; others, the alerts they proposed."""
    base = CommunityAlert.objects.for_member(membership).select_related("region")
    if membership.role in MANAGER_ROLES:
        return base
    if membership.role in (Role.DOCUMENTER, Role.LAWYER):
        return base.filter(created_by_id=membership.user_id)
    return base.none()


def alert_get_for(*, membership: Membership, alert_id: int) -> CommunityAlert:
    alert = alert_list_for(membership=membership).filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return alert


def alert_lookup_for(*, membership: Membership, phone: str = "", plate: str = "") -> list[CommunityAlert]:
    """Live published alerts of the organisation matching one phone number or plate, by blind
    index: the check answers for one value and never lists the alerts."""
    if membership.role not in LOOKUP_ROLES:
        raise PermissionDenied
    org_id = membership.organisation_id
    query = CommunityAlert.objects.filter(
        organisation_id=org_id, status=AlertStatus.PUBLISHED, expires_at__gt=timezone.now()
    ).select_related("region")
    if phone:
        index = blind_index(normalise.phone(phone), org_id=org_id, kind="alerts.phone")
        query = query.filter(phone_index=index)
        field = "phone"
    elif plate:
        index = blind_index(normalise.plate(plate), org_id=org_id, kind="alerts.plate")
        query = query.filter(plate_index=index)
        field = "plate"
    else:
        raise ValueError("nothing to look up")
    found = list(query[:20])
    audit.record(
        actor=membership.user, action="alert.lookup", organisation_id=org_id, fields=[field],
        detail={"matches": len(found)},
    )
    return found


def public_alerts_for(*, organisation: Organisation, region_code: str) -> list[CommunityAlert]:
    """What the public sees: live, moderated alerts of one region. Nothing else, ever."""
    return list(
        CommunityAlert.objects.filter(
            organisation=organisation,
            region_id=region_code,
            status=AlertStatus.PUBLISHED,
            expires_at__gt=timezone.now(),
        )
        .select_related("region")
        .order_by("-published_at")[:50]
    )
