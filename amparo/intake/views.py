"""Pages of anonymous reporting: the public form and follow-up (no account, no cookie, no trace),
and the coordinators' triage queue, form settings, QR codes and posters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Organisation, Role
from amparo.accounts.selectors import organisation_by_slug
from amparo.audit import services as audit
from amparo.intake import abuse, conf, poster, publicform, services
from amparo.intake.forms import (
    AcceptForm,
    AddInformationForm,
    ConfirmForm,
    FollowUpForm,
    FormSettingsForm,
    MergeForm,
    ReplyForm,
    WithdrawForm,
)
from amparo.intake.models import Report
from amparo.intake.selectors import (
    duplicate_candidates,
    form_settings_for,
    report_get_for,
    report_list_for,
    report_queue_for,
    reports_waiting_count,
    status_for_reporter,
)
from amparo.web.public import public_chrome, public_language
from amparo.web.responses import action_refused

# --- Public pages --------------------------------------------------------------------------


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Organisation from the URL, language from ?lang= (Spanish by default, no cookie), and no
    CSRF cookie: the signed form token proves a form was served by us."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            organisation = organisation_by_slug(slug=org_slug)
        except Http404:
            # Our own tiny page: the staff 404 page would bring staff styles and a CSRF cookie.
            lang = public_language(request, read_post=False)
            with translation.override(lang):
                return render(request, "intake/public/not_found.html", public_chrome(lang=lang, quick_exit_url=conf.QUICK_EXIT_URL), status=404)
        # A body too large is refused before it is parsed, so its `lang` field is not read either.
        too_big = request.method == "POST" and _content_length(request) > publicform.max_request_bytes()
        lang = public_language(request, read_post=not too_big)
        with translation.override(lang):
            if too_big:
                response = _refused(request, organisation, lang, _("What you sent is too large. Send fewer or smaller files."), 413)
            else:
                response = view(request, organisation, lang, *args, **kwargs)
        response["Content-Language"] = lang
        return response

    return wrapper


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _urls(organisation: Organisation, lang: str) -> dict[str, str]:
    suffix = f"?lang={lang}" if lang != "es" else ""
    return {
        "form_url": reverse("intake:report", args=[organisation.slug]) + suffix,
        "followup_url": reverse("intake:followup", args=[organisation.slug]) + suffix,
    }


def _public_context(organisation: Organisation, lang: str, **extra: Any) -> dict[str, Any]:
    return {
        "organisation": organisation,
        **public_chrome(lang=lang, organisation=organisation, quick_exit_url=conf.QUICK_EXIT_URL),
        **_urls(organisation, lang),
        **extra,
    }


def _refused(request: HttpRequest, organisation: Organisation, lang: str, message: str, status: int) -> HttpResponse:
    return render(request, "intake/public/refused.html", _public_context(organisation, lang, refusal=message), status=status)


def _render_form(
    request: HttpRequest, organisation: Organisation, lang: str, form: Any, *, token: str = "",
    refusal: str = "", file_errors: list[str] | None = None, status: int = 200, poster_token: str = "",
) -> HttpResponse:
    consents = [form[name] for name in ("consent_store", "consent_share_stats", "consent_help", "consent_legal_action")]
    options = publicform.choices()
    bound = form.data if form.is_bound else {}
    getlist = getattr(bound, "getlist", lambda name: bound.get(name) or [])
    context = _public_context(
        organisation, lang, form=form, consents=consents,
        violation_boxes=publicform.checkboxes("violations", options["violations"], set(getlist("violations"))),
        perpetrator_boxes=publicform.checkboxes("perpetrators", options["perpetrators"], set(getlist("perpetrators"))),
        department_options=publicform.select_options(form.fields["department"].choices, str(bound.get("department", ""))),
        precision_options=publicform.select_options(form.fields["date_precision"].choices, str(bound.get("date_precision", "day"))), refusal=refusal, file_errors=file_errors or [],
        token=token or abuse.form_token_for(organisation), poster_token=poster_token,
        challenge=abuse.challenge_for(organisation).as_attribute(),
        action=reverse("intake:report", args=[organisation.slug]),
        districts_url=reverse("api:intake_public_districts", args=[organisation.slug]),
        today=timezone.localdate().isoformat(),
        max_narrative=conf.MAX_NARRATIVE_CHARS, max_files=conf.MAX_FILES, max_file_mb=conf.MAX_FILE_BYTES // (1024 * 1024),
    )
    response = render(request, "intake/public/form.html", context, status=status)
    if status == 429:
        response["Retry-After"] = "15"
    return response


@public_page
def report(request: HttpRequest, organisation: Organisation, lang: str) -> HttpResponse:
    if not form_settings_for(organisation=organisation).is_open:
        return render(request, "intake/public/closed.html", _public_context(organisation, lang), status=200 if request.method == "GET" else 403)
    if request.method == "GET":
        # ?p= is the token of a venue's poster; the page is the same with or without it.
        return _render_form(request, organisation, lang, publicform.report_form(), poster_token=publicform.poster_token(request.GET.get("p", "")))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = publicform.report_form(request.POST)
    uploads = request.FILES.getlist("files")
    file_errors = publicform.validate_files(uploads)
    token = request.POST.get("token", "")
    poster_token = publicform.poster_token(request.POST.get("poster", ""))
    render_again = functools.partial(_render_form, request, organisation, lang, form, poster_token=poster_token)
    if not form.is_valid() or file_errors:
        if uploads and not file_errors:
            file_errors = [_("Please choose your files again.")]
        return render_again(token=token, file_errors=file_errors, status=400)
    try:
        proof = abuse.check_proof(organisation=organisation, pow_payload=request.POST.get("pow", ""), form_token=token)
        abuse.check_unspent(proof)
        abuse.rate_hit(organisation=organisation, kind=proof.kind)
        receipt = services.report_submit(
            organisation=organisation,
            data=publicform.report_input(form, uploads=uploads, language=lang, venue=publicform.poster_venue(organisation, poster_token)),
            channel=Report.Channel.WEB if proof.kind == abuse.Kind.REPORT_POW else Report.Channel.WEB_NOJS,
            proof=proof,
        )
    except abuse.Refused as refusal:
        recalled = abuse.receipt_recall(organisation=organisation, form_token=token) if refusal.code == "replayed" else None
        if recalled is not None:
            again = services.Receipt(code=recalled[0], passphrase=recalled[1])
            return render(request, "intake/public/receipt.html", _public_context(organisation, lang, receipt=again))
        keep = refusal.code not in ("form_expired", "replayed")
        note = [_("Please choose your files again.")] if uploads else []
        return render_again(token=token if keep else "", refusal=refusal.message, file_errors=note, status=refusal.status)
    except ValidationError as exc:
        return render_again(token=token, file_errors=exc.messages, status=400)
    return render(request, "intake/public/receipt.html", _public_context(organisation, lang, receipt=receipt), status=201)


def _render_followup(
    request: HttpRequest, organisation: Organisation, lang: str, report_obj: Report, *,
    notice: str = "", refusal: str = "", add_errors: list[str] | None = None,
    withdraw_errors: list[str] | None = None, status: int = 200,
) -> HttpResponse:
    context = _public_context(
        organisation, lang, report=report_obj, notice=notice, refusal=refusal,
        status_label=status_for_reporter(report_obj),
        messages=list(report_obj.messages.all()),
        can_add=report_obj.status not in (Report.Status.SPAM, Report.Status.WITHDRAWN),
        token=services.followup_token(report_obj),
        add_url=reverse("intake:followup_add", args=[organisation.slug]),
        withdraw_url=reverse("intake:followup_withdraw", args=[organisation.slug]),
        add_errors=add_errors or [], withdraw_errors=withdraw_errors or [],
        max_message=conf.MAX_MESSAGE_CHARS,
    )
    return render(request, "intake/public/followup.html", context, status=status)


def _followup_login(
    request: HttpRequest, organisation: Organisation, lang: str, form: FollowUpForm, refusal: str = "", status: int = 200
) -> HttpResponse:
    context = _public_context(organisation, lang, form=form, refusal=refusal, action=reverse("intake:followup", args=[organisation.slug]))
    return render(request, "intake/public/followup_login.html", context, status=status)


_REFUSAL_STATUS = {"locked": 429, "expired": 403, "wrong": 403, "closed": 409}


@public_page
def followup(request: HttpRequest, organisation: Organisation, lang: str) -> HttpResponse:
    if request.method == "GET":
        return _followup_login(request, organisation, lang, FollowUpForm())
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _followup_login(request, organisation, lang, form, _("Enter your receipt code and passphrase."), 400)
    try:
        report_obj = services.followup_open(
            organisation=organisation, receipt_code=form.cleaned_data["receipt"], passphrase=form.cleaned_data["passphrase"]
        )
    except services.ActionRefused as refusal:
        response = _followup_login(request, organisation, lang, form, refusal.message, _REFUSAL_STATUS.get(refusal.code, 403))
        if refusal.retry_after:
            response["Retry-After"] = str(refusal.retry_after)
        return response
    return _render_followup(request, organisation, lang, report_obj)


def _report_from_token(request: HttpRequest, organisation: Organisation) -> Report:
    return services.followup_from_token(organisation=organisation, token=request.POST.get("t", ""))


@require_POST
@public_page
def followup_add(request: HttpRequest, organisation: Organisation, lang: str) -> HttpResponse:
    try:
        report_obj = _report_from_token(request, organisation)
    except services.ActionRefused as refusal:
        return _followup_login(request, organisation, lang, FollowUpForm(), refusal.message, 403)
    form = AddInformationForm(request.POST)
    uploads = request.FILES.getlist("files")
    errors = publicform.validate_files(uploads)
    if not form.is_valid():
        errors += [str(e) for field_errors in form.errors.values() for e in field_errors]
    elif not form.cleaned_data["text"] and not uploads:
        errors.append(_("Write something or choose a file to add."))
    if errors:
        return _render_followup(request, organisation, lang, report_obj, add_errors=errors, status=400)
    try:
        services.report_add_information(report=report_obj, text=form.cleaned_data["text"], uploads=uploads)
    except services.ActionRefused as refusal:
        return _render_followup(request, organisation, lang, report_obj, refusal=refusal.message, status=409)
    except ValidationError as exc:
        return _render_followup(request, organisation, lang, report_obj, add_errors=exc.messages, status=400)
    return _render_followup(request, organisation, lang, report_obj, notice=_("Thank you. Your information was added."))


@require_POST
@public_page
def followup_withdraw(request: HttpRequest, organisation: Organisation, lang: str) -> HttpResponse:
    try:
        report_obj = _report_from_token(request, organisation)
    except services.ActionRefused as refusal:
        return _followup_login(request, organisation, lang, FollowUpForm(), refusal.message, 403)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _render_followup(request, organisation, lang, report_obj, withdraw_errors=errors, status=400)
    report_obj = services.report_withdraw(report=report_obj)
    return _render_followup(request, organisation, lang, report_obj, notice=_("Your report was withdrawn and its content deleted."))


# --- Triage (coordinators and admins) ------------------------------------------------------

triage_required = role_required(Role.ADMIN, Role.COORDINATOR)


def _labels(vocabulary: str) -> dict[str, str]:
    from amparo.vocab.selectors import terms

    return {t.code: t.label for t in terms(vocabulary=vocabulary, include_retired=True)}


@triage_required
def triage_queue(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    violations = _labels("violation")
    queue = list(report_queue_for(membership=membership).select_related("district")[:200])
    regions = dict(publicform.choices()["departments"])
    for item in queue:
        item.violation_labels = [violations.get(c, c) for c in item.violation_codes]  # type: ignore[attr-defined]
        item.region_name = regions.get(item.department_code, "")  # type: ignore[attr-defined]
    recent = report_list_for(membership=membership).exclude(status=Report.Status.NEW).defer("narrative", "contact").order_by("-received_at")[:20]
    return render(request, "intake/triage_queue.html", {
        "queue": queue, "recent": recent, "waiting": reports_waiting_count(membership=membership),
    })


@triage_required
def triage_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    report_obj = report_get_for(membership=membership, report_id=report_id)
    with transaction.atomic():
        audit.record(
            actor=request.user, action="intake.report.viewed", target=report_obj,
            fields=["narrative", "contact", "messages"],
        )
    violations, perpetrators = _labels("violation"), _labels("perpetrator")
    return render(request, "intake/triage_detail.html", {
        "report": report_obj,
        "region_name": dict(publicform.choices()["departments"]).get(report_obj.department_code, ""),
        "violations": [violations.get(c, c) for c in report_obj.violation_codes],
        "perpetrators": [perpetrators.get(c, c) for c in report_obj.perpetrator_codes],
        "messages_list": list(report_obj.messages.select_related("author")),
        "files": list(report_obj.files.select_related("evidence")),
        "candidates": duplicate_candidates(membership=membership, report=report_obj) if report_obj.is_open else [],
        "accept_form": AcceptForm(), "merge_form": MergeForm(), "reply_form": ReplyForm(),
        "undo": services.undo_for(report_obj),
    })


def _triage_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POST only, triage roles only, the report scoped to the member; a refusal is a 4xx page
    that says why (nothing was saved: every service runs in one transaction)."""

    @wraps(view)
    @require_POST
    @triage_required
    def wrapper(request: HttpRequest, report_id: int) -> HttpResponse:
        report_obj = report_get_for(membership=request.membership, report_id=report_id)  # type: ignore[attr-defined]
        back = reverse("intake:triage_detail", args=[report_obj.pk])
        try:
            return view(request, report_obj)
        except services.ActionRefused as refusal:
            return action_refused(request, errors=[refusal.message], back=back, status=409)
        except ValidationError as exc:
            return action_refused(request, errors=exc.messages, back=back, status=400)

    return wrapper


