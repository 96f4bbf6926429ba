"""OpenRosa endpoints for phones (HTTP Digest, no session, no CSRF) and the admin screens.

Phones never hold a session cookie, so the staff two-factor middleware (which acts only on
signed-in sessions) lets their requests through; the phones' own proof is Digest.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from amparo.accounts.decorators import role_required
from amparo.accounts.models import Membership, Role, User
from amparo.lib.urls import absolute_url
from amparo.openrosa import conf, selectors, services
from amparo.openrosa.forms import CollectorForm, FormSettingForm
from amparo.openrosa.lib import collect_settings, digest, protocol, xlsform
from amparo.openrosa.lib.multipart import SubmissionRejected, read_submission
from amparo.openrosa.models import FormMedia, SubmissionStatus
from amparo.web.responses import action_refused

_nonce_store = services.DatabaseNonceCounterStore()


def _secret() -> bytes:
    return f"amparo.openrosa.nonce:{settings.SECRET_KEY}".encode()


def _scope(organisation: Any) -> str:
    return f"odk/{organisation.slug}"


def _openrosa(response: HttpResponse, *, accept_length: bool = False) -> HttpResponse:
    for name, value in protocol.openrosa_headers(
        accept_content_length=conf.accept_content_length() if accept_length else None, language=(get_language() or "es")[:2]
    ).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _envelope(status: int, message: Any, *, nature: str = "") -> HttpResponse:
    return HttpResponse(protocol.response_envelope(str(message), nature=nature), status=status, content_type=protocol.XML_CONTENT_TYPE)


def _challenge(organisation: Any, *, stale: bool = False) -> HttpResponse:
    nonce = digest.make_nonce(secret=_secret(), scope=_scope(organisation))
    response = _envelope(401, _("Sign in with this phone's collector account."))
    algorithm = conf.DIGEST_ALGORITHMS[0] if conf.DIGEST_ALGORITHMS else "MD5"
    response["WWW-Authenticate"] = digest.challenge(
        realm=conf.DIGEST_REALM, nonce=nonce, opaque=digest.make_nonce(secret=_secret(), scope="opaque"),
        domain=f"/odk/{organisation.slug}/", algorithm=algorithm, stale=stale,
    )
    return _openrosa(response, accept_length=True)


def device_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the organisation, authenticate the collector with Digest, add OpenRosa headers."""

    @csrf_exempt
    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        organisation = selectors.organisation_by_slug(slug=slug)
        found: dict[str, Any] = {}

        def lookup(username: str, algorithm: str) -> str | None:
            if algorithm not in conf.DIGEST_ALGORITHMS and algorithm != "MD5":
                return None
            collector, ha1 = selectors.collector_ha1(organisation=organisation, username=username, algorithm=algorithm)
            found["collector"] = collector
            return ha1

        verdict = digest.verify(
            header=request.META.get("HTTP_AUTHORIZATION", ""),
            method=request.method or "GET",
            request_uri=request.get_full_path(),
            realm=conf.DIGEST_REALM,
            secret=_secret(),
            scope=_scope(organisation),
            ttl_seconds=conf.NONCE_TTL_SECONDS,
            lookup_ha1=lookup,
            store=_nonce_store,
        )
        if verdict.outcome is not digest.Outcome.OK:
            return _challenge(organisation, stale=verdict.outcome is digest.Outcome.STALE)
        collector = found["collector"]
        services.collector_seen(collector=collector)
        return _openrosa(view(request, organisation, collector, *args, **kwargs), accept_length=True)

    return wrapper


def _absolute(request: HttpRequest, path: str) -> str:
    return absolute_url(path)


@require_http_methods(["GET", "HEAD"])
@device_view
def form_list(request: HttpRequest, organisation: Any, collector: Any) -> HttpResponse:
    versions = services.forms_publish(organisation=organisation)
    wanted = request.GET.get("formID", "")
    entries = []
    for fv in versions:
        if wanted and fv.form_id != wanted:
            continue
        kwargs = {"slug": organisation.slug, "form_id": fv.form_id, "version": fv.version}
        entries.append(
            protocol.FormListEntry(
                form_id=fv.form_id, name=fv.title, version=fv.version, md5=fv.md5,
                download_url=_absolute(request, reverse("openrosa:form_xml", kwargs=kwargs)),
                manifest_url=_absolute(request, reverse("openrosa:form_manifest", kwargs=kwargs)) if fv.media else "",
            )
        )
    return HttpResponse(protocol.form_list(entries, verbose=request.GET.get("verbose") == "true"), content_type=protocol.XML_CONTENT_TYPE)


