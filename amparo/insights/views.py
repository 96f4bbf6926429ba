"""Statistics pages: thin views over selectors, services and presentation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Role
from amparo.accounts.sudo import sudo_required
from amparo.insights import exports, selectors, services
from amparo.insights.forms import MilestoneForm, SharingForm
from amparo.insights.models import Milestone
from amparo.insights.presentation import (
    CHART_NAMES,
    GRANULARITIES,
    Labels,
    build_charts,
    comparison_texts,
    concern_words,
    coverage_note,
    default_granularity,
    department_rows,
    granularity_note,
)
from amparo.places.models import Department
from amparo.records.models import GenderIdentity, Incident, MigrantStatus
from amparo.vocab.models import Term, Vocabulary

DASHBOARD = (Role.ADMIN, Role.COORDINATOR, Role.ANALYST)


def _granularity(request: HttpRequest) -> str:
    """The time unit asked for, or "" to let the page choose (`default_granularity`)."""
    value = request.GET.get("granularity", "") or ""
    if value and value not in GRANULARITIES:
        raise ValidationError({"granularity": _("Choose month, quarter or year.")})
    return value


def _page_context(summary: dict[str, Any], asked: str, slug_prefix: str = "") -> dict[str, Any]:
    labels = Labels.load(summary)
    granularity = asked or default_granularity(summary)
    charts = build_charts(summary, labels, granularity=granularity, slug_prefix=slug_prefix)
    return {
        "summary": summary,
        "charts": charts,
        "coverage": coverage_note(summary, labels),
        "comparisons": comparison_texts(summary, labels),
        "granularity_note": granularity_note(summary, granularity, chosen=bool(asked)),
        "regions": department_rows(summary, labels),
        "granularity": granularity,
        "granularities": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
    }


def _downloads(charts: dict, url_name: str, query: str = "", **kwargs: Any) -> dict[str, dict[str, str]]:
    from django.urls import reverse

    suffix = f"?{query}" if query else ""
    return {
        name: {fmt: reverse(url_name, kwargs={"name": name, "fmt": fmt, **kwargs}) + suffix for fmt in ("svg", "png")}
        for name in charts
    }


def _filter_choices() -> dict[str, Any]:
    return {
        "departments": Department.objects.order_by("name"),
        "violations": Term.objects.filter(vocabulary=Vocabulary.VIOLATION, is_active=True),
        "perpetrators": Term.objects.filter(vocabulary=Vocabulary.PERPETRATOR, is_active=True),
        "genders": GenderIdentity.choices,
        "migrants": MigrantStatus.choices,
    }


def _bad_filters(request: HttpRequest, template: str, exc: ValidationError, extra: dict | None = None) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    ctx = {"filter_errors": errors, "params": request.GET, **_filter_choices(), **(extra or {})}
    return render(request, template, ctx, status=400)


def _chart_response(chart, fmt: str, filename: str) -> HttpResponse:
    if fmt == "svg":
        response = HttpResponse(chart.to_svg(), content_type="image/svg+xml; charset=utf-8")
    elif fmt == "png":
        response = HttpResponse(chart.to_png(), content_type="image/png")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


# --- Organisation dashboard ---------------------------------------------------------------


def _dashboard_fragment(build, version: str | None, key_parts: tuple) -> str:  # type: ignore[no-untyped-def]
    """The statistics part of the dashboard, cached when it came from fresh aggregates (the rest
    of the page carries per-session CSRF tokens and is rendered each time)."""
    from django.core.cache import cache

    if version is None:
        return build()
    key = "insights:dashfrag:" + ":".join(str(p) for p in (version, *key_parts))
    html = cache.get(key)
    if html is None:
        html = build()
        cache.set(key, html, 3600)
    return html


@role_required(*DASHBOARD)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        filters = selectors.parse_filters(request.GET)
        granularity = _granularity(request)
    except ValidationError as exc:
        return _bad_filters(request, "insights/dashboard.html", exc)
    membership = request.membership  # type: ignore[attr-defined]
    version = selectors.dashboard_version(membership.organisation_id, filters)
    summary = selectors.dashboard_for(membership=membership, filters=filters, version=version)
    base = request.GET.copy()
    base.pop("granularity", None)

    def build() -> str:
        ctx = _page_context(summary, granularity)
        ctx["query_base"] = base.urlencode()
        ctx["downloads"] = _downloads(ctx["charts"], "insights:dashboard_chart", request.GET.urlencode())
        return render_to_string("insights/_summary.html", ctx)

    parts = (membership.organisation_id, summary["protected"], translation.get_language(), granularity, request.GET.urlencode())
    from amparo.insights.response_stats import response_summary

    ctx = {"summary": summary, "summary_html": _dashboard_fragment(build, version, parts), "params": request.GET, "filters": filters}
    ctx["response"] = response_summary(membership=membership, protected=summary["protected"])
    ctx.update(_filter_choices())
    return render(request, "insights/dashboard.html", ctx)


@role_required(*DASHBOARD)
@require_GET
def dashboard_chart(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if name not in CHART_NAMES:
        raise Http404
    try:
        filters = selectors.parse_filters(request.GET)
        granularity = _granularity(request)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
    summary = selectors.dashboard_for(membership=request.membership, filters=filters)  # type: ignore[attr-defined]
    charts = build_charts(summary, Labels.load(summary), granularity=granularity or default_granularity(summary))
    if name not in charts:
        raise Http404
    return _chart_response(charts[name], fmt, f"amparo-{name}")


# --- Network ------------------------------------------------------------------------------


@role_required()
@require_GET
def network(request: HttpRequest) -> HttpResponse:
    try:
        granularity = _granularity(request)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    try:
        summary = selectors.network_summary_for(membership=request.membership, user=request.user)  # type: ignore[attr-defined]
    except Http404:
        summary = None
    ctx: dict[str, Any] = _page_context(summary, granularity, "net-") if summary else {"summary": None}
    ctx["organisations"] = selectors.network_organisations()
    return render(request, "insights/network.html", ctx)


# --- Milestones and sharing -------------------------------------------------------------------


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def milestones(request: HttpRequest) -> HttpResponse:
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_create(organisation=request.organisation, acting_user=request.user, **form.cleaned_data)  # type: ignore[attr-defined, arg-type]
            return redirect("insights:milestones")
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
    milestones = list(Milestone.objects.for_member(request.membership))  # type: ignore[attr-defined]
    labels = Labels.load({"milestones": [{"place": m.place} for m in milestones]})
    items = [(m, concern_words({"violation": m.violation, "perpetrator": m.perpetrator, "place": m.place}, labels)) for m in milestones]
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/milestones.html", {"form": form, "items": items}, status=status)


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_POST
def milestone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = Milestone.objects.get_for_member(request.membership, pk=pk)  # type: ignore[attr-defined]
    services.milestone_delete(milestone=milestone, acting_user=request.user)  # type: ignore[arg-type]
    return redirect("insights:milestones")


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def sharing(request: HttpRequest) -> HttpResponse:
    agreement = selectors.sharing_for(request.organisation)  # type: ignore[attr-defined]
    form = SharingForm(request.POST or None, initial={"level": agreement.level, "public_page": agreement.public_page})
    if request.method == "POST" and form.is_valid():
        services.sharing_update(organisation=request.organisation, acting_user=request.user, **form.cleaned_data)  # type: ignore[attr-defined, arg-type]
        services.enqueue_refresh(request.organisation.pk)  # type: ignore[attr-defined]
        return redirect("insights:sharing")
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/sharing.html", {"form": form, "agreement": agreement}, status=status)


# --- Sudo mode and exports ------------------------------------------------------------------


@role_required(*DASHBOARD)
@require_GET
def exports_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/exports.html",
        {"network_records": selectors.can_see_network(request.membership, request.user)},  # type: ignore[attr-defined]
    )


def _send(export: exports.Export, fmt: str, stem: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(export), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    elif fmt == "csv":
        response = HttpResponse(exports.to_csv_zip(export, stem=stem), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{stem}-csv.zip"'
    else:
        raise Http404
    response["Cache-Control"] = "no-store"
    return response


def _filtered_for_export(request: HttpRequest):
    filters = selectors.parse_filters(request.GET)
    qs = selectors.filtered_incidents(Incident.objects.for_member(request.membership), filters)  # type: ignore[attr-defined]
    return filters, qs


@role_required(*DASHBOARD)
@sudo_required(fallback="insights:exports")
@require_GET
def export_records(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        filters, qs = _filtered_for_export(request)
    except ValidationError as exc:
        return _bad_filters(request, "insights/exports.html", exc)
    export = exports.record_export(qs)
    services.export_recorded(
        acting_user=request.user, organisation=request.organisation, kind="records", fmt=fmt,  # type: ignore[arg-type, attr-defined]
        filters=filters.as_query(), rows=len(export.data.rows),
    )
    return _send(export, fmt, "amparo-registros")


@role_required(*DASHBOARD)
@sudo_required(fallback="insights:exports")
@require_GET
def export_observatory(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        filters, qs = _filtered_for_export(request)
    except ValidationError as exc:
        return _bad_filters(request, "insights/exports.html", exc)
    # Analysts filter exports as they filter the dashboard: their tables are perturbed too.
    export = exports.observatory_export(qs, perturbed=request.membership.role == Role.ANALYST)  # type: ignore[attr-defined]
    services.export_recorded(
        acting_user=request.user, organisation=request.organisation, kind="observatory", fmt=fmt,  # type: ignore[arg-type, attr-defined]
        filters=filters.as_query(), rows=len(export.data.rows),
    )
    return _send(export, fmt, "amparo-observatorio")


@role_required(*DASHBOARD)
@sudo_required(fallback="insights:exports")
@require_GET
def export_network_records(request: HttpRequest, fmt: str) -> HttpResponse:
    """De-identified records of the organisations that share records; never of those that share
    only aggregates."""
    if not selectors.can_see_network(request.membership, request.user):  # type: ignore[attr-defined]
        raise PermissionDenied
    qs = Incident.objects.filter(organisation__in=selectors.network_record_organisations())
    export = exports.record_export(qs)
    services.export_recorded(
        acting_user=request.user, organisation=request.organisation, kind="network_records", fmt=fmt,  # type: ignore[arg-type, attr-defined]
        filters={}, rows=len(export.data.rows),
    )
    return _send(export, fmt, "amparo-red-registros")


@role_required(*DASHBOARD)
@require_POST
def funder_report(request: HttpRequest) -> HttpResponse:
    """The old address of the monitoring report: the report is built in one place (reports),
    and a 308 keeps the method and the form."""
    from django.http import HttpResponsePermanentRedirect
    from django.urls import reverse

    response = HttpResponsePermanentRedirect(reverse("reports:funder_report_export"))
    response.status_code = 308
    return response


# --- Public pages (no account, no trace) ------------------------------------------------------------


def _public_lang(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in ("es", "en") else (translation.get_language() or "es")[:2]


def _public_scope(slug: str | None) -> tuple[Any, str]:
    if slug is None:
        return None, selectors.NETWORK_SCOPE
    org = selectors.public_organisation(slug)
    return org, selectors.org_scope(org.pk)


def _cached(scope: str, parts: tuple, build) -> Any:  # type: ignore[no-untyped-def]
    """Public output depends only on the published summary, so it is cached under the time that
    summary was built: a refresh changes the key, and no request ever reads the incidents."""
    from django.core.cache import cache

    built_at = selectors.summary_built_at(scope)
    key = "insights:pub:" + ":".join(str(p) for p in (scope, built_at.timestamp(), *parts))
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, 3600)
    return value


@require_GET
def public_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    lang = _public_lang(request)
    with translation.override(lang):
        try:
            granularity = _granularity(request)
        except ValidationError as exc:
            return render(request, "insights/public_error.html", {"errors": exc.messages, "lang": lang}, status=400)
        org, scope = _public_scope(slug)

        def build() -> str:
            summary = selectors.published_summary(scope)
            ctx = _page_context(summary, granularity, "pub-")
            ctx.update({"org": org, "lang": lang, "slug": slug})
            query = f"granularity={ctx['granularity']}&lang={lang}"
            if slug is None:
                ctx["downloads"] = _downloads(ctx["charts"], "insights:public_network_chart", query)
            else:
                ctx["downloads"] = _downloads(ctx["charts"], "insights:public_org_chart", query, slug=slug)
            return render_to_string("insights/public.html", ctx)

        return HttpResponse(_cached(scope, ("page", lang, granularity), build))


@require_GET
def public_chart(request: HttpRequest, name: str, fmt: str, slug: str | None = None) -> HttpResponse:
    if name not in CHART_NAMES:
        raise Http404
    lang = _public_lang(request)
    with translation.override(lang):
        try:
            granularity = _granularity(request)
        except ValidationError as exc:
            return HttpResponseBadRequest("; ".join(exc.messages))
        _org, scope = _public_scope(slug)

        def build() -> dict[str, Any]:
            summary = selectors.published_summary(scope)
            charts = build_charts(summary, Labels.load(summary), granularity=granularity or default_granularity(summary), slug_prefix="pub-")
            return {"chart": charts.get(name)}

        chart = _cached(scope, ("chart", lang, granularity, name), build)["chart"]
        if chart is None:
            raise Http404
        return _chart_response(chart, fmt, f"amparo-{slug or 'red'}-{name}")
