"""Programme pages: parse → service → render. Who may see what lives in selectors and services."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership
from amparo.lib.forms import saved_by
from amparo.programmes import forms, selectors, services
from amparo.programmes.models import ActivityKind
from amparo.web.responses import see_other

PLANNERS = tuple(services.PLANNERS)
RECORDERS = tuple(services.RECORDERS)
PROGRESS_READERS = tuple(services.PROGRESS_READERS)
PAGE_SIZE = 25


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


@role_required(*PROGRESS_READERS)
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programme_list_for(membership=_membership(request))
    return render(request, "programmes/programme_list.html", {"programmes": programmes})


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = forms.ProgrammeForm(request.POST or None)
    if request.method == "POST":
        programme = saved_by(form, lambda data: services.programme_create(membership=membership, acting_user=request.user, **data))  # type: ignore[arg-type]
        if programme is not None:
            return see_other(reverse("programmes:programme_detail", args=[programme.value.pk]))
        return render(request, "programmes/programme_form.html", {"form": form}, status=400)
    return render(request, "programmes/programme_form.html", {"form": form})


def _programme_page(request: HttpRequest, programme_id: int, indicator_form: forms.IndicatorForm | None = None, status: int = 200) -> HttpResponse:
    membership = _membership(request)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    planner = membership.role in services.PLANNERS
    context = {
        "programme": programme,
        "progress": selectors.programme_progress(membership=membership, programme=programme),
        "planner": planner,
        "indicator_form": indicator_form or (forms.IndicatorForm(membership=membership) if planner else None),
        "activities": selectors.activity_list_for(membership=membership).filter(programme=programme)[:20] if planner else [],
        "people": selectors.programme_people_figures(membership=membership, programme=programme),
    }
    return render(request, "programmes/programme_detail.html", context, status=status)


@role_required(*PROGRESS_READERS)
def programme_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    return _programme_page(request, programme_id)


@role_required(*PLANNERS)
@require_POST
def indicator_add(request: HttpRequest, programme_id: int) -> HttpResponse:
    membership = _membership(request)
    programme = selectors.programme_get_for(membership=membership, programme_id=programme_id)
    form = forms.IndicatorForm(request.POST, membership=membership)
    if saved_by(form, lambda data: services.indicator_create(membership=membership, acting_user=request.user, programme=programme, **data)):  # type: ignore[arg-type]
        return see_other(reverse("programmes:programme_detail", args=[programme.pk]))
    return _programme_page(request, programme.pk, indicator_form=form, status=400)


@role_required(*RECORDERS)
def activity_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    activities = selectors.activity_list_for(membership=membership)
    filtering = any(name in request.GET for name in forms.ActivityFilterForm.base_fields)
    form = forms.ActivityFilterForm(request.GET if filtering else None, membership=membership)
    status = 200
    if form.is_bound:
        if form.is_valid():
            chosen = {name: value for name, value in form.cleaned_data.items() if value}
            activities = activities.filter(**chosen)
        else:
            status = 400
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "programmes/activity_list.html", {"form": form, "page": page, "activities": page.object_list}, status=status)


@role_required(*RECORDERS)
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    initial = {}
    if request.GET.get("tipo") in ActivityKind.values:
        initial["kind"] = request.GET["tipo"]
    if request.GET.get("programa", "").isdigit():
        initial["programme"] = request.GET["programa"]
    form = forms.ActivityForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST":
        activity = saved_by(form, lambda data: services.activity_record(membership=membership, acting_user=request.user, **data))  # type: ignore[arg-type]
        if activity is not None:
            if activity.value.programme_id is not None and membership.role in services.PROGRESS_READERS:
                return see_other(reverse("programmes:programme_detail", args=[activity.value.programme_id]))
            return see_other(reverse("programmes:activity_list"))
        return render(request, "programmes/activity_form.html", {"form": form}, status=400)
    return render(request, "programmes/activity_form.html", {"form": form})


@role_required(*RECORDERS)
def venue_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    planner = membership.role in services.PLANNERS
    venues = list(selectors.venue_list_for(membership=membership))
    # Reports by poster: planners only, and only as the disclosure rule lets them be shown.
    reports = selectors.poster_report_counts(membership=membership) if planner else None
    return render(request, "programmes/venue_list.html", {
        "rows": [(v, reports.by_venue.get(v.pk, "") if reports else "") for v in venues], "venues": venues,
        "planner": planner, "poster_reports": reports,
    })


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
def venue_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = forms.VenueForm(request.POST or None, membership=membership)
    if request.method == "POST":
        # A new venue is in use: the form's "in use" box is for changing one.
        if saved_by(form, lambda data: services.venue_create(membership=membership, acting_user=request.user,  # type: ignore[arg-type]
                                                             **{k: v for k, v in data.items() if k != "is_active"})):
            return see_other(reverse("programmes:venue_list"))
        return render(request, "programmes/venue_form.html", {"form": form}, status=400)
    return render(request, "programmes/venue_form.html", {"form": form})


@role_required(*PLANNERS)
@require_http_methods(["GET", "POST"])
def venue_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    membership = _membership(request)
    venue = selectors.venue_get_for(membership=membership, venue_id=venue_id)
    initial = {"code_name": venue.code_name, "kind": venue.kind, "district": venue.district_id, "address": venue.address,
               "contact": venue.contact, "is_active": venue.is_active}
    form = forms.VenueForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST":
        if saved_by(form, lambda data: services.venue_update(venue=venue, membership=membership, acting_user=request.user, **data)):  # type: ignore[arg-type]
            return see_other(reverse("programmes:venue_list"))
        return render(request, "programmes/venue_form.html", {"form": form, "venue": venue}, status=400)
    return render(request, "programmes/venue_form.html", {"form": form, "venue": venue})