@_triage_action
def triage_accept(request: HttpRequest, report_obj: Report) -> HttpResponse:
    form = AcceptForm(request.POST)
    if not form.is_valid():
        raise ValidationError([e for errs in form.errors.values() for e in errs])
    report_obj = services.report_accept(report=report_obj, acting_user=request.user, code_name=form.cleaned_data["code_name"])  # type: ignore[arg-type]
    messages.success(request, _("The report is now incident %(ref)s.") % {"ref": report_obj.incident.reference})  # type: ignore[union-attr]
    return redirect("records:incident_detail", report_obj.incident_id)


def _confirm_page(request: HttpRequest, report_obj: Report, *, action: str, incident: Any = None, status: int = 200) -> HttpResponse:
    return render(request, "intake/triage_confirm.html", {
        "report": report_obj, "action": action, "incident": incident, "undo_days": conf.UNDO_DAYS,
        "files": report_obj.files.filter(evidence__deleted_at=None).count(),
        "follow_ups": report_obj.messages.filter(author_kind="reporter").count(),
    }, status=status)


@_triage_action
def triage_merge(request: HttpRequest, report_obj: Report) -> HttpResponse:
    from amparo.intake.handover import incident_get

    form = MergeForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Choose the incident to merge into."))
    try:
        incident = incident_get(membership=request.membership, reference_or_id=form.cleaned_data["incident"])  # type: ignore[attr-defined]
    except Http404:
        raise ValidationError(_("No incident of your organisation has that reference."))
    if not report_obj.is_open:
        raise services.ActionRefused("already_triaged", _("Someone has already dealt with this report."))
    if not form.cleaned_data["confirm"]:
        return _confirm_page(request, report_obj, action="merge", incident=incident)
    services.report_merge(report=report_obj, incident=incident, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The report was merged into incident %(ref)s. You can undo this for %(days)d days from the report's page.") % {"ref": incident.reference, "days": conf.UNDO_DAYS})
    return redirect("records:incident_detail", incident.pk)


@triage_required
@require_http_methods(["GET", "POST"])
def triage_spam(request: HttpRequest, report_id: int) -> HttpResponse:
    """GET (or a POST without confirmation) shows what will happen; the confirmed POST does it."""
    report_obj = report_get_for(membership=request.membership, report_id=report_id)  # type: ignore[attr-defined]
    back = reverse("intake:triage_detail", args=[report_obj.pk])
    if not report_obj.is_open:
        return action_refused(request, errors=[_("Someone has already dealt with this report.")], back=back, status=409)
    form = ConfirmForm(request.POST or None)
    if request.method == "GET" or not (form.is_valid() and form.cleaned_data["confirm"]):
        return _confirm_page(request, report_obj, action="spam")
    try:
        services.report_mark_spam(report=report_obj, acting_user=request.user)  # type: ignore[arg-type]
    except services.ActionRefused as refusal:
        return action_refused(request, errors=[refusal.message], back=back, status=409)
    messages.success(request, _("Marked as spam. Its content will be deleted in %(days)d days; until then you can undo this from the report's page.") % {"days": conf.UNDO_DAYS})
    return redirect("intake:triage_queue")


@_triage_action
def triage_undo(request: HttpRequest, report_obj: Report) -> HttpResponse:
    undone = services.report_triage_undo(report=report_obj, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Undone: the report is waiting in the queue again."))
    if undone.incident is not None and not undone.narrative_intact:
        messages.warning(request, _("The narrative of incident %(ref)s was edited after the merge: review it and remove the report's text by hand.") % {"ref": undone.incident.reference})
    return redirect("intake:triage_detail", report_obj.pk)


@_triage_action
def triage_reply(request: HttpRequest, report_obj: Report) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        raise ValidationError([e for errs in form.errors.values() for e in errs])
    services.report_reply(report=report_obj, acting_user=request.user, body=form.cleaned_data["body"])  # type: ignore[arg-type]
    messages.success(request, _("Your reply is waiting for the reporter."))
    return redirect("intake:triage_detail", report_obj.pk)


@triage_required
def triage_file(request: HttpRequest, report_id: int, file_id: int) -> HttpResponse:
    from amparo.evidence.services import EvidenceTampered, evidence_read

    report_obj = report_get_for(membership=request.membership, report_id=report_id)  # type: ignore[attr-defined]
    if report_obj.status == Report.Status.SPAM:
        raise Http404  # kept only to be undone or purged, not to be read
    link = report_obj.files.select_related("evidence").filter(pk=file_id, evidence__deleted_at=None).first()
    if link is None:
        raise Http404
    try:
        data = evidence_read(evidence=link.evidence, acting_user=request.user, purpose="triage", action="downloaded")
    except EvidenceTampered as exc:
        return action_refused(request, errors=[str(exc)], back=reverse("intake:triage_detail", args=[report_obj.pk]), status=409)
    from amparo.evidence.sanitize import ACCEPTED

    content_type = link.evidence.content_type if link.evidence.content_type in ACCEPTED else "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    extension = ACCEPTED.get(link.evidence.content_type, "bin")
    response["Content-Disposition"] = f'attachment; filename="{report_obj.reference}-{link.pk}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Form settings, QR codes and posters ---------------------------------------------------


@triage_required
def form_settings(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    settings_obj = form_settings_for(organisation=organisation)
    form = FormSettingsForm(request.POST or None, instance=settings_obj)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            audit.record(actor=request.user, action="intake.settings.updated", organisation=organisation, target=form.instance, fields=list(form.changed_data))
        messages.success(request, _("Saved."))
        return redirect("intake:form_settings")
    return render(request, "intake/form_settings.html", {
        "form": form, "public_url": poster.public_url(organisation),
    }, status=400 if form.errors else 200)


@triage_required
def qr_code(request: HttpRequest, kind: str) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    return poster.qr_download(organisation, kind, filename=f"{organisation.slug}-qr.{kind}")


def _size(request: HttpRequest) -> str:
    return poster.size_from(request.GET.get("size"))


@triage_required
def poster_page(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    return render(request, "intake/poster.html", poster.context(organisation, size=_size(request)))


@triage_required
def poster_pdf(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    size = _size(request)
    return poster.pdf_download(organisation, size=size, filename=f"{organisation.slug}-afiche-{size}.pdf")
