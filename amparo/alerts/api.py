"""JSON API for alarms, community alerts, the lookup and (anonymous) subscriptions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from amparo.accounts.models import Membership, Organisation
from amparo.alerts import selectors, services
from amparo.alerts.models import Alarm, AlarmSource, DetainedPerson
from amparo.alerts.schemas import (
    AckOut,
    AlarmDetailOut,
    AlarmIn,
    AlarmOut,
    AlertIn,
    AlertOut,
    DetainedIn,
    DetainedOut,
    LookupIn,
    LookupOut,
    PublicAlertOut,
    PublishIn,
    ReleaseIn,
    SubscribeIn,
    SubscribeOut,
    TokenIn,
    WithdrawIn,
)
from amparo.api import ApiError
from amparo.lib.inputs import PathId, RegionCode, Slug

router = Router()


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _detained_out(person: DetainedPerson) -> dict:
    reckoning = person.reckoning()
    return {
        "id": person.pk, "alarm": person.alarm_id, "code_name": person.code_name, "held_at": person.held_at,
        "basis": person.basis, "since": person.since, "released_at": person.released_at,
        "deadline": reckoning.deadline, "standing": reckoning.standing.value,
    }


@router.get("alerts/alarms", response=list[AlarmOut])
def alarm_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return list(selectors.alarm_list_for(membership=_membership(request)).defer(*Alarm.SENSITIVE_FIELDS)[:200])


@router.post("alerts/alarms", response={201: AlarmOut})
def alarm_create(request: HttpRequest, payload: AlarmIn):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    alarm = services.alarm_raise(
        organisation=membership.organisation, acting_user=membership.user, membership=membership,
        source=AlarmSource.API, **payload.dict(),
    )
    return Status(201, alarm)


@router.get("alerts/alarms/{alarm_id}", response=AlarmDetailOut)
def alarm_detail(request: HttpRequest, alarm_id: PathId):  # type: ignore[no-untyped-def]
    return selectors.alarm_read_for(membership=_membership(request), alarm_id=alarm_id)


@router.post("alerts/alarms/{alarm_id}/acknowledge", response=AckOut)
def alarm_acknowledge(request: HttpRequest, alarm_id: PathId):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    alarm = selectors.alarm_get_for(membership=membership, alarm_id=alarm_id)
    return services.alarm_acknowledge(alarm=alarm, membership=membership)


@router.post("alerts/alarms/{alarm_id}/close", response=AlarmOut)
def alarm_close(request: HttpRequest, alarm_id: PathId):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    alarm = selectors.alarm_get_for(membership=membership, alarm_id=alarm_id)
    return services.alarm_close(alarm=alarm, membership=membership)


@router.post("alerts/alarms/{alarm_id}/detained", response={201: DetainedOut})
def detained_add(request: HttpRequest, alarm_id: PathId, payload: DetainedIn):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    alarm = selectors.alarm_get_for(membership=membership, alarm_id=alarm_id)
    person = services.detained_add(alarm=alarm, membership=membership, **payload.dict())
    return Status(201, _detained_out(person))


@router.post("alerts/detained/{detained_id}/release", response=DetainedOut)
def detained_release(request: HttpRequest, detained_id: PathId, payload: ReleaseIn):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    person = selectors.detained_get_for(membership=membership, detained_id=detained_id)
    return _detained_out(services.detained_release(detained=person, membership=membership, released_at=payload.released_at))


@router.get("alerts/community", response=list[AlertOut])
def alert_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return list(selectors.alert_list_for(membership=_membership(request))[:200])


@router.post("alerts/community", response={201: AlertOut})
def alert_create(request: HttpRequest, payload: AlertIn):  # type: ignore[no-untyped-def]
    from amparo.records.selectors import incident_get_for

    membership = _membership(request)
    data = payload.dict()
    incident_id = data.pop("incident")
    incident = incident_get_for(membership=membership, incident_id=incident_id) if incident_id is not None else None
    return Status(201, services.alert_create(membership=membership, source_incident=incident, **data))


@router.get("alerts/community/{alert_id}", response=AlertOut)
def alert_detail(request: HttpRequest, alert_id: PathId):  # type: ignore[no-untyped-def]
    return selectors.alert_get_for(membership=_membership(request), alert_id=alert_id)


@router.post("alerts/community/{alert_id}/publish", response=AlertOut)
def alert_publish(request: HttpRequest, alert_id: PathId, payload: PublishIn):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    alert = selectors.alert_get_for(membership=membership, alert_id=alert_id)
    return services.alert_publish(alert=alert, membership=membership, **payload.dict())


@router.post("alerts/community/{alert_id}/withdraw", response=AlertOut)
def alert_withdraw(request: HttpRequest, alert_id: PathId, payload: WithdrawIn):  # type: ignore[no-untyped-def]
    membership = _membership(request)
    alert = selectors.alert_get_for(membership=membership, alert_id=alert_id)
    return services.alert_withdraw(alert=alert, membership=membership, reason=payload.reason)


@router.post("alerts/lookup", response=LookupOut)
def lookup(request: HttpRequest, payload: LookupIn):  # type: ignore[no-untyped-def]
    if bool(payload.phone.strip()) == bool(payload.plate.strip()):
        raise ApiError(422, "validation", _("Enter either a phone number or a plate."))
    try:
        found = selectors.alert_lookup_for(membership=_membership(request), phone=payload.phone, plate=payload.plate)
    except ValueError:
        field = "phone" if payload.phone else "plate"
        raise ApiError(422, "validation", _("This is not a phone number or plate we can check."), {field: [_("Not valid.")]}) from None
    return {"found": bool(found), "matches": found}


# --- anonymous: under /api/v1/public/, where the middleware strips addresses ----------------


def _public_organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    return organisation


@router.post("public/alerts/{org}/subscriptions", response={202: SubscribeOut}, auth=None)
def subscribe(request: HttpRequest, org: Slug, payload: SubscribeIn):  # type: ignore[no-untyped-def]
    from amparo.alerts.public_views import SUBSCRIBE_LIMIT, over_limit

    organisation = _public_organisation(org)
    if over_limit(f"alerts:subscribe:{organisation.pk}", SUBSCRIBE_LIMIT):
        raise ApiError(429, "rate_limited", _("Too many requests. Please try again in a few minutes."))
    try:
        outcome = services.subscriber_subscribe(
            organisation=organisation, channel=payload.channel, address=payload.address,
            region_codes=payload.regions, language=payload.language,
        )
    except PermissionDenied:
        raise Http404 from None
    return Status(202, {"needs_confirmation": outcome.needs_confirmation})


@router.post("public/alerts/unsubscribe", response={204: None}, auth=None)
def unsubscribe(request: HttpRequest, payload: TokenIn):  # type: ignore[no-untyped-def]
    if not services.subscriber_unsubscribe(token=payload.token):
        raise Http404
    return Status(204, None)


@router.get("public/alerts/{org}/{region}", response=list[PublicAlertOut], auth=None)
def public_alerts(request: HttpRequest, org: Slug, region: RegionCode):  # type: ignore[no-untyped-def]
    organisation = _public_organisation(org)
    if not services.alert_settings_for(organisation).public_alerts:
        raise Http404
    return selectors.public_alerts_for(organisation=organisation, region_code=region)
