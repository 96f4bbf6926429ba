"""Writes of anonymous reporting: receiving, following up, withdrawing and triaging reports.

Anonymous actions are audited with no actor. Nothing about a report's content goes into
the audit trail or any log: field names only.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organisation, User
from amparo.audit import services as audit
from amparo.intake import abuse, conf
from amparo.intake.lib import receipts
from amparo.intake.models import Report, ReportFile, ReportMessage, TriageUndo
from amparo.vault import crypto

_CONTENT_FIELDS = ["narrative", "contact"]


@dataclass
class ReportInput:
    violation_codes: list[str]
    perpetrator_codes: list[str]
    occurred_on: datetime.date | None
    date_precision: str
    location_withheld: bool
    department_code: str
    district: Any
    reporter: str
    narrative: str
    contact: str
    consent_store: bool
    consent_share_stats: bool
    consent_help: bool
    consent_legal_action: bool
    language: str = "es"
    uploads: Sequence[UploadedFile] = field(default_factory=list)
    venue: Any = None  # from the poster's token (amparo.programmes.selectors.venue_for_poster_token)


@dataclass(frozen=True)
class Receipt:
    code: str
    passphrase: str
    report: Report | None = None  # None when shown again after a double tap


def receipt_index(*, organisation: Organisation, code: str) -> str:
    normalised = receipts.normalise_receipt_code(code) or ""
    return crypto.blind_index(normalised, org_id=organisation.pk, kind="intake.receipt")


def _store_files(*, report: Report, uploads: Sequence[UploadedFile]) -> list[ReportFile]:
    from amparo.evidence.sanitize import FileRefused
    from amparo.evidence.services import evidence_store

    links = []
    for uploaded in uploads:
        try:
            evidence = evidence_store(
                organisation=report.organisation, uploaded=uploaded, acting_user=None,
                source="report", source_ref=report.reference, max_bytes=conf.MAX_FILE_BYTES,
            )
        except FileRefused as exc:
            # Name the file the person chose, so she knows which one to leave out.
            raise FileRefused(f"{uploaded.name or _('File')}: {exc.message}", code=exc.code or "refused")
        links.append(ReportFile.objects.create(organisation=report.organisation, report=report, evidence=evidence))
    return links


def report_submit(*, organisation: Organisation, data: ReportInput, channel: str, proof: abuse.Proof) -> Receipt:
    """Save a report sent anonymously; returns the receipt code and passphrase, shown once."""
    code = receipts.generate_receipt_code()
    passphrase = receipts.generate_passphrase(conf.PASSPHRASE_WORDS)
    # Hash outside the transaction: Argon2 is slow on purpose, and SQLite holds its write lock.
    passphrase_hash = receipts.hash_passphrase(passphrase)
    index = receipt_index(organisation=organisation, code=code)
    with transaction.atomic():
        abuse.spend(proof)
        now = timezone.now()
        report = Report.objects.create(
            organisation=organisation,
            receipt_index=index,
            passphrase_hash=passphrase_hash,
            channel=channel,
            language=data.language,
            occurred_on=data.occurred_on,
            date_precision=data.date_precision,
            location_withheld=data.location_withheld,
            department_code=data.department_code,
            district=data.district,
            violation_codes=data.violation_codes,
            perpetrator_codes=data.perpetrator_codes,
            reporter=data.reporter,
            narrative=data.narrative,
            contact=data.contact,
            consent_store=data.consent_store,
            consent_share_stats=data.consent_share_stats,
            consent_help=data.consent_help,
            consent_legal_action=data.consent_legal_action,
            venue=data.venue if data.venue is not None and data.venue.organisation_id == organisation.pk else None,
            received_at=now,
            reporter_activity_at=now,
        )
        files = _store_files(report=report, uploads=data.uploads)
        if proof.form_nonce:
            abuse.receipt_remember(nonce=proof.form_nonce, code=code, passphrase=passphrase)
        audit.record(
            actor=None, action="intake.report.received", organisation=organisation, target=report,
            fields=[f for f in ("narrative", "contact") if getattr(data, f)] + (["files"] if files else []),
            detail={"channel": channel, "files": len(files)},
        )
    return Receipt(code=code, passphrase=passphrase, report=report)


class ActionRefused(Exception):
    """A follow-up or triage step that cannot happen (wrong passphrase, locked, already triaged...)."""

    def __init__(self, code: str, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


def _wrong() -> ActionRefused:
    return ActionRefused("wrong", _("The receipt code or the passphrase is not right."))


def _locked(seconds: int) -> ActionRefused:
    minutes = max(1, (seconds + 59) // 60)
    return ActionRefused(
        "locked",
        _("Too many wrong tries. For your safety, wait %(minutes)d minute(s) before trying again.") % {"minutes": minutes},
        retry_after=seconds,
    )


def followup_open(*, organisation: Organisation, receipt_code: str, passphrase: str) -> Report:
    """The report behind a receipt code and passphrase; wrong tries slow further ones down."""
    wait = abuse.rate_exhausted(organisation=organisation, kind=abuse.Kind.FOLLOWUP_FAILURE)
    if wait:
        raise _locked(wait)
    report = None
    if receipts.normalise_receipt_code(receipt_code):
        report = (
            Report.objects.filter(organisation=organisation, receipt_index=receipt_index(organisation=organisation, code=receipt_code))
            .select_related("organisation")
            .first()
        )
    now = timezone.now()
    if report is not None and report.locked_until and report.locked_until > now:
        # While locked, the passphrase is not even checked: guessing costs time, not just tries.
        raise _locked(int((report.locked_until - now).total_seconds()) + 1)
    if not receipts.verify_passphrase(report.passphrase_hash if report else None, passphrase):
        abuse.rate_hit_quiet(organisation=organisation, kind=abuse.Kind.FOLLOWUP_FAILURE)
        if report is not None:
            Report.objects.filter(pk=report.pk).update(failed_attempts=F("failed_attempts") + 1)
            failures = Report.objects.values_list("failed_attempts", flat=True).get(pk=report.pk)
            delay = receipts.lockout_seconds(
                failures, free=conf.FOLLOWUP_FREE_FAILURES,
                first_delay=conf.FOLLOWUP_FIRST_DELAY_SECONDS, ceiling=conf.FOLLOWUP_MAX_DELAY_SECONDS,
            )
            if delay:
                Report.objects.filter(pk=report.pk).update(locked_until=now + datetime.timedelta(seconds=delay))
                raise _locked(delay)
        raise _wrong()
    assert report is not None
    if report.failed_attempts or report.locked_until:
        Report.objects.filter(pk=report.pk).update(failed_attempts=0, locked_until=None)
        report.failed_attempts, report.locked_until = 0, None
    with transaction.atomic():
        audit.record(actor=None, action="intake.report.followup_opened", organisation=organisation, target=report)
    return report


_SIGNER_SALT = "amparo.intake.followup"
FOLLOWUP_TOKEN_MAX_AGE = 30 * 60


def followup_token(report: Report) -> str:
    """Carried in the follow-up page's forms so the reporter need not type the passphrase again."""
    return TimestampSigner(salt=_SIGNER_SALT).sign_object({"r": report.pk, "o": report.organisation_id})


