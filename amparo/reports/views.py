"""The funder and partner report: a form, then one export through one builder."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership
from amparo.accounts.sudo import sudo_required
from amparo.insights import services as insights_services
from amparo.insights.lib.pdf import build_report_pdf
from amparo.programmes import selectors as programmes
from amparo.programmes.services import PROGRESS_READERS
from amparo.reports import render as xlsx
from amparo.reports.forms import FunderReportForm
from amparo.reports.selectors import Narrative, funder_report_for

READERS = tuple(PROGRESS_READERS)
TYPES = {"pdf": "application/pdf", "xlsx": xlsx.XLSX}


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _form(request: HttpRequest, data: object = None, initial: dict | None = None) -> FunderReportForm:
    return FunderReportForm(data, initial=initial, programmes=programmes.programme_list_for(membership=_membership(request)))


@role_required(*READERS)
@sudo_required(fallback="reports:funder_report")
@require_GET
def funder_report(request: HttpRequest) -> HttpResponse:
    """The form; `?programa=<id>` (from a programme's page) chooses the programme.

    The password is asked before the form, not after it: a POST cannot be replayed after the
    detour, and the narrative she wrote would be lost."""
    initial = {}
    chosen = request.GET.get("programa", "")
    if chosen:
        if not chosen.isdigit():
            return render(request, "reports/funder_report.html", {"form": _form(request), "bad_programme": True}, status=400)
        initial["programme"] = programmes.programme_get_for(membership=_membership(request), programme_id=int(chosen)).pk
    return render(request, "reports/funder_report.html", {"form": _form(request, initial=initial)})


@role_required(*READERS)
@sudo_required(fallback="reports:funder_report")
@require_POST
def funder_report_export(request: HttpRequest) -> HttpResponse:
    form = _form(request, request.POST)
    if not form.is_valid():
        return render(request, "reports/funder_report.html", {"form": form}, status=400)
    data = form.cleaned_data
    membership = _membership(request)
    with translation.override(data["language"]):
        spec, programme = funder_report_for(
            membership=membership, date_from=data["date_from"], date_to=data["date_to"], programme_id=data["programme"],
            narrative=Narrative(context=data["context"], achievements=data["achievements"], challenges=data["challenges"]),
        )
        body = build_report_pdf(spec) if data["format"] == "pdf" else xlsx.to_xlsx(spec)
    insights_services.export_recorded(
        acting_user=request.user, organisation=membership.organisation, kind="report", fmt=data["format"],  # type: ignore[arg-type]
        filters={"date_from": data["date_from"].isoformat(), "date_to": data["date_to"].isoformat(),
                 "programme": str(programme.pk) if programme else "", "language": data["language"]},
        rows=0,
    )
    stem = f"amparo-informe-programa-{programme.pk}" if programme else "amparo-informe"
    response = HttpResponse(body, content_type=TYPES[data["format"]])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{data["format"]}"'
    response["Cache-Control"] = "no-store"
    return response