@require_http_methods(["GET", "HEAD"])
@device_view
def form_xml(request: HttpRequest, organisation: Any, collector: Any, form_id: str, version: str) -> HttpResponse:
    fv = selectors.form_version_for_device(organisation=organisation, form_id=form_id, version=version)
    return HttpResponse(fv.xml.encode("utf-8"), content_type=protocol.XML_CONTENT_TYPE)


@require_http_methods(["GET", "HEAD"])
@device_view
def form_manifest(request: HttpRequest, organisation: Any, collector: Any, form_id: str, version: str) -> HttpResponse:
    fv = selectors.form_version_for_device(organisation=organisation, form_id=form_id, version=version)
    files = [
        protocol.MediaFile(
            filename=name, md5=md5,
            download_url=_absolute(request, reverse("openrosa:form_media", kwargs={"slug": organisation.slug, "form_id": form_id, "version": version, "filename": name})),
        )
        for name, md5 in sorted(fv.media.items())
    ]
    return HttpResponse(protocol.manifest(files), content_type=protocol.XML_CONTENT_TYPE)


@require_http_methods(["GET", "HEAD"])
@device_view
def form_media(request: HttpRequest, organisation: Any, collector: Any, form_id: str, version: str, filename: str) -> HttpResponse:
    fv = selectors.form_version_for_device(organisation=organisation, form_id=form_id, version=version)
    media = FormMedia.objects.filter(form_version=fv, filename=filename).first()
    if media is None:
        raise Http404
    return HttpResponse(bytes(media.content), content_type="text/csv; charset=utf-8")


@require_http_methods(["HEAD", "POST"])
@device_view
def submission(request: HttpRequest, organisation: Any, collector: Any) -> HttpResponse:
    if request.method == "HEAD":
        # Collect's pre-flight: authentication settled, size limit announced, 204 required.
        return HttpResponse(status=204)
    try:
        parts = read_submission(
            request, max_body=conf.MAX_SUBMISSION_BYTES, max_files=conf.MAX_ATTACHMENTS,
            max_file_bytes=conf.MAX_ATTACHMENT_BYTES, max_xml_bytes=conf.MAX_XML_BYTES,
        )
        receipt = services.submission_receive(organisation=organisation, collector=collector, parts=parts)
    except SubmissionRejected as exc:
        return _envelope(exc.status, exc.message, nature="submit_error")
    return _envelope(receipt.status, receipt.message, nature="submit_success")


# -- admin screens --------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    # role_required has already made sure this is a signed-in, verified member.
    return cast(User, request.user)


def _owners(membership: Membership) -> list[Membership]:
    return list(
        Membership.objects.for_member(membership).filter(is_active=True, role__in=services.WRITER_ROLES)
        .select_related("user").order_by("user__username")
    )


