"""JSON API of the Response app, with the same permissions as the pages.

Reads go through the selectors (scoped by construction, 404 for missing and not-yours);
writes through the services (role checks, audit rows). Errors use the one shape of amparo.api.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from amparo.accounts.models import Membership, Role, User
from amparo.api import ApiError
from amparo.audit import services as audit
from amparo.lib.inputs import PathId, QueryId
from amparo.places.models import Department
from amparo.records import selectors as records_selectors
from amparo.response import schemas, selectors, services
from amparo.response.lib.directory import Need, ServiceKind
from amparo.response.lib.procedure import route_next_stages
from amparo.response.lib.referral_flow import ReferralStatus
from amparo.response.models import (
    CaseRoute,
    CaseStatus,
    Deadline,
    Hearing,
    LegalCase,
    Referral,
    SecurityRecord,
    Service,
)

router = Router()

STAFF = (Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER, Role.LAWYER)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def _membership(request: HttpRequest, roles: tuple[str, ...] | None = None) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if roles is not None and membership.role not in roles:
        raise PermissionDenied
    return membership


def _user_in_org(membership: Membership, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, memberships__organisation_id=membership.organisation_id, memberships__is_active=True).first()
    if user is None:
        raise ApiError(422, "validation", _("Some fields are not valid."), {"user": [_("Unknown member.")]})
    return user


# --------------------------------------------------------------------------- serialisers


def _service_out(s: Service, stats: selectors.ServiceStats | None = None) -> dict[str, Any]:
    return {
        "id": s.pk, "national": s.is_national, "code": s.code, "kind": s.kind, "name": s.name,
        "description": s.description, "department": s.department_id, "address": s.address, "hours": s.hours,
        "phone": s.phone, "email": s.email, "languages": s.languages, "needs": s.needs,
        "trans_friendly": s.trans_friendly, "treats_sex_workers_well": s.treats_sex_workers_well,
        "last_checked_on": s.last_checked_on, "verification": s.verification, "sources": s.sources,
        "stats": stats.__dict__ if stats else None,
    }


def _referral_out(r: Referral) -> dict[str, Any]:
    return {
        "id": r.pk, "status": r.status, "incident_id": r.incident_id,
        "incident_reference": r.incident.reference if r.incident is not None else None, "person_id": r.person_id,
        "service_id": r.service_id, "lawyer_id": r.lawyer_id, "need": r.need, "consent_given": r.consent_given,
        "shares_identifying_data": r.shares_identifying_data, "follow_up_on": r.follow_up_on,
        "assigned_to_id": r.assigned_to_id, "created_at": r.created_at, "sent_at": r.sent_at,
        "answered_at": r.answered_at, "completed_at": r.completed_at, "feedback_rating": r.feedback_rating,
    }


def _deadline_out(d: Deadline, now: Any) -> dict[str, Any]:
    return {
        "id": d.pk, "case_id": d.case_id, "title": d.title, "due_at": d.due_at, "done_at": d.done_at,
        "overdue": d.done_at is None and d.due_at < now, "assigned_to_id": d.assigned_to_id,
    }


def _route_out(r: CaseRoute) -> dict[str, Any]:
    return {
        "id": r.pk, "route": r.route, "stage": r.stage, "forum": r.forum, "started_on": r.started_on,
        "requested_at": r.requested_at, "decided_at": r.decided_at, "in_force_until": r.in_force_until,
        "outcome": r.outcome, "next_stages": list(route_next_stages(r.route, r.stage)),
    }


def _hearing_out(h: Hearing) -> dict[str, Any]:
    return {"id": h.pk, "scheduled_at": h.scheduled_at, "purpose": h.purpose, "held": h.held}


def _case_out(c: LegalCase) -> dict[str, Any]:
    return {
        "id": c.pk, "reference": c.reference, "status": c.status, "outcome": c.outcome, "lawyer_id": c.lawyer_id,
        "opened_on": c.opened_on, "overdue": bool(getattr(c, "is_overdue", False)), "next_due": getattr(c, "next_due", None),
    }


def _case_detail_out(membership: Membership, c: LegalCase) -> dict[str, Any]:
    now = timezone.now()
    annotated = selectors.case_list_for(membership=membership).get(pk=c.pk)
    out = _case_out(annotated)
    out.update({
        "title": c.title, "summary": c.summary, "perpetrator_details": c.perpetrator_details,
        "perpetrator_codes": c.perpetrator_codes,
        "incident_ids": list(c.incident_links.values_list("incident_id", flat=True)),
        "person_ids": list(c.person_links.values_list("person_id", flat=True)),
        "routes": [_route_out(r) for r in c.routes.all()],
        "deadlines": [_deadline_out(d, now) for d in selectors.case_deadlines(case=c)],
        "hearings": [_hearing_out(h) for h in c.hearings.all()],
        "timeline": [
            {"id": e.pk, "kind": e.kind, "occurred_at": e.occurred_at, "stage": e.stage, "route_id": e.route_id,
             "description": e.description}
            for e in selectors.case_timeline(case=c)
        ],
        "documents": [
            {"id": d.pk, "kind": d.kind, "evidence_uid": str(d.evidence.uid), "sha256_original": d.evidence.sha256_original,
             "sha256_stored": d.evidence.sha256_stored, "metadata_stripped": d.evidence.metadata_stripped, "added_at": d.added_at}
            for d in c.documents.select_related("evidence")
        ],
    })
    return out


def _security_out(r: SecurityRecord, with_measures: bool = False) -> dict[str, Any]:
    out = {
        "id": r.pk, "incident_id": r.incident_id, "defender_id": r.defender_id, "risk_level": r.risk_level,
        "status": r.status, "follow_up_on": r.follow_up_on, "measures": [],
    }
    if with_measures:
        out["measures"] = [
            {"id": m.pk, "kind": m.kind, "taken_on": m.taken_on, "description": m.description} for m in r.measures.all()
        ]
    return out


# --------------------------------------------------------------------------- directory


@router.get("/services", response=list[schemas.ServiceOut])
def services_list(
    request: HttpRequest,
    department: Annotated[str, Query(pattern=r"^(\d{2})?$")] = "",
    need: Annotated[Need | Literal[""], Query()] = "",
    kind: Annotated[ServiceKind | Literal[""], Query()] = "",
    q: Annotated[str, Query(max_length=80)] = "",
    trans_friendly: bool = False, sex_worker_friendly: bool = False,
) -> list[dict[str, Any]]:
    membership = _membership(request)
    filters = selectors.DirectoryFilters(
        department=department[:2], need=need[:24], kind=kind[:24], query=q[:80],
        trans_friendly=trans_friendly, sex_worker_friendly=sex_worker_friendly,
    )
    items = list(selectors.service_list_for(membership=membership, filters=filters)[:500])
    stats = selectors.service_stats_for(membership=membership, service_ids=[s.pk for s in items])
    return [_service_out(s, stats[s.pk]) for s in items]


@router.get("/services/{service_id}", response=schemas.ServiceOut)
def services_get(request: HttpRequest, service_id: PathId) -> dict[str, Any]:
    membership = _membership(request)
    service = selectors.service_get_for(membership=membership, service_id=service_id)
    return _service_out(service, selectors.service_stats_for(membership=membership, service_ids=[service.pk])[service.pk])


@router.post("/services", response={201: schemas.ServiceOut})
def services_create(request: HttpRequest, payload: schemas.ServiceIn) -> Status:
    membership = _membership(request, MANAGERS)
    data = payload.dict()
    department_code = data.pop("department")
    data["department"] = Department.objects.filter(code=department_code).first() if department_code else None
    if department_code and data["department"] is None:
        raise ApiError(422, "validation", _("Some fields are not valid."), {"department": [_("Unknown region.")]})
    lawyer_id = data.pop("lawyer_id")
    data["lawyer"] = _user_in_org(membership, lawyer_id)
    service = services.service_create(membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, _service_out(service))


# --------------------------------------------------------------------------- referrals


@router.get("/referrals", response=list[schemas.ReferralOut])
def referrals_list(
    request: HttpRequest, status: Annotated[ReferralStatus | Literal[""], Query()] = "", incident_id: QueryId = None,
) -> list[dict[str, Any]]:
    membership = _membership(request, STAFF)
    incident = records_selectors.incident_get_for(membership=membership, incident_id=incident_id) if incident_id else None
    return [_referral_out(r) for r in selectors.referral_list_for(membership=membership, status=status[:10], incident=incident)[:500]]


@router.post("/referrals", response={201: schemas.ReferralDetailOut})
def referrals_create(request: HttpRequest, payload: schemas.ReferralIn) -> Status:
    membership = _membership(request, services.REFERRAL_WRITERS)
    incident = records_selectors.incident_get_for(membership=membership, incident_id=payload.incident_id) if payload.incident_id else None
    person = records_selectors.person_get_for(membership=membership, person_id=payload.person_id) if payload.person_id else None
    service = selectors.service_get_for(membership=membership, service_id=payload.service_id) if payload.service_id else None
    lawyer = _user_in_org(membership, payload.lawyer_id)
    referral = services.referral_create(
        membership=membership, acting_user=request.user, incident=incident, person=person, service=service,  # type: ignore[arg-type]
        lawyer=lawyer, need=payload.need, consent_given=payload.consent_given, consent_method=payload.consent_method,
        shares_identifying_data=payload.shares_identifying_data, note=payload.note, follow_up_on=payload.follow_up_on,
        assigned_to=_user_in_org(membership, payload.assigned_to_id),
    )
    return Status(201, _referral_detail(request, referral, audit_it=False))


def _referral_detail(request: HttpRequest, referral: Referral, audit_it: bool = True) -> dict[str, Any]:
    if audit_it:
        audit.record(actor=request.user, action="referral.viewed", target=referral, fields=["note", "outcome", "feedback_comment"])
    out = _referral_out(referral)
    out.update({"note": referral.note, "outcome": referral.outcome, "feedback_respectful": referral.feedback_respectful,
                "feedback_comment": referral.feedback_comment})
    return out


@router.get("/referrals/{referral_id}", response=schemas.ReferralDetailOut)
def referrals_get(request: HttpRequest, referral_id: PathId) -> dict[str, Any]:
    membership = _membership(request, STAFF)
    return _referral_detail(request, selectors.referral_get_for(membership=membership, referral_id=referral_id))


@router.post("/referrals/{referral_id}/status", response=schemas.ReferralOut)
def referrals_status(request: HttpRequest, referral_id: PathId, payload: schemas.ReferralStatusIn) -> dict[str, Any]:
    membership = _membership(request, STAFF)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    referral = services.referral_transition(
        referral=referral, membership=membership, acting_user=request.user, status=payload.status,  # type: ignore[arg-type]
        outcome=payload.outcome, follow_up_on=payload.follow_up_on,
    )
    return _referral_out(referral)


@router.post("/referrals/{referral_id}/feedback", response=schemas.ReferralOut)
def referrals_feedback(request: HttpRequest, referral_id: PathId, payload: schemas.FeedbackIn) -> dict[str, Any]:
    membership = _membership(request, services.REFERRAL_WRITERS)
    referral = selectors.referral_get_for(membership=membership, referral_id=referral_id)
    referral = services.referral_feedback_record(
        referral=referral, membership=membership, acting_user=request.user, rating=payload.rating,  # type: ignore[arg-type]
        respectful=payload.respectful, comment=payload.comment,
    )
    return _referral_out(referral)


# --------------------------------------------------------------------------- cases


@router.get("/cases", response=list[schemas.CaseOut])
def cases_list(
    request: HttpRequest, status: Annotated[CaseStatus | Literal[""], Query()] = "", overdue: bool = False,
) -> list[dict[str, Any]]:
    membership = _membership(request, STAFF)
    return [_case_out(c) for c in selectors.case_list_for(membership=membership, status=status[:8], overdue_only=overdue)[:500]]


@router.post("/cases", response={201: schemas.CaseDetailOut})
def cases_create(request: HttpRequest, payload: schemas.CaseIn) -> Status:
    membership = _membership(request, services.CASE_WRITERS)
    incidents = [records_selectors.incident_get_for(membership=membership, incident_id=i) for i in dict.fromkeys(payload.incident_ids)]
    persons = [records_selectors.person_get_for(membership=membership, person_id=p) for p in dict.fromkeys(payload.person_ids)]
    case = services.case_create(
        membership=membership, acting_user=request.user, title=payload.title, incidents=incidents, persons=persons,  # type: ignore[arg-type]
        lawyer=_user_in_org(membership, payload.lawyer_id), summary=payload.summary,
        perpetrator_details=payload.perpetrator_details, opened_on=payload.opened_on,
    )
    return Status(201, _case_detail_out(membership, case))


@router.get("/cases/{case_id}", response=schemas.CaseDetailOut)
def cases_get(request: HttpRequest, case_id: PathId) -> dict[str, Any]:
    membership = _membership(request, STAFF)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    audit.record(actor=request.user, action="case.viewed", target=case, fields=["title", "summary", "perpetrator_details"])
    return _case_detail_out(membership, case)


def _route_of(case: LegalCase, route_id: int | None) -> CaseRoute | None:
    if route_id is None:
        return None
    route = case.routes.filter(pk=route_id).first()
    if route is None:
        raise ApiError(422, "validation", _("Some fields are not valid."), {"route_id": [_("Unknown route.")]})
    return route


@router.post("/cases/{case_id}/routes", response={201: schemas.RouteOut})
def cases_route_start(request: HttpRequest, case_id: PathId, payload: schemas.RouteIn) -> Status:
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    route = services.case_route_start(case=case, membership=membership, acting_user=request.user, **payload.dict())  # type: ignore[arg-type]
    return Status(201, _route_out(route))


@router.post("/cases/{case_id}/routes/{route_id}/stage", response=schemas.RouteOut)
def cases_route_advance(request: HttpRequest, case_id: PathId, route_id: PathId, payload: schemas.StageIn) -> dict[str, Any]:
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    route = selectors.case_route_get_for(membership=membership, case=case, route_id=route_id)
    route = services.case_route_advance(case_route=route, membership=membership, acting_user=request.user, **payload.dict())  # type: ignore[arg-type]
    return _route_out(route)


@router.post("/cases/{case_id}/deadlines", response={201: schemas.DeadlineOut})
def cases_deadline_add(request: HttpRequest, case_id: PathId, payload: schemas.DeadlineIn) -> Status:
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    data = payload.dict()
    data["assigned_to"] = _user_in_org(membership, data.pop("assigned_to_id"))
    data["route"] = _route_of(case, data.pop("route_id"))
    deadline = services.deadline_add(case=case, membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, _deadline_out(deadline, timezone.now()))


@router.post("/deadlines/{deadline_id}/done", response=schemas.DeadlineOut)
def deadlines_done(request: HttpRequest, deadline_id: PathId) -> dict[str, Any]:
    membership = _membership(request, services.CASE_WRITERS)
    deadline = selectors.deadline_get_for(membership=membership, deadline_id=deadline_id)
    deadline = services.deadline_complete(deadline=deadline, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    return _deadline_out(deadline, timezone.now())


@router.post("/cases/{case_id}/hearings", response={201: schemas.HearingOut})
def cases_hearing_add(request: HttpRequest, case_id: PathId, payload: schemas.HearingIn) -> Status:
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    data = payload.dict()
    data["route"] = _route_of(case, data.pop("route_id"))
    hearing = services.hearing_add(case=case, membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, _hearing_out(hearing))


@router.post("/cases/{case_id}/events", response={201: schemas.EventOut})
def cases_event_add(request: HttpRequest, case_id: PathId, payload: schemas.EventIn) -> Status:
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    data = payload.dict()
    data["route"] = _route_of(case, data.pop("route_id"))
    event = services.case_event_add(case=case, membership=membership, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, {"id": event.pk, "kind": event.kind, "occurred_at": event.occurred_at, "stage": event.stage,
                        "route_id": event.route_id, "description": event.description})


@router.post("/cases/{case_id}/close", response=schemas.CaseOut)
def cases_close(request: HttpRequest, case_id: PathId, payload: schemas.CloseIn) -> dict[str, Any]:
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    return _case_out(services.case_close(case=case, membership=membership, acting_user=request.user, outcome=payload.outcome))  # type: ignore[arg-type]


@router.post("/cases/{case_id}/bundle", response={200: None})
def cases_bundle(request: HttpRequest, case_id: PathId) -> HttpResponse:
    """The signed evidence bundle (application/zip). POST: every file read is written to the custody log."""
    membership = _membership(request, services.CASE_WRITERS)
    case = selectors.case_get_for(membership=membership, case_id=case_id)
    try:
        data = services.case_bundle_bytes(case=case, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    except services.BundleRefused as exc:
        raise ApiError(409, exc.code, exc.message)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-evidencia.zip"'
    return response


# --------------------------------------------------------------------------- defenders' security


@router.get("/security-records", response=list[schemas.SecurityOut])
def security_list(request: HttpRequest) -> list[dict[str, Any]]:
    membership = _membership(request, services.SECURITY_ROLES)
    return [_security_out(r) for r in selectors.security_list_for(membership=membership)[:500]]


@router.post("/security-records", response={201: schemas.SecurityOut})
def security_create(request: HttpRequest, payload: schemas.SecurityIn) -> Status:
    membership = _membership(request, services.SECURITY_ROLES)
    incident = records_selectors.incident_get_for(membership=membership, incident_id=payload.incident_id)
    defender = records_selectors.person_get_for(membership=membership, person_id=payload.defender_id)
    record = services.security_record_create(
        membership=membership, acting_user=request.user, incident=incident, defender=defender,  # type: ignore[arg-type]
        risk_level=payload.risk_level, assessment=payload.assessment, follow_up_on=payload.follow_up_on,
    )
    return Status(201, _security_out(record, with_measures=True))


@router.get("/security-records/{record_id}", response=schemas.SecurityOut)
def security_get(request: HttpRequest, record_id: PathId) -> dict[str, Any]:
    membership = _membership(request, services.SECURITY_ROLES)
    record = selectors.security_get_for(membership=membership, record_id=record_id)
    audit.record(actor=request.user, action="security.viewed", target=record, fields=["measures"])
    return _security_out(record, with_measures=True)


@router.post("/security-records/{record_id}/measures", response={201: schemas.MeasureOut})
def security_measure_add(request: HttpRequest, record_id: PathId, payload: schemas.MeasureIn) -> Status:
    membership = _membership(request, services.SECURITY_ROLES)
    record = selectors.security_get_for(membership=membership, record_id=record_id)
    measure = services.protective_measure_add(record=record, membership=membership, acting_user=request.user, **payload.dict())  # type: ignore[arg-type]
    return Status(201, {"id": measure.pk, "kind": measure.kind, "taken_on": measure.taken_on, "description": measure.description})


# --------------------------------------------------------------------------- work views


@router.get("/tasks", response=schemas.TasksOut)
def tasks(request: HttpRequest) -> dict[str, Any]:
    membership = _membership(request, STAFF)
    t = selectors.my_tasks(membership=membership)
    now = timezone.now()
    return {
        "follow_ups": [_referral_out(r) for r in t.follow_ups],
        "unanswered": [_referral_out(r) for r in t.unanswered],
        "to_answer": [_referral_out(r) for r in t.to_answer],
        "deadlines": [_deadline_out(d, now) for d in t.deadlines],
        "hearings": [_hearing_out(h) for h in t.hearings],
    }


@router.get("/overdue", response=schemas.OverdueOut)
def overdue(request: HttpRequest) -> dict[str, Any]:
    membership = _membership(request, MANAGERS)
    o = selectors.organisation_overdue(membership=membership)
    now = timezone.now()
    return {
        "deadlines": [_deadline_out(d, now) for d in o.deadlines],
        "follow_ups": [_referral_out(r) for r in o.follow_ups],
        "unanswered": [_referral_out(r) for r in o.unanswered],
        "protection_undecided_case_ids": sorted({r.case_id for r in o.protection_undecided}),
        "security_record_ids": [s.pk for s in o.security],
    }


@router.get("/response-times", response=schemas.ResponseTimesOut)
def response_times(request: HttpRequest, days: int = Query(365, ge=1, le=3650)) -> dict[str, Any]:  # type: ignore[assignment]
    membership = _membership(request, MANAGERS)
    t = selectors.response_times(membership=membership, days=days)
    return {
        "since": t.since,
        "incident_to_first_action": t.incident_to_first_action.__dict__,
        "referral_to_answer": t.referral_to_answer.__dict__,
        "referral_to_completion": t.referral_to_completion.__dict__,
        "open_referrals": t.open_referrals, "open_cases": t.open_cases,
    }
