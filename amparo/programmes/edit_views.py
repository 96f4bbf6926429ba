"""Changing and deleting programmes, indicators and activities: parse → service → render.

Deletions ask for the password again (sudo mode), as deleting an incident does: the
confirmation page itself is behind it, so the button it shows works at the first press.
Documenters change and delete only the activities they recorded; the service decides.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amparo.accounts.decorators import role_required
from amparo.accounts.sudo import sudo_required
from amparo.lib.errors import Conflict
from amparo.lib.forms import saved_by
from amparo.programmes import forms, selectors, services
from amparo.programmes.models import COUNT_FIELDS, Activity
from amparo.programmes.views import PLANNERS, RECORDERS, _membership
from amparo.web.responses import action_refused, see_other


def _edit_page(request: HttpRequest, form: Any, *, title: str, back: str, status: int = 200) -> HttpResponse:
    return render(request, "programmes/edit_form.html", {"form": form, "title": title, "back": back}, status=status)


def _confirm_page(request: HttpRequest, *, title: str, what: str, back: str, warning: str = "") -> HttpResponse:
    return render(request, "programmes/confirm_delete.html", {"title": title, "what": what, "back": back, "warning": warning})


# ---- programmes ----------------------------------------------------------------------------------


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    membership = _membership(request)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    back = reverse("programmes:programme_detail", args=[programme.pk])
    initial = {name: getattr(programme, name) for name in ("kind", "name", "funder", "starts_on", "ends_on")}
    form = forms.ProgrammeForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if saved_by(form, lambda data: services.programme_update(programme=programme, membership=membership, acting_user=request.user, **data)):  # type: ignore[arg-type]
            return see_other(back)
        return _edit_page(request, form, title=_("Change the programme"), back=back, status=400)
    return _edit_page(request, form, title=_("Change the programme"), back=back)


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
@sudo_required(fallback="programmes:programme_list")
def programme_delete(request: HttpRequest, programme_id: int) -> HttpResponse:
    membership = _membership(request)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    back = reverse("programmes:programme_detail", args=[programme.pk])
    if request.method == "GET":
        return _confirm_page(request, title=_("Delete the programme"), what=programme.name, back=back,
                             warning=_("Its indicators are deleted with it. A programme with activities cannot be deleted."))
    try:
        services.programme_delete(programme=programme, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    except Conflict as refusal:
        return action_refused(request, errors=[refusal.message], back=back, status=409)
    return see_other(reverse("programmes:programme_list"))


# ---- indicators ----------------------------------------------------------------------------------


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, indicator_id: int) -> HttpResponse:
    membership = _membership(request)
    indicator = selectors.indicator_get_for(membership=membership, indicator_id=indicator_id)
    back = reverse("programmes:programme_detail", args=[indicator.programme_id])
    initial = {name: getattr(indicator, name) for name in ("name", "measure", "activity_kind", "target", "starts_on", "ends_on", "venue")}
    form = forms.IndicatorForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST":
        if saved_by(form, lambda data: services.indicator_update(indicator=indicator, membership=membership, acting_user=request.user, **data)):  # type: ignore[arg-type]
            return see_other(back)
        return _edit_page(request, form, title=_("Change the indicator"), back=back, status=400)
    return _edit_page(request, form, title=_("Change the indicator"), back=back)


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
@sudo_required(fallback="programmes:programme_list")
def indicator_delete(request: HttpRequest, indicator_id: int) -> HttpResponse:
    membership = _membership(request)
    indicator = selectors.indicator_get_for(membership=membership, indicator_id=indicator_id)
    back = reverse("programmes:programme_detail", args=[indicator.programme_id])
    if request.method == "GET":
        return _confirm_page(request, title=_("Delete the indicator"), what=indicator.name, back=back,
                             warning=_("The activities it counted stay; only the target and its progress go."))
    services.indicator_delete(indicator=indicator, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    return see_other(back)


# ---- activities ----------------------------------------------------------------------------------


def _own_activity(request: HttpRequest, activity_id: int) -> Activity:
    """The activity, if the member may change it: 404 if she cannot see it, 403 if she only facilitated it."""
    membership = _membership(request)
    activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
    services.require_own_activity(membership, activity)
    return activity


def _activity_back(request: HttpRequest, activity: Activity) -> str:
    if activity.programme_id is not None and _membership(request).role in services.PROGRESS_READERS:
        return reverse("programmes:programme_detail", args=[activity.programme_id])
    return reverse("programmes:activity_list")


@role_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    membership = _membership(request)
    activity = _own_activity(request, activity_id)
    initial: dict[str, Any] = {name: getattr(activity, name) for name in (*services.ACTIVITY_FIELDS, *COUNT_FIELDS)}
    initial["district"] = activity.district_id
    initial["facilitators"] = list(activity.facilitators.all())
    form = forms.ActivityForm(request.POST or None, membership=membership, initial=initial)
    # A venue no longer in use stays choosable for the activities already held there.
    form.fields["venue"].queryset = selectors.venue_list_for(membership=membership).filter(  # type: ignore[attr-defined]
        Q(is_active=True) | Q(pk=activity.venue_id))
    title = _("Change the activity")
    if request.method == "POST":
        if saved_by(form, lambda data: services.activity_update(activity=activity, membership=membership, acting_user=request.user, **data)):  # type: ignore[arg-type]
            return see_other(_activity_back(request, activity))
        return _edit_page(request, form, title=title, back=_activity_back(request, activity), status=400)
    return _edit_page(request, form, title=title, back=_activity_back(request, activity))


@role_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
@sudo_required(fallback="programmes:activity_list")
def activity_delete(request: HttpRequest, activity_id: int) -> HttpResponse:
    membership = _membership(request)
    activity = _own_activity(request, activity_id)
    back = _activity_back(request, activity)
    if request.method == "GET":
        what = f"{activity.get_kind_display()} · {activity.held_on:%Y-%m-%d}" + (f" · {activity.venue.code_name}" if activity.venue else "")
        return _confirm_page(request, title=_("Delete the activity"), what=what, back=back,
                             warning=_("Every indicator that counted it goes down."))
    try:
        services.activity_delete(activity=activity, membership=membership, acting_user=request.user)  # type: ignore[arg-type]
    except Conflict as refusal:
        return action_refused(request, errors=[refusal.message], back=back, status=409)
    return see_other(back)