def followup_from_token(*, organisation: Organisation, token: str) -> Report:
    try:
        data = TimestampSigner(salt=_SIGNER_SALT).unsign_object(token, max_age=FOLLOWUP_TOKEN_MAX_AGE)
    except SignatureExpired:
        raise ActionRefused("expired", _("For your safety the page has closed. Enter your receipt code and passphrase again."))
    except (BadSignature, ValueError, TypeError):
        raise _wrong()
    if not isinstance(data, dict) or data.get("o") != organisation.pk:
        raise _wrong()
    report_id = data.get("r")
    report = Report.objects.filter(organisation=organisation, pk=report_id).first() if isinstance(report_id, int) else None
    if report is None:
        raise _wrong()
    return report


def report_add_information(*, report: Report, text: str, uploads: Sequence[UploadedFile]) -> ReportMessage | None:
    """The reporter adds text or files. Once the report is an incident's, they reach the incident too."""
    from amparo.intake.handover import incident_add_report_message

    if report.status in (Report.Status.WITHDRAWN, Report.Status.SPAM):
        raise ActionRefused("closed", _("This report is closed."))
    with transaction.atomic():
        message = None
        if text:
            message = ReportMessage.objects.create(
                organisation=report.organisation, report=report, author_kind=ReportMessage.Author.REPORTER, body=text
            )
        files = _store_files(report=report, uploads=uploads)
        incident = report.incident if report.incident_id else None
        if incident is not None and (message is not None or files):
            block = incident_add_report_message(incident=incident, message=message, files=files)  # type: ignore[arg-type]
            _undo_remember(report=report, text=block, evidence=[link.evidence_id for link in files])
        Report.objects.filter(pk=report.pk).update(reporter_activity_at=timezone.now())
        audit.record(
            actor=None, action="intake.report.information_added", organisation=report.organisation, target=report,
            fields=(["message"] if message else []) + (["files"] if files else []),
            detail={"files": len(files), "incident": report.incident_id},
        )
    return message


