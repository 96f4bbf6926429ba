"""An activity's page, and marking it as a milestone in the statistics (issue 14, point 5)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership
from amparo.programmes import forms, selectors, services
from amparo.programmes.models import MILESTONE_ACTIVITY_KINDS, ActivityKind
from amparo.web.responses import action_refused, form_errors


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


@role_required(*services.RECORDERS)
@require_GET
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    """What the member may see of one activity: planners all of it, documenters their own."""
    membership = _membership(request)
    activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
    planner = membership.role in services.PLANNERS
    milestones = selectors.activity_milestones_for(membership=membership, activity=activity) if planner else []
    markable = planner and activity.kind in MILESTONE_ACTIVITY_KINDS and not milestones
    return render(request, "programmes/activity_detail.html", {
        "activity": activity,
        "facilitators": activity.facilitators.select_related("user"),
        "planner": planner,
        "milestones": milestones,
        "sentences": selectors.activity_milestone_sentences(membership=membership, activity=activity) if milestones else [],
        "milestone_form": forms.ActivityMilestoneForm() if markable else None,
        "is_training": activity.kind == ActivityKind.POLICE_TRAINING,
    })


@role_required(*services.PLANNERS)
@require_POST
def activity_mark_milestone(request: HttpRequest, activity_id: int) -> HttpResponse:
    membership = _membership(request)
    activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
    back = reverse("programmes:activity_detail", args=[activity.pk])
    form = forms.ActivityMilestoneForm(request.POST)
    if not form.is_valid():
        return action_refused(request, errors=form_errors(form), back=back)
    try:
        services.activity_mark_milestone(membership=membership, acting_user=request.user, activity=activity, **form.cleaned_data)  # type: ignore[arg-type]
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=back)
    response = redirect(back)
    response.status_code = 303
    return response