def _qr_page(request: HttpRequest, collector: Any, issued: services.IssuedCredentials) -> HttpResponse:
    response = render(
        request,
        "openrosa/credentials.html",
        {"collector": collector, "issued": issued, "qr_svg": collect_settings.qr_svg(issued.payload)},
    )
    # Shown once: never cached, never kept in history by a well-behaved browser.
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def phones(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    owners = _owners(membership)
    form = CollectorForm(request.POST or None, owners=owners, initial={"owner": request.user.pk, "allow_drafts": True})
    if request.method == "POST" and form.is_valid():
        try:
            collector, issued = services.collector_create(
                organisation=membership.organisation, label=form.cleaned_data["label"],
                owner=form.cleaned_data["owner"], acting_user=_user(request),
                allow_drafts=form.cleaned_data["allow_drafts"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _qr_page(request, collector, issued)
    return render(
        request,
        "openrosa/phones.html",
        {
            "form": form,
            "collectors": selectors.collector_list_for(membership=membership),
            "server_url": services.server_url_for(membership.organisation),
            "forms": [
                (fid, services.form_setting(organisation=membership.organisation, form_id=fid),
                 [(route.value, route.label) for route in services.ROUTES[fid]])
                for fid in xlsform.FORM_IDS
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_http_methods(["GET"])
def submissions(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    return render(
        request,
        "openrosa/submissions.html",
        {
            "attention": selectors.submissions_needing_attention_for(membership=membership)[:50],
            "recent": selectors.submissions_recent_for(membership=membership, limit=30),
            "flag_text": services.FLAG_TEXT,
        },
    )


@role_required(Role.ADMIN)
@require_POST
def phone_reissue(request: HttpRequest, collector_id: int) -> HttpResponse:
    collector = selectors.collector_get_for(membership=request.membership, collector_id=collector_id)  # type: ignore[attr-defined]
    try:
        issued = services.collector_reissue(collector=collector, acting_user=_user(request))
    except ValidationError as exc:
        return action_refused(request, errors=exc.messages, back=reverse("openrosa:phones"), status=409)
    return _qr_page(request, collector, issued)


@role_required(Role.ADMIN)
@require_POST
def phone_revoke(request: HttpRequest, collector_id: int) -> HttpResponse:
    collector = selectors.collector_get_for(membership=request.membership, collector_id=collector_id)  # type: ignore[attr-defined]
    services.collector_revoke(collector=collector, acting_user=_user(request))
    messages.success(request, _("The phone “%(label)s” can no longer send or download anything.") % {"label": collector.label})
    return redirect("openrosa:phones")


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_http_methods(["GET"])
def form_xlsx(request: HttpRequest, form_id: str) -> HttpResponse:
    if form_id not in xlsform.FORM_IDS:
        raise Http404
    choices, _variant = services.form_choices(organisation=request.organisation, form_id=form_id)  # type: ignore[attr-defined]
    built = xlsform.build(form_id, choices=choices)
    response = HttpResponse(built.xlsx, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{form_id}-{built.version}.xlsx"'
    return response


@role_required(Role.ADMIN)
@require_POST
def form_settings(request: HttpRequest, form_id: str) -> HttpResponse:
    form = FormSettingForm(request.POST)
    if form_id not in xlsform.FORM_IDS:
        raise Http404
    if not form.is_valid():
        return action_refused(request, errors=[_("Choose where the answers of this form go.")], back=reverse("openrosa:phones"))
    try:
        services.form_setting_update(
            organisation=request.organisation, form_id=form_id, acting_user=_user(request),  # type: ignore[attr-defined]
            enabled=form.cleaned_data["enabled"], encrypted=form.cleaned_data["encrypted"], route=form.cleaned_data["route"],
        )
    except ValidationError:
        return action_refused(request, errors=[_("Choose where the answers of this form go.")], back=reverse("openrosa:phones"))
    messages.success(request, _("Saved. Phones get the change at their next form update."))
    return redirect("openrosa:phones")


@role_required(Role.ADMIN)
@require_POST
def form_key_rotate(request: HttpRequest) -> HttpResponse:
    services.form_key_rotate(organisation=request.organisation, acting_user=_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("New encryption key. Phones get it with their next form update; forms finished with the old key still open."))
    return redirect("openrosa:phones")


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_http_methods(["GET"])
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    found = selectors.submission_get_for(membership=request.membership, submission_id=submission_id)  # type: ignore[attr-defined]
    answers = services.submission_answers(submission=found, acting_user=_user(request))  # type: ignore[arg-type]
    response = render(
        request, "openrosa/submission.html",
        {"submission": found, "answers": answers, "flag_text": services.FLAG_TEXT, "retryable": bool(set(found.flags) & services.RETRYABLE),
         "attachments": found.attachments.all(), "statuses": SubmissionStatus},
    )
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_POST
def submission_retry(request: HttpRequest, submission_id: int) -> HttpResponse:
    found = selectors.submission_get_for(membership=request.membership, submission_id=submission_id)  # type: ignore[attr-defined]
    try:
        result = services.submission_retry(submission=found, acting_user=_user(request))  # type: ignore[arg-type]
    except ValidationError as exc:
        back = reverse("openrosa:submission_detail", kwargs={"submission_id": found.pk})
        return action_refused(request, errors=exc.messages, back=back, status=409)
    else:
        if result.status == SubmissionStatus.FLAGGED and set(result.flags) & services.RETRYABLE:
            messages.error(request, _("It still cannot be recorded. See the reason below."))
        else:
            messages.success(request, _("Recorded."))
    return redirect("openrosa:submission_detail", submission_id=found.pk)


@role_required(Role.ADMIN, Role.COORDINATOR)
@require_POST
def submission_handled(request: HttpRequest, submission_id: int) -> HttpResponse:
    found = selectors.submission_get_for(membership=request.membership, submission_id=submission_id)  # type: ignore[attr-defined]
    try:
        services.submission_mark_handled(submission=found, acting_user=_user(request))  # type: ignore[arg-type]
    except ValidationError as exc:
        back = reverse("openrosa:submission_detail", kwargs={"submission_id": found.pk})
        return action_refused(request, errors=exc.messages, back=back, status=409)
    return redirect("openrosa:submission_detail", submission_id=found.pk)
