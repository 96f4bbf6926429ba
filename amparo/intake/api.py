"""JSON API of anonymous reporting for partner apps: the same rules as the public form.

Public routes live under /api/v1/public/ so the middleware strips addresses and forbids
caching there. Every submission needs a solved proof-of-work challenge; every follow-up
call carries the receipt code and passphrase (there is no session).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from amparo.accounts.models import Organisation
from amparo.accounts.selectors import organisation_by_slug
from amparo.api import ApiError
from amparo.intake import abuse, conf, publicform, services
from amparo.intake.models import Report
from amparo.intake.schemas import (
    AddIn,
    ChallengeOut,
    FileIn,
    FollowUpIn,
    FollowUpOut,
    FormOptionsOut,
    PublicDistrictOut,
    ReceiptOut,
    ReportIn,
    WithdrawIn,
)
from amparo.intake.selectors import form_settings_for, status_for_reporter
from amparo.lib.inputs import Slug
from amparo.places.models import District

router = Router()

# Bodies are read whole in memory; the JSON API takes files up to what fits under this limit.
MAX_JSON_BYTES = 2 * 1024 * 1024


def _open_organisation(request: HttpRequest, org_slug: Slug) -> Organisation:
    organisation = organisation_by_slug(slug=org_slug)
    if not form_settings_for(organisation=organisation).is_open:
        raise ApiError(403, "closed", _("This organisation is not receiving reports here at the moment."))
    return organisation


def _language(value: str) -> str:
    return value if value in ("es", "en") else "es"


@router.get("public/r/{org_slug}/challenge", auth=None, response=ChallengeOut, url_name="intake_public_challenge")
def challenge(request: HttpRequest, org_slug: Slug) -> dict[str, Any]:
    return abuse.challenge_for(_open_organisation(request, org_slug)).as_dict()


@router.get("public/r/{org_slug}/form", auth=None, response=FormOptionsOut, url_name="intake_public_form")
def form_options(request: HttpRequest, org_slug: Slug, lang: Annotated[str, Query(max_length=5)] = "es") -> dict[str, Any]:
    _open_organisation(request, org_slug)
    with translation.override(_language(lang)):
        form = publicform.report_form()
        pairs = lambda choices: [{"code": str(c), "label": str(label)} for c, label in choices if c]  # noqa: E731
        return {
            "violations": pairs(form.fields["violations"].choices),  # type: ignore[attr-defined]
            "perpetrators": pairs(form.fields["perpetrators"].choices),  # type: ignore[attr-defined]
            "departments": pairs(form.fields["department"].choices),  # type: ignore[attr-defined]
            "date_precisions": pairs(Report.Precision.choices),
            "reporters": pairs(Report.Reporter.choices),
            "max_files": conf.MAX_FILES,
            "max_narrative_chars": conf.MAX_NARRATIVE_CHARS,
        }


@router.get("public/r/{org_slug}/districts", auth=None, response=list[PublicDistrictOut], url_name="intake_public_districts")
def districts(request: HttpRequest, org_slug: Slug, department: Annotated[str, Query(max_length=10)] = "") -> list[dict[str, str]]:
    organisation_by_slug(slug=org_slug)
    if not (len(department) == 2 and department.isdigit()):
        raise ApiError(400, "bad_request", _("Give a region code of two digits."), {"department": [_("Not valid.")]})
    rows = District.objects.filter(department_id=department).select_related("province").order_by("name")
    return [{"code": d.code, "name": d.name, "label": f"{d.name} ({d.province.name})"} for d in rows]


def _check_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", _("What you sent is too large. Send fewer or smaller files."))


def _uploads(files: list[FileIn]) -> list[SimpleUploadedFile]:
    uploads = []
    for index, item in enumerate(files):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(422, "validation", _("Some fields are not valid."), {f"files.{index}": [_("Not valid base64.")]})
        uploads.append(SimpleUploadedFile(item.name or f"file{index}", data))
    errors = publicform.validate_files(uploads)
    if errors:
        raise ApiError(422, "validation", _("Some files cannot be accepted."), {"files": errors})
    return uploads


def _form_errors(form: Any) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


@router.post("public/r/{org_slug}/reports", auth=None, response={201: ReceiptOut}, url_name="intake_public_report_create")
def report_create(request: HttpRequest, org_slug: Slug, payload: ReportIn) -> Status:
    _check_size(request)
    organisation = _open_organisation(request, org_slug)
    language = _language(payload.language)
    with translation.override(language):
        data = payload.dict(exclude={"pow", "files", "language"})
        form = publicform.report_form(data)
        if not form.is_valid():
            raise ApiError(422, "validation", _("Some fields are not valid."), _form_errors(form))
        uploads = _uploads(payload.files)
        try:
            proof = abuse.check_proof(organisation=organisation, pow_payload=payload.pow, form_token=None)
            abuse.check_unspent(proof)
            abuse.rate_hit(organisation=organisation, kind=proof.kind)
            receipt = services.report_submit(
                organisation=organisation, data=publicform.report_input(form, uploads=uploads, language=language),
                channel=Report.Channel.API, proof=proof,
            )
        except abuse.Refused as refusal:
            raise ApiError(refusal.status, refusal.code, refusal.message)
        except ValidationError as exc:
            raise ApiError(422, "validation", _("Some files cannot be accepted."), {"files": exc.messages})
    return Status(201, {"receipt": receipt.code, "passphrase": receipt.passphrase, "status": Report.Status.NEW.value})


def _followup(organisation: Organisation, payload: FollowUpIn) -> Report:
    try:
        return services.followup_open(organisation=organisation, receipt_code=payload.receipt, passphrase=payload.passphrase)
    except services.ActionRefused as refusal:
        raise ApiError(429 if refusal.code == "locked" else 403, refusal.code, refusal.message)


def _followup_out(report: Report) -> dict[str, Any]:
    return {
        "status": "closed" if report.status == Report.Status.SPAM else report.status,
        "status_label": status_for_reporter(report),
        "received_at": report.received_at,
        "messages": [
            {"author": m.author_kind, "body": m.body, "created_at": m.created_at} for m in report.messages.all()
        ],
    }


@router.post("public/r/{org_slug}/follow-up", auth=None, response=FollowUpOut, url_name="intake_public_followup")
def followup(request: HttpRequest, org_slug: Slug, payload: FollowUpIn) -> dict[str, Any]:
    organisation = organisation_by_slug(slug=org_slug)
    return _followup_out(_followup(organisation, payload))


@router.post("public/r/{org_slug}/follow-up/messages", auth=None, response={201: FollowUpOut}, url_name="intake_public_followup_add")
def followup_add(request: HttpRequest, org_slug: Slug, payload: AddIn) -> Status:
    _check_size(request)
    organisation = organisation_by_slug(slug=org_slug)
    report = _followup(organisation, payload)
    text = payload.text.strip()
    if len(text) > conf.MAX_MESSAGE_CHARS:
        raise ApiError(422, "validation", _("Some fields are not valid."), {"text": [_("The text is too long.")]})
    uploads = _uploads(payload.files)
    if not text and not uploads:
        raise ApiError(422, "validation", _("Write something or choose a file to add."), {"text": [_("This field is required.")]})
    try:
        services.report_add_information(report=report, text=text, uploads=uploads)
    except services.ActionRefused as refusal:
        raise ApiError(409, refusal.code, refusal.message)
    except ValidationError as exc:
        raise ApiError(422, "validation", _("Some files cannot be accepted."), {"files": exc.messages})
    return Status(201, _followup_out(report))


@router.post("public/r/{org_slug}/follow-up/withdraw", auth=None, response=FollowUpOut, url_name="intake_public_withdraw")
def withdraw(request: HttpRequest, org_slug: Slug, payload: WithdrawIn) -> dict[str, Any]:
    organisation = organisation_by_slug(slug=org_slug)
    if not payload.confirm:
        raise ApiError(422, "validation", _("Confirm that you want to delete your report."), {"confirm": [_("Must be true.")]})
    report = services.report_withdraw(report=_followup(organisation, payload))
    return _followup_out(report)