def _undo_remember(*, report: Report, text: str, evidence: list[int]) -> None:
    """A follow-up that reached a merged incident is part of what undoing the merge takes back."""
    undo = _open_undo(report, TriageUndo.Action.MERGE, lock=True)
    if undo is None or not (text or evidence):
        return
    snapshot = dict(undo.snapshot or {})
    snapshot["text"] = [*snapshot.get("text", []), *([text] if text else [])]
    snapshot["evidence"] = [*snapshot.get("evidence", []), *evidence]
    undo.snapshot = snapshot
    undo.save(update_fields=["snapshot"])


def _delete_content(report: Report, acting_user: User | None = None) -> int:
    """Remove narrative, contact, messages and files that are only the report's. Returns files deleted."""
    from amparo.evidence.services import evidence_delete

    deleted = 0
    for link in list(report.files.select_related("evidence")):
        evidence = link.evidence
        link.delete()
        if evidence.incident_id is None:
            evidence_delete(evidence=evidence, acting_user=acting_user, purpose="intake report withdrawn or spam")
            deleted += 1
    report.messages.all().delete()
    report.narrative = ""
    report.contact = ""
    return deleted


def report_withdraw(*, report: Report) -> Report:
    """The reporter takes the report back: its content is deleted at once, even while a spam
    decision could still be undone; staff see only that it was withdrawn."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status == Report.Status.WITHDRAWN:
            return report
        files = _delete_content(report)
        previous = report.status
        report.status = Report.Status.WITHDRAWN
        report.withdrawn_at = timezone.now()
        report.save(update_fields=["narrative", "contact", "status", "withdrawn_at"])
        # Nothing is left to bring back: whatever an undo kept goes with it.
        TriageUndo.objects.filter(report=report, undone_at=None, purged_at=None).update(
            purged_at=report.withdrawn_at, snapshot=""
        )
        audit.record(
            actor=None, action="intake.report.withdrawn", organisation=report.organisation, target=report,
            fields=["narrative", "contact", "messages", "files"],
            detail={"files_deleted": files, "incident": report.incident_id, "was": previous},
        )
    return report


# --- Triage (coordinators) ---------------------------------------------------------------


def _claim(report: Report, status: str, acting_user: User) -> Report:
    """Lock the report and check it is still waiting, so two coordinators cannot triage it twice."""
    locked = Report.objects.select_for_update().select_related("organisation").get(pk=report.pk)
    if locked.status != Report.Status.NEW:
        raise ActionRefused("already_triaged", _("Someone has already dealt with this report."))
    locked.status = status
    locked.triaged_by = acting_user
    locked.triaged_at = timezone.now()
    return locked


def _open_undo(report: Report, action: str | None = None, *, lock: bool = False) -> TriageUndo | None:
    undos = TriageUndo.objects.filter(report=report, undone_at=None, purged_at=None, expires_at__gt=timezone.now())
    if action:
        undos = undos.filter(action=action)
    if lock:
        undos = undos.select_for_update()
    return undos.first()


def undo_for(report: Report) -> TriageUndo | None:
    """The spam or merge decision on this report that can still be undone, if any."""
    return _open_undo(report)


def _undo_deadline() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=conf.UNDO_DAYS)


def report_accept(*, report: Report, acting_user: User, code_name: str = "") -> Report:
    """Turn a waiting report into an incident with one person, every message and file, linked back to the report."""
    from amparo.intake.handover import incident_from_report

    with transaction.atomic():
        report = _claim(report, Report.Status.ACCEPTED, acting_user)
        incident, files = incident_from_report(report=report, acting_user=acting_user, code_name=code_name or report.reference)
        report.incident = incident
        report.save(update_fields=["status", "triaged_by", "triaged_at", "incident"])
        audit.record(
            actor=acting_user, action="intake.report.accepted", organisation=report.organisation, target=report,
            detail={"incident": incident.pk, "files": len(files)},
        )
    return report


def report_merge(*, report: Report, incident: Any, acting_user: User) -> Report:
    """Attach a waiting report to an existing incident (a duplicate, or another voice about the same
    events). What the merge adds is remembered, sealed, so it can be undone for `UNDO_DAYS`."""
    from amparo.intake.handover import incident_add_report

    if incident.organisation_id != report.organisation_id:
        raise ActionRefused("not_found", _("Not found."))
    with transaction.atomic():
        report = _claim(report, Report.Status.MERGED, acting_user)
        added = incident_add_report(incident=incident, report=report, acting_user=acting_user)
        report.incident = incident
        report.save(update_fields=["status", "triaged_by", "triaged_at", "incident"])
        TriageUndo.objects.create(  # type: ignore[misc]  # EncryptedJSONField holds a dict
            organisation=report.organisation, report=report, action=TriageUndo.Action.MERGE, incident=incident,
            snapshot=added, acting_user=acting_user, expires_at=_undo_deadline(),
        )
        audit.record(
            actor=acting_user, action="intake.report.merged", organisation=report.organisation, target=report,
            detail={"incident": incident.pk, "files": len(added["evidence"])},
        )
    return report


def report_mark_spam(*, report: Report, acting_user: User) -> Report:
    """Spam is not kept: its content and files are deleted after `UNDO_DAYS` (by the purge job),
    sealed until then so a mistaken tap can be undone. The row stays so counts add up."""
    with transaction.atomic():
        report = _claim(report, Report.Status.SPAM, acting_user)
        report.save(update_fields=["status", "triaged_by", "triaged_at"])
        undo = TriageUndo.objects.create(
            organisation=report.organisation, report=report, action=TriageUndo.Action.SPAM,
            acting_user=acting_user, expires_at=_undo_deadline(),
        )
        audit.record(
            actor=acting_user, action="intake.report.spam", organisation=report.organisation, target=report,
            detail={"purge_after": undo.expires_at.date().isoformat()},
        )
    return report


@dataclass(frozen=True)
class Undone:
    report: Report
    action: str
    incident: Any = None
    narrative_intact: bool = True


def report_triage_undo(*, report: Report, acting_user: User) -> Undone:
    """Undo a spam or merge decision within `UNDO_DAYS`: the report waits in the queue again and a
    merged incident loses exactly what the merge (and later follow-ups) added."""
    from amparo.intake.handover import incident_take_back_report

    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).select_related("organisation", "incident").get(pk=report.pk)
        undo = _open_undo(report, lock=True)
        if undo is None or report.status not in (Report.Status.SPAM, Report.Status.MERGED):
            raise ActionRefused("not_undoable", _("This decision can no longer be undone."))
        incident, intact = None, True
        if undo.action == TriageUndo.Action.MERGE and report.incident is not None:
            incident = report.incident
            intact = incident_take_back_report(incident=incident, added=undo.snapshot or {}, acting_user=acting_user)
        report.status = Report.Status.NEW
        report.incident = None
        report.triaged_by = None
        report.triaged_at = None
        report.save(update_fields=["status", "incident", "triaged_by", "triaged_at"])
        undo.undone_at = timezone.now()
        undo.snapshot = {}
        undo.save(update_fields=["undone_at", "snapshot"])
        audit.record(
            actor=acting_user, action=f"intake.report.{undo.action}_undone", organisation=report.organisation, target=report,
            detail={"incident": getattr(incident, "pk", None), "narrative_intact": intact},
        )
    return Undone(report=report, action=undo.action, incident=incident, narrative_intact=intact)


def triage_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete what spam decisions kept, and forget merge snapshots, once they can no longer be
    undone. Each one is claimed before it is touched, so running twice (or twice at once) is harmless."""
    now = now or timezone.now()
    purged = 0
    for undo_id in list(TriageUndo.objects.filter(undone_at=None, purged_at=None, expires_at__lte=now).values_list("pk", flat=True)):
        with transaction.atomic():
            if TriageUndo.objects.filter(pk=undo_id, undone_at=None, purged_at=None).update(purged_at=now, snapshot="") != 1:
                continue
            undo = TriageUndo.objects.select_related("report", "report__organisation").get(pk=undo_id)
            report = Report.objects.select_for_update().get(pk=undo.report_id)
            files = 0
            if undo.action == TriageUndo.Action.SPAM and report.status == Report.Status.SPAM:
                files = _delete_content(report)
                report.save(update_fields=["narrative", "contact"])
            audit.record(
                actor=None, action=f"intake.report.{undo.action}_purged", organisation_id=report.organisation_id,
                target=report, fields=["narrative", "contact", "messages", "files"] if undo.action == TriageUndo.Action.SPAM else [],
                detail={"files_deleted": files},
            )
            purged += 1
    return purged


def report_reply(*, report: Report, acting_user: User, body: str) -> ReportMessage:
    if report.status in (Report.Status.WITHDRAWN, Report.Status.SPAM):
        raise ActionRefused("closed", _("This report is closed."))
    with transaction.atomic():
        message = ReportMessage.objects.create(
            organisation=report.organisation, report=report, author_kind=ReportMessage.Author.ORGANISATION,
            author=acting_user, body=body,
        )
        audit.record(
            actor=acting_user, action="intake.report.replied", organisation=report.organisation, target=report,
            fields=["message"],
        )
    return message
