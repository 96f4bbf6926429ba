"""An activity's page and what is done from it for the people met there: referrals, linkage to care.

Parse → service → render; who may see what lives in selectors and services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Role
from amparo.lib.forms import saved_by
from amparo.programmes import forms, selectors, services
from amparo.programmes.panels import activity_sections
from amparo.programmes.views import RECORDERS, _membership
from amparo.web.responses import action_refused, form_errors, see_other


@role_required(*RECORDERS, Role.LAWYER)
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    membership = _membership(request)
    if membership.role == Role.LAWYER:
        # Only a summary of an activity a referral to her came from: no counts, no notes.
        activity = selectors.activity_referred_to_lawyer(membership=membership, activity_id=activity_id)
        referrals = selectors.activity_referrals(membership=membership, activity=activity).visible
        return render(request, "programmes/activity_summary.html", {"activity": activity, "referrals": referrals})
    activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
    return render(request, "programmes/activity_detail.html", {
        "activity": activity,
        "sections": activity_sections(membership=membership, activity=activity),
    })


@role_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
def activity_referral_create(request: HttpRequest, activity_id: int) -> HttpResponse:
    membership = _membership(request)
    activity = selectors.activity_get_for(membership=membership, activity_id=activity_id)
    form = forms.ActivityReferralForm(request.POST or None, membership=membership)
    context = {"form": form, "activity": activity}
    if request.method == "POST":
        referral = saved_by(form, lambda _data: services.activity_referral_create(
            membership=membership, acting_user=request.user, activity=activity, **form.activity_kwargs()))  # type: ignore[arg-type]
        if referral is not None:
            messages.success(request, _("Referral saved."))
            return see_other(reverse("response:referral_detail", args=[referral.value.pk]))
        return render(request, "programmes/activity_referral_form.html", context, status=400)
    return render(request, "programmes/activity_referral_form.html", context)


@role_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
def care_linkage_create(request: HttpRequest, activity_id: int) -> HttpResponse:
    membership = _membership(request)
    activity = selectors.care_activity_get_for(membership=membership, activity_id=activity_id)
    form = forms.CareLinkageForm(request.POST or None, membership=membership, initial={"reactive_on": activity.held_on})
    context = {"form": form, "activity": activity}
    if request.method == "POST":
        if saved_by(form, lambda _data: services.care_linkage_record(
                membership=membership, acting_user=request.user, activity=activity, **form.service_kwargs())):  # type: ignore[arg-type]
            messages.success(request, _("Saved. Her dates are kept encrypted."))
            return see_other(reverse("programmes:care_linkage_list"))
        return render(request, "programmes/care_linkage_form.html", context, status=400)
    return render(request, "programmes/care_linkage_form.html", context)


def _linkage_page(request: HttpRequest, *, failed: tuple[int, forms.CareLinkageUpdateForm] | None = None, status: int = 200) -> HttpResponse:
    membership = _membership(request)
    lines = selectors.care_linkages_for(membership=membership, open_only=request.GET.get("todas") != "1")
    rows = []
    for line in lines:
        if failed is not None and failed[0] == line.linkage.pk:
            form = failed[1]
        else:
            form = forms.CareLinkageUpdateForm(prefix=f"l{line.linkage.pk}", initial={
                "confirmed_on": line.linkage.confirmed_on, "treatment_started_on": line.linkage.treatment_started_on,
            })
        rows.append((line, form))
    return render(request, "programmes/care_linkage_list.html", {"rows": rows, "all": request.GET.get("todas") == "1"}, status=status)


@role_required(*RECORDERS)
def care_linkage_list(request: HttpRequest) -> HttpResponse:
    return _linkage_page(request)


@role_required(*RECORDERS)
@require_POST
def care_linkage_update(request: HttpRequest, linkage_id: int) -> HttpResponse:
    membership = _membership(request)
    line = selectors.care_linkage_get_for(membership=membership, linkage_id=linkage_id)
    form = forms.CareLinkageUpdateForm(request.POST, prefix=f"l{linkage_id}")
    if saved_by(form, lambda data: services.care_linkage_update(membership=membership, acting_user=request.user, linkage=line.linkage, **data)):  # type: ignore[arg-type]
        messages.success(request, _("Saved. Her dates are kept encrypted."))
        return see_other(reverse("programmes:care_linkage_list"))
    return _linkage_page(request, failed=(linkage_id, form), status=400)


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
    return see_other(back)
