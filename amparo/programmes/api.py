"""JSON API of the Programmes app, with the same rules as the pages.

Reads go through the selectors (scoped by construction; "not found" and "not yours" are the
same 404); writes through the services (role checks, the one activity validation, audit rows).
Progress comes from the same selector as the programme page, so health results arrive already
protected by small-cell suppression. Errors use the one shape of amparo.api.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from amparo.accounts.models import Membership, Role
from amparo.api import ApiError
from amparo.audit import services as audit
from amparo.lib.inputs import PathId, QueryId
from amparo.places.models import District
from amparo.programmes import schemas, selectors, services
from amparo.programmes.models import COUNT_FIELDS, Activity, Indicator, Programme, Venue

router = Router()

PLANNERS = services.PLANNERS
RECORDERS = services.RECORDERS
PROGRESS_READERS = services.PROGRESS_READERS
SEALED_ACTIVITY_FIELDS = ["institution", "commitments", "notes"]
# Fields of a patch that may be set to null; any other null is refused.
NULLABLE = {"programme_id", "venue_id", "district", "pre_score_average", "post_score_average", "follow_up_on"}
LIST_LIMIT = 500


def _membership(request: HttpRequest, roles: Iterable[str]) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if membership.role not in roles:
        raise PermissionDenied
    return membership


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation", _("Some fields are not valid."), {field: [message]})


def _refuse_nulls(data: dict[str, Any]) -> None:
    nulls = sorted(name for name, value in data.items() if value is None and name not in NULLABLE)
    if nulls:
        raise ApiError(422, "validation", _("Some fields are not valid."), {name: [_("This field is required.")] for name in nulls})


# ---- looking up what an input names, in the caller's organisation --------------------------------


def _programme(membership: Membership, programme_id: int | None) -> Programme | None:
    if programme_id is None:
        return None
    found = selectors.programme_choices_for(membership=membership).filter(pk=programme_id).first()
    if found is None:
        raise _invalid("programme_id", _("Unknown programme."))
    return found


def _venue(membership: Membership, venue_id: int | None) -> Venue | None:
    if venue_id is None:
        return None
    found = selectors.venue_list_for(membership=membership).filter(pk=venue_id).first()
    if found is None:
        raise _invalid("venue_id", _("Unknown venue."))
    return found


def _district(membership: Membership, code: str, field: str = "district") -> District:
    found = selectors.district_choices_for(membership=membership).filter(pk=code).first()
    if found is None:
        raise _invalid(field, _("Unknown district, or outside your organisation's region."))
    return found


def _facilitators(membership: Membership, ids: list[int]) -> list[Membership]:
    found = list(Membership.objects.for_member(membership).filter(pk__in=ids, is_active=True).exclude(role=Role.ANALYST))
    if len(found) != len(set(ids)):
        raise _invalid("facilitator_ids", _("Unknown member."))
    return found


# ---- serialisers ---------------------------------------------------------------------------------


def _indicator_out(i: Indicator) -> dict[str, Any]:
    return {
        "id": i.pk, "programme_id": i.programme_id, "name": i.name, "measure": i.measure, "activity_kind": i.activity_kind,
        "target": i.target, "starts_on": i.starts_on, "ends_on": i.ends_on, "venue_id": i.venue_id, "standard": i.standard,
    }


def _shown(display: str) -> int | None:
    return int(display) if display.isdigit() else None


def _programme_out(membership: Membership, programme: Programme) -> dict[str, Any]:
    progress = []
    for p in selectors.programme_progress(membership=membership, programme=programme):
        shown = p.percent is not None  # withheld health totals carry no percent, projection or value
        progress.append({
            "indicator": _indicator_out(p.indicator), "value": p.value if shown else None, "display": p.display,
            "percent": p.percent, "projected": p.projected if shown else None, "projected_percent": p.projected_percent,
            "on_track": p.on_track if shown else None, "met": p.met if shown else None,
            "sites": [{"venue": s.label, "value": _shown(s.display), "display": s.display} for s in p.sites],
        })
    return {"id": programme.pk, "kind": programme.kind, "name": programme.name, "funder": programme.funder,
            "starts_on": programme.starts_on, "ends_on": programme.ends_on, "progress": progress}


def _venue_out(v: Venue, *, sealed: bool) -> dict[str, Any]:
    return {"id": v.pk, "code_name": v.code_name, "kind": v.kind, "district": v.district_id, "is_active": v.is_active,
            "address": v.address if sealed else None, "contact": v.contact if sealed else None}


def _activity_out(a: Activity) -> dict[str, Any]:
    out = {name: getattr(a, name) for name in (*COUNT_FIELDS, "scored_participants")}
    out.update({
        "id": a.pk, "programme_id": a.programme_id, "kind": a.kind, "held_on": a.held_on, "district": a.district_id,
        "venue_id": a.venue_id, "institution_kind": a.institution_kind,
        "pre_score_average": float(a.pre_score_average) if a.pre_score_average is not None else None,
        "post_score_average": float(a.post_score_average) if a.post_score_average is not None else None,
        "follow_up_on": a.follow_up_on, "recorded_by_id": a.recorded_by_id, "created_at": a.created_at,
    })
    return out


def _activity_detail(request: HttpRequest, a: Activity) -> dict[str, Any]:
    # The sealed fields leave the server here: say so in the audit log (which fields, never values).
    audit.record(actor=request.user, action="activity.viewed", target=a, fields=SEALED_ACTIVITY_FIELDS)
    out = _activity_out(a)
    out.update({"facilitator_ids": list(a.facilitators.values_list("pk", flat=True)),
                "institution": a.institution, "commitments": a.commitments, "notes": a.notes})
    return out


# ---- programmes ----------------------------------------------------------------------------------


@router.get("/programmes", response=list[schemas.ProgrammeOut], summary="Programmes with their indicators' progress")
def programmes_list(request: HttpRequest) -> list[dict[str, Any]]:
    membership = _membership(request, PROGRESS_READERS)
    programmes = selectors.programme_list_for(membership=membership)[:LIST_LIMIT]
    return [_programme_out(membership, p) for p in programmes]


@router.post("/programmes", response={201: schemas.ProgrammeOut}, summary="Create a programme")
def programmes_create(request: HttpRequest, payload: schemas.ProgrammeIn) -> Status:
    membership = _membership(request, PLANNERS)
    programme = services.programme_create(membership=membership, acting_user=request.user, **payload.dict())  # type: ignore[arg-type]
    return Status(201, _programme_out(membership, programme))


@router.get("/programmes/{programme_id}", response=schemas.ProgrammeOut, summary="A programme with its indicators' progress")
def programmes_get(request: HttpRequest, programme_id: PathId) -> dict[str, Any]:
    membership = _membership(request, PROGRESS_READERS)
    return _programme_out(membership, selectors.programme_get_for(membership=membership, programme_id=programme_id))


@router.patch("/programmes/{programme_id}", response=schemas.ProgrammeOut, summary="Change a programme")
def programmes_update(request: HttpRequest, programme_id: PathId, payload: schemas.ProgrammePatch) -> dict[str, Any]:
    membership = _membership(request, PLANNERS)
    data = payload.dict(exclude_unset=True)
    _refuse_nulls(data)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    services.programme_update(programme=programme, membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return _programme_out(membership, programme)


@router.delete("/programmes/{programme_id}", response={204: None}, summary="Delete a programme with no activities")
def programmes_delete(request: HttpRequest, programme_id: PathId) -> Status:
    membership = _membership(request, PLANNERS)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    services.programme_delete(programme=programme, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/programmes/{programme_id}/indicators", response={201: schemas.IndicatorOut}, summary="Add an indicator")
def indicators_create(request: HttpRequest, programme_id: PathId, payload: schemas.IndicatorIn) -> Status:
    membership = _membership(request, PLANNERS)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    data = payload.dict()
    data["venue"] = _venue(membership, data.pop("venue_id"))
    indicator = services.indicator_create(membership=membership, acting_user=request.user, programme=programme, **data)  # type: ignore[arg-type]
    return Status(201, _indicator_out(indicator))


# ---- venues --------------------------------------------------------------------------------------


@router.get("/venues", response=list[schemas.VenueOut], summary="Venues (addresses and contacts for planners only)")
def venues_list(request: HttpRequest) -> list[dict[str, Any]]:
    membership = _membership(request, RECORDERS)
    sealed = membership.role in PLANNERS
    return [_venue_out(v, sealed=sealed) for v in selectors.venue_list_for(membership=membership)[:LIST_LIMIT]]


@router.post("/venues", response={201: schemas.VenueOut}, summary="Add a venue")
def venues_create(request: HttpRequest, payload: schemas.VenueIn) -> Status:
    membership = _membership(request, PLANNERS)
    data = payload.dict()
    data["district"] = _district(membership, data["district"])
    venue = services.venue_create(membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, _venue_out(venue, sealed=True))


# ---- activities ----------------------------------------------------------------------------------


@router.get("/activities", response=list[schemas.ActivityOut], summary="Activities (documenters: the ones they recorded or facilitated)")
def activities_list(request: HttpRequest, programme_id: QueryId = None) -> list[dict[str, Any]]:
    membership = _membership(request, RECORDERS)
    activities = selectors.activity_list_for(membership=membership)
    if programme_id is not None:
        activities = activities.filter(programme_id=programme_id)
    return [_activity_out(a) for a in activities[:LIST_LIMIT]]


def _activity_values(membership: Membership, data: dict[str, Any], *, current: Activity | None = None) -> dict[str, Any]:
    """Ids in the input become the organisation's records; a blank district is the venue's."""
    if "programme_id" in data:
        data["programme"] = _programme(membership, data.pop("programme_id"))
    if "venue_id" in data:
        data["venue"] = _venue(membership, data.pop("venue_id"))
    if "facilitator_ids" in data:
        data["facilitators"] = _facilitators(membership, data.pop("facilitator_ids"))
    if current is None or "district" in data:
        code = data.pop("district", None)
        venue = data.get("venue", current.venue if current else None)
        if code:
            data["district"] = _district(membership, code)
        elif venue is not None:
            data["district"] = venue.district
        else:
            raise _invalid("district", _("Choose the district, or a venue."))
    return data


@router.post("/activities", response={201: schemas.ActivityDetailOut}, summary="Record an activity")
def activities_create(request: HttpRequest, payload: schemas.ActivityIn) -> Status:
    membership = _membership(request, RECORDERS)
    data = _activity_values(membership, payload.dict())
    activity = services.activity_record(membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, _activity_detail(request, activity))


@router.get("/activities/{activity_id}", response=schemas.ActivityDetailOut, summary="An activity")
def activities_get(request: HttpRequest, activity_id: PathId) -> dict[str, Any]:
    membership = _membership(request, RECORDERS)
    return _activity_detail(request, selectors.activity_get_for(membership=membership, activity_id=activity_id))


@router.patch("/activities/{activity_id}", response=schemas.ActivityDetailOut, summary="Change an activity")
def activities_update(request: HttpRequest, activity_id: PathId, payload: schemas.ActivityPatch) -> dict[str, Any]:
    membership = _membership(request, RECORDERS)
    data = payload.dict(exclude_unset=True)
    _refuse_nulls(data)
    with transaction.atomic():
        activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
        data = _activity_values(membership, data, current=activity)
        services.activity_update(activity=activity, membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return _activity_detail(request, activity)


@router.delete("/activities/{activity_id}", response={204: None}, summary="Delete an activity")
def activities_delete(request: HttpRequest, activity_id: PathId) -> Status:
    membership = _membership(request, RECORDERS)
    activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
    services.activity_delete(activity=activity, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    return Status(204, None)
