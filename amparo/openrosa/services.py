"""Writes of the OpenRosa server: collector accounts, published forms, received submissions.

Every write is one transaction with its audit row. A submission is either refused whole
(nothing stored) or stored whole: mapping it to records runs in a savepoint, and when that
fails the submission stays, flagged with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import Membership, Organisation, Role, User
from amparo.audit import services as audit
from amparo.lib.urls import absolute_url
from amparo.openrosa import conf, mapping
from amparo.openrosa.lib import collect_settings, digest, odkcrypto, xlsform
from amparo.openrosa.lib.multipart import SubmissionParts, SubmissionRejected
from amparo.openrosa.lib.safexml import MalformedXml, UnsafeXml, parse, read_instance, read_manifest
from amparo.openrosa.models import (
    Collector,
    DigestNonceCount,
    FormKey,
    FormMedia,
    FormSetting,
    FormVersion,
    Route,
    Submission,
    SubmissionAttachment,
    SubmissionStatus,
)
from amparo.vault import crypto

DEFAULT_ROUTES = {
    "incident_interview": Route.INCIDENT,
    "raid_alarm": Route.TRIAGE,
    "follow_up_visit": Route.FOLLOW_UP,
    "activity_tally": Route.ACTIVITY,
}
# Where each form's answers may go: a tally is never an incident, an interview never an activity.
_RECORD_ROUTES = (Route.INCIDENT, Route.TRIAGE, Route.FOLLOW_UP)
ROUTES = {
    "incident_interview": _RECORD_ROUTES,
    "raid_alarm": _RECORD_ROUTES,
    "follow_up_visit": _RECORD_ROUTES,
    "activity_tally": (Route.ACTIVITY,),
}

FLAG_TEXT = {
    "undecryptable": gettext_lazy("The encrypted submission could not be opened with this organisation's key. It is kept, still encrypted."),
    "signature_mismatch": gettext_lazy("The encrypted files do not match the phone's signature: they may be damaged or altered."),
    "unknown_schema": gettext_lazy("The phone used a version of the form this server does not know. The answers are kept but were not recorded."),
    "mapping_failed": gettext_lazy("The answers could not be recorded as they are. Review them and record the incident by hand."),
    "attachment_refused": gettext_lazy("An attachment could not be cleaned of its metadata (damaged, or not a photo, video, PDF or audio file); it was kept apart, encrypted."),
    "unknown_reference": gettext_lazy("No incident has the case reference given in the follow-up visit."),
}

WRITER_ROLES = {Role.ADMIN, Role.COORDINATOR, Role.DOCUMENTER}


# -- collectors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCredentials:
    """Shown once (as a QR code), never stored: Amparo keeps only HA1."""

    username: str
    password: str
    admin_password: str
    server_url: str
    payload: str


def server_url_for(organisation: Organisation) -> str:
    return absolute_url(f"/odk/{organisation.slug}")


def _random(length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _issue(collector: Collector) -> IssuedCredentials:
    # 24 random characters (~124 bits): typed by nobody, guessed by nobody.
    password = _random(24, string.ascii_letters + string.digits)
    admin_password = _random(10, string.digits)
    collector.ha1 = {  # type: ignore[assignment]  # EncryptedJSONField holds a dict
        algorithm: digest.ha1(algorithm=algorithm, username=collector.username, realm=conf.DIGEST_REALM, password=password)
        for algorithm in digest.ALGORITHMS
    }
    collector.credentials_issued_at = timezone.now()
    server_url = server_url_for(collector.organisation)
    phone = collect_settings.PhoneSettings(
        server_url=server_url,
        username=collector.username,
        password=password,
        admin_password=admin_password,
        project_name=f"Amparo · {collector.organisation.name}"[:60],
        project_icon="A",
        allow_drafts=collector.allow_drafts,
    )
    return IssuedCredentials(
        username=collector.username, password=password, admin_password=admin_password, server_url=server_url,
        payload=collect_settings.encode(phone.as_dict()),
    )


def _check_owner(organisation: Organisation, owner: User) -> None:
    if not Membership.objects.filter(user=owner, organisation=organisation, is_active=True, role__in=WRITER_ROLES).exists():
        raise ValidationError({"owner": _("The responsible member must be a documenter, coordinator or admin of this organisation.")})


@transaction.atomic
def collector_create(
    *, organisation: Organisation, label: str, owner: User, acting_user: User, allow_drafts: bool = True
) -> tuple[Collector, IssuedCredentials]:
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": _("Give the phone a label.")})
    _check_owner(organisation, owner)
    collector = Collector(
        organisation=organisation,
        label=label[:60],
        owner=owner,
        allow_drafts=allow_drafts,
        created_by=acting_user,
        username=f"{organisation.slug[:20]}-{_random(8)}",
    )
    issued = _issue(collector)
    collector.save()
    audit.record(actor=acting_user, action="odk.collector_created", target=collector, fields=["label", "owner", "allow_drafts"])
    return collector, issued


@transaction.atomic
def collector_reissue(*, collector: Collector, acting_user: User) -> IssuedCredentials:
    """New password: the old QR code and any phone set up with it stop working at once."""
    collector = Collector.objects.select_for_update().get(pk=collector.pk)
    if collector.revoked_at:
        raise ValidationError(_("This phone's account is revoked. Create a new one."))
    issued = _issue(collector)
    collector.save(update_fields=["ha1", "credentials_issued_at"])
    audit.record(actor=acting_user, action="odk.collector_reissued", target=collector, fields=["credentials"])
    return issued


@transaction.atomic
def collector_revoke(*, collector: Collector, acting_user: User) -> Collector:
    """Lost or taken phone: its account stops working on its very next request."""
    collector = Collector.objects.select_for_update().get(pk=collector.pk)
    if collector.revoked_at is None:
        collector.revoked_at = timezone.now()
        collector.revoked_by = acting_user
        collector.ha1 = {}  # type: ignore[assignment]
        collector.save(update_fields=["revoked_at", "revoked_by", "ha1"])
        audit.record(actor=acting_user, action="odk.collector_revoked", target=collector, fields=["revoked_at"])
    return collector


def collector_seen(*, collector: Collector) -> None:
    # To the hour: enough to tell a lost phone's last contact, no finer trace of movements.
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    if collector.last_seen_at != hour:  # at most one write per phone and hour
        Collector.objects.filter(pk=collector.pk).update(last_seen_at=hour)


class DatabaseNonceCounterStore:
    """Nonce counts in the database, so every worker refuses a replay."""

    def claim(self, *, nonce: str, nc: int, expires_at: float, now: float) -> bool:
        expires = dt.datetime.fromtimestamp(expires_at, tz=dt.UTC)
        if DigestNonceCount.objects.filter(nonce=nonce, last_nc__lt=nc).update(last_nc=nc):
            return True
        try:
            with transaction.atomic():
                DigestNonceCount.objects.create(nonce=nonce, last_nc=nc, expires_at=expires)
        except IntegrityError:
            return False  # the nonce is known and this count is not greater
        DigestNonceCount.objects.filter(expires_at__lt=dt.datetime.fromtimestamp(now, tz=dt.UTC)).delete()
        return True


# -- keys and forms -----------------------------------------------------------------------


def _new_rsa_key() -> Any:
    return odkcrypto.generate_private_key(conf.RSA_KEY_BITS)


def form_key_current(*, organisation: Organisation) -> FormKey:
    key = FormKey.objects.defer("private_key").filter(organisation=organisation, retired_at=None).order_by("-created_at").first()
    if key is not None:
        return key
    with transaction.atomic():
        key = FormKey.objects.select_for_update().filter(organisation=organisation, retired_at=None).order_by("-created_at").first()
        if key is None:
            private = _new_rsa_key()
            key = FormKey.objects.create(
                organisation=organisation,
                public_key=odkcrypto.public_key_base64(private),
                private_key=odkcrypto.private_key_to_pem(private),
            )
            audit.record(actor=None, action="odk.form_key_created", organisation=organisation, target=key)
    return key


@transaction.atomic
def form_key_rotate(*, organisation: Organisation, acting_user: User) -> None:
    """Retire the form-encryption key: phones get forms with a new key at their next update.
    The retired private key is kept, so forms finished with the old one still open."""
    retired = FormKey.objects.filter(organisation=organisation, retired_at=None).update(retired_at=timezone.now())
    audit.record(actor=acting_user, action="odk.form_key_rotated", organisation=organisation, detail={"retired": retired})


def form_setting(*, organisation: Organisation, form_id: str) -> FormSetting:
    found = FormSetting.objects.filter(organisation=organisation, form_id=form_id).first()
    return found or FormSetting(organisation=organisation, form_id=form_id, route=DEFAULT_ROUTES[form_id])


_choices_lock = threading.Lock()
_choices_cache: dict[str, Any] = {}
CHOICES_TTL = 60.0


def reference_choices() -> xlsform.ChoiceSet:
    """The forms' lists from the database (vocabularies are editable; ubigeo is loaded data)."""
    with _choices_lock:
        cached = _choices_cache.get("set")
        if cached and time.monotonic() - cached[0] < CHOICES_TTL:
            return cached[1]
    from django.utils import translation

    from amparo.openrosa.lib.choices import choice_set
    from amparo.places.models import Department, District, Province
    from amparo.records import models as records
    from amparo.vocab.models import Term

    def coded(choices: Any, exclude: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
        out = []
        for value, label in choices.choices:
            if value in exclude or value == "":
                continue
            with translation.override("es"):
                es = str(label)
            with translation.override("en"):
                en = str(label)
            out.append((value, es, en))
        return out

    built = choice_set(
        terms=Term.objects.filter(is_active=True).order_by("vocabulary", "sort_order", "code").values_list("vocabulary", "code", "label_es", "label_en"),
        departments=Department.objects.order_by("code").values_list("code", "name"),
        provinces=Province.objects.order_by("code").values_list("code", "name", "department_id"),
        districts=District.objects.order_by("code").values_list("code", "name", "province_id"),
        coded={
            "gender_identity": coded(records.GenderIdentity),
            "age_band": coded(records.AgeBand),
            "nationality": coded(records.Nationality),
            "migrant_status": coded(records.MigrantStatus),
            "work_setting": coded(records.WorkSetting),
            "date_precision": coded(records.DatePrecision),
            "reliability": coded(records.Reliability),
        },
    )
    built.serial = next(_serials)
    with _choices_lock:
        _choices_cache["set"] = (time.monotonic(), built)
    return built


def forget_choices() -> None:
    with _choices_lock:
        _choices_cache.clear()


_built_lock = threading.Lock()
_built_cache: dict[tuple[str, str], xlsform.BuiltForm] = {}


def _build_cached(form_id: str, version: str, *, choices: xlsform.ChoiceSet, public_key: str) -> xlsform.BuiltForm:
    # The version fingerprints everything the build reads, so it is a safe cache key;
    # pyxform takes a noticeable fraction of a second per form.
    with _built_lock:
        found = _built_cache.get((form_id, version))
    if found is None:
        found = xlsform.build(form_id, choices=choices, public_key=public_key)
        with _built_lock:
            if len(_built_cache) > 64:
                _built_cache.clear()
            _built_cache[(form_id, found.version)] = found
    return found


_planned: dict[tuple[int, str, str, str], str] = {}
_serials = itertools.count(1)


def form_choices(*, organisation: Organisation, form_id: str, base: xlsform.ChoiceSet | None = None) -> tuple[xlsform.ChoiceSet, str]:
    """The choice lists one organisation's form is built with, and a key naming its own part.

    Most forms use the network's reference lists only; the activity tally adds the
    organisation's venues and programmes, so its built version differs per organisation."""
    base = base or reference_choices()
    if form_id != "activity_tally":
        return base, ""
    own = {
        name: [xlsform.Choice(code, es, en) for code, es, en in items]
        for name, items in mapping.tally_choices(organisation=organisation).items()
    }
    merged = xlsform.ChoiceSet(lists={**base.lists, **own}, media=base.media, serial=base.serial)
    return merged, xlsform.ChoiceSet(lists=own).fingerprint()


def _planned_version(form_id: str, *, choices: xlsform.ChoiceSet, public_key: str, variant: str = "") -> str:
    # Keyed by the serial of the cached choice set, which is rebuilt at most once a minute,
    # and by the fingerprint of an organisation's own lists when the form has some.
    key = (choices.serial, form_id, public_key, variant)
    with _built_lock:
        found = _planned.get(key)
    if found is None:
        found = xlsform.planned_version(form_id, choices=choices, public_key=public_key)
        with _built_lock:
            if len(_planned) > 256:
                _planned.clear()
            _planned[key] = found
    return found


def forms_publish(*, organisation: Organisation) -> list[FormVersion]:
    """Make sure the organisation's phones are offered the current build of each enabled
    form. Reads only, when nothing changed (the version is computed without building)."""
    choices = reference_choices()
    settings_by_form = {fs.form_id: fs for fs in FormSetting.objects.filter(organisation=organisation)}
    wanted: dict[str, tuple[str, FormKey | None, xlsform.ChoiceSet]] = {}
    current_key: FormKey | None = None
    for form_id in xlsform.FORM_IDS:
        setting = settings_by_form.get(form_id) or FormSetting(organisation=organisation, form_id=form_id, route=DEFAULT_ROUTES[form_id])
        if setting.enabled:
            if setting.encrypted and current_key is None:
                current_key = form_key_current(organisation=organisation)
            key = current_key if setting.encrypted else None
            form_lists, variant = form_choices(organisation=organisation, form_id=form_id, base=choices)
            version = _planned_version(form_id, choices=form_lists, public_key=key.public_key if key else "", variant=variant)
            wanted[form_id] = (version, key, form_lists)
    current = {fv.form_id: fv for fv in FormVersion.objects.defer("xml").filter(organisation=organisation, is_current=True)}
    if set(current) == set(wanted) and all(current[f].version == v for f, (v, _k, _c) in wanted.items()):
        return [current[f] for f in xlsform.FORM_IDS if f in current]
    return _publish(organisation=organisation, wanted=wanted)


@transaction.atomic
def _publish(*, organisation: Organisation, wanted: dict[str, tuple[str, FormKey | None, xlsform.ChoiceSet]]) -> list[FormVersion]:
    FormVersion.objects.filter(organisation=organisation, is_current=True).exclude(form_id__in=list(wanted)).update(is_current=False)
    published: list[FormVersion] = []
    for form_id, (version, key, choices) in wanted.items():
        existing = FormVersion.objects.defer("xml").filter(organisation=organisation, form_id=form_id, version=version).first()
        if existing is None:
            built = _build_cached(form_id, version, choices=choices, public_key=key.public_key if key else "")
            existing = FormVersion.objects.create(
                organisation=organisation, form_id=form_id, version=built.version, schema_version=built.schema_version,
                title=built.title, xml=built.xml.decode("utf-8"), md5=built.md5,
                media={name: hashlib.md5(data).hexdigest() for name, data in built.media.items()},  # noqa: S324
                binary_fields=list(built.binary_fields), key=key, is_current=True,
            )
            FormMedia.objects.bulk_create(
                [FormMedia(form_version=existing, filename=name, content=data, md5=hashlib.md5(data).hexdigest())  # noqa: S324
                 for name, data in built.media.items()]
            )
            audit.record(actor=None, action="odk.form_published", organisation=organisation, target=existing, detail={"form": form_id, "version": built.version})
        FormVersion.objects.filter(organisation=organisation, form_id=form_id, is_current=True).exclude(pk=existing.pk).update(is_current=False)
        if not existing.is_current:
            existing.is_current = True
            existing.save(update_fields=["is_current"])
        published.append(existing)
    return published


@transaction.atomic
def form_setting_update(*, organisation: Organisation, form_id: str, acting_user: User, enabled: bool, encrypted: bool, route: str) -> FormSetting:
    if form_id not in xlsform.FORM_IDS or route not in ROUTES[form_id]:
        raise ValidationError(_("Unknown form or destination."))
    setting, _created = FormSetting.objects.update_or_create(
        organisation=organisation, form_id=form_id, defaults={"enabled": enabled, "encrypted": encrypted, "route": route}
    )
    audit.record(actor=acting_user, action="odk.form_setting_changed", organisation=organisation, target=setting, fields=["enabled", "encrypted", "route"])
    return setting


# -- submissions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    status: int  # 201 new, 202 already had it / partial
    message: str
    submission: Submission | None


def _attachment_context() -> str:
    return "openrosa_submissionattachment.sealed"


def _seal(organisation: Organisation, data: bytes) -> bytes:
    return crypto.encrypt_bytes(data, org_id=organisation.pk, context=_attachment_context())


def _unseal(data: bytes) -> bytes:
    return crypto.decrypt_bytes(bytes(data), context=_attachment_context())


def _refuse(status: int, code: str, message: Any) -> SubmissionRejected:
    return SubmissionRejected(status, code, message)


def _parse_xml(data: bytes) -> Any:
    try:
        return parse(data, max_bytes=conf.MAX_XML_BYTES)
    except UnsafeXml:
        raise _refuse(400, "xml_attack", gettext_lazy("The form file declares entities or a DTD; it was refused."))
    except MalformedXml:
        raise _refuse(400, "bad_xml", gettext_lazy("The form file is not well-formed XML."))


def submission_receive(*, organisation: Organisation, collector: Collector, parts: SubmissionParts) -> Receipt:
    """Check everything that can be checked before storing; then store whole, then map.

    Raises SubmissionRejected (nothing stored) for a client error."""
    root = _parse_xml(parts.xml)
    head = read_instance(root)
    if head.form_id not in xlsform.FORM_IDS:
        raise _refuse(404, "unknown_form", gettext_lazy("This server has no form called “%(form)s”.") % {"form": head.form_id[:60]})
    if not head.instance_id or len(head.instance_id) > 100:
        raise _refuse(400, "no_instance_id", gettext_lazy("The form file has no instanceID."))
    try:
        manifest = read_manifest(root) if head.encrypted else None
    except MalformedXml:
        raise _refuse(400, "bad_manifest", gettext_lazy("The encrypted submission's manifest is incomplete."))
    setting = form_setting(organisation=organisation, form_id=head.form_id)
    if not setting.enabled:
        raise _refuse(404, "form_disabled", gettext_lazy("This form is not in use by the organisation."))
    if setting.encrypted and manifest is None:
        raise _refuse(400, "must_encrypt", gettext_lazy("This form must be sent encrypted. Update the blank form on the phone and send again."))

    with transaction.atomic():
        existing = Submission.objects.select_for_update().filter(organisation=organisation, instance_id=head.instance_id).first()
        if existing is not None and existing.status != SubmissionStatus.PARTIAL:
            return Receipt(202, _("Already received. Nothing more to send."), existing)
        stored = {a.name: a for a in existing.attachments.all()} if existing else {}
        needed = _needed_files(head, manifest, root)
        have = set(stored) | set(parts.attachments)
        missing = sorted(needed - have)
        if missing and not parts.incomplete:
            raise _refuse(400, "missing_attachment", gettext_lazy("The submission lacks the attachment(s): %(names)s.") % {"names": ", ".join(missing)[:200]})

        submission = existing or Submission(
            organisation=organisation, collector=collector, form_id=head.form_id, form_version=head.version[:40],
            schema_version=xlsform.schema_of(head.version)[:20], instance_id=head.instance_id,
            status=SubmissionStatus.PARTIAL, encrypted=manifest is not None,
        )
        if manifest is not None:
            submission.manifest = parts.xml.decode("utf-8", "replace")
        else:
            submission.xml = parts.xml.decode("utf-8", "replace")
        try:
            with transaction.atomic():
                submission.save()
        except IntegrityError:
            return Receipt(202, _("Already received. Nothing more to send."), None)
        for name, part in parts.attachments.items():
            if name in stored:
                continue
            stored[name] = SubmissionAttachment.objects.create(
                organisation=organisation, submission=submission, name=name, content_type=part.content_type[:100],
                size=len(part.data), sealed=_seal(organisation, part.data),
            )
        if missing:
            audit.record(actor=None, action="odk.submission_partial", organisation=organisation, target=submission, detail={"collector": collector.pk})
            return Receipt(202, _("Part received; waiting for the remaining attachments."), submission)
        _complete(submission=submission, manifest=manifest, stored=stored, setting_route=setting.route, collector=collector)
        audit.record(
            actor=None, action="odk.submission_received", organisation=organisation, target=submission,
            detail={"collector": collector.pk, "form": submission.form_id, "status": submission.status},
        )
    if submission.status == SubmissionStatus.DECLINED:
        return Receipt(201, _("Received. Nothing was recorded: there was no consent to store it."), submission)
    return Receipt(201, _("Received. Thank you."), submission)


def _needed_files(head: Any, manifest: Any, root: Any) -> set[str]:
    if manifest is not None:
        return {*manifest.media_files, manifest.encrypted_xml_file}
    try:
        rows = xlsform.survey_rows(head.form_id, xlsform.schema_of(head.version))
    except xlsform.FormSourceError:
        return set()  # unknown schema: cannot tell which answers are files; kept and flagged later
    names = set()
    for field in xlsform.binary_fields(rows):
        for value in head.values.get(field, []):
            if value:
                names.add(value)
    return names


def _flag(submission: Submission, code: str, detail: str = "") -> None:
    if code not in submission.flags:
        submission.flags = [*submission.flags, code]
    submission.status = SubmissionStatus.FLAGGED
    if detail:
        submission.detail = (submission.detail + "\n" + detail).strip()


def _private_keys(submission: Submission) -> list[Any]:
    keys = list(FormKey.objects.filter(organisation=submission.organisation).order_by("-created_at"))
    served = (
        FormVersion.objects.only("key_id")
        .filter(organisation=submission.organisation, form_id=submission.form_id, version=submission.form_version)
        .first()
    )
    if served and served.key_id:
        keys.sort(key=lambda k: k.pk != served.key_id)
    return [_loaded_key(k) for k in keys]


_loaded_keys: dict[tuple[int, str], Any] = {}


def _loaded_key(key: FormKey) -> Any:
    # Loading a 3072-bit PEM checks the key's consistency, which costs far more than the
    # decryption itself; a FormKey never changes, so each process loads it once.
    # Keyed by the public half too: a row id alone could be reused (a restored database).
    cache_key = (key.pk, key.public_key)
    with _built_lock:
        found = _loaded_keys.get(cache_key)
    if found is None:
        found = odkcrypto.private_key_from_pem(key.private_key)
        with _built_lock:
            _loaded_keys[cache_key] = found
    return found


def _complete(*, submission: Submission, manifest: Any, stored: dict[str, SubmissionAttachment], setting_route: str, collector: Collector) -> None:
    media: dict[str, bytes] = {}
    if manifest is not None:
        encrypted_files = {name: _unseal(bytes(att.sealed)) for name, att in stored.items()}
        decrypted = None
        for key in _private_keys(submission):
            try:
                decrypted = odkcrypto.decrypt_submission(private_key=key, manifest=manifest, files=encrypted_files)
                break
            except odkcrypto.DecryptionFailed:
                continue
        if decrypted is None:
            _flag(submission, "undecryptable")
            submission.completed_at = timezone.now()
            submission.save()
            return
        submission.signature_valid = decrypted.signature_valid
        if decrypted.signature_valid is False:
            _flag(submission, "signature_mismatch")
        inner = _parse_xml(decrypted.xml)  # an attack hidden inside the encryption is refused too
        instance = read_instance(inner)
        if instance.instance_id != submission.instance_id or instance.form_id != submission.form_id:
            raise _refuse(400, "manifest_mismatch", gettext_lazy("The encrypted form does not match its manifest."))
        submission.xml = decrypted.xml.decode("utf-8", "replace")
        media = decrypted.media
        # The .enc blobs have served their purpose; the plaintext media become evidence below.
        for name, att in list(stored.items()):
            att.delete()
            del stored[name]
        for name, data in media.items():
            stored[name] = SubmissionAttachment(
                organisation=submission.organisation, submission=submission, name=name,
                content_type="application/octet-stream", size=len(data),
            )
    else:
        instance = read_instance(_parse_xml(submission.xml.encode("utf-8")))
        media = {name: _unseal(bytes(att.sealed)) for name, att in stored.items()}

    submission.completed_at = timezone.now()
    schema = xlsform.schema_of(instance.version)
    answers = mapping.Answers(mapping.current_names(submission.form_id, schema, instance.values))
    if not mapping.consented(submission.form_id, answers):
        # No consent to store: keep that the form came, not what it said.
        submission.status = SubmissionStatus.DECLINED
        submission.xml = ""
        for att in stored.values():
            if att.pk:
                att.delete()
        submission.save()
        return
    if schema not in xlsform.schema_versions(submission.form_id):
        _flag(submission, "unknown_schema")
        submission.save()
        _keep_attachments(submission, stored, media, incident=None, collector=collector)
        return

    if submission.form_id == "activity_tally":
        _record_tally(submission=submission, answers=answers, collector=collector)
        return

    submission.status = SubmissionStatus.MAPPED
    submission.save()
    incident = None
    try:
        with transaction.atomic():
            incident, triage_ref = _map(submission=submission, answers=answers, route=setting_route, owner=collector.owner)
            submission.triage_ref = triage_ref
    except (ValidationError, ValueError, LookupError) as exc:
        _flag(submission, "mapping_failed", _describe(exc))
    if submission.form_id == "follow_up_visit" and incident is None and submission.status == SubmissionStatus.MAPPED:
        _flag(submission, "unknown_reference")
    submission.incident = incident
    submission.save()
    _keep_attachments(submission, stored, media, incident=incident, collector=collector)


def _record_tally(*, submission: Submission, answers: mapping.Answers, collector: Collector) -> None:
    """A tally is counts only: kept whole and flagged would leave a half-recorded day that
    nobody fixes, so a tally that does not add up is refused (4xx) and nothing is stored;
    the peer worker corrects it on the phone and sends again."""
    try:
        with transaction.atomic():
            activity = mapping.tally_to_activity(organisation=submission.organisation, acting_user=collector.owner, answers=answers)
    except ValidationError as exc:
        raise _refuse(400, "bad_tally", gettext_lazy("The tally was not recorded: %(reasons)s") % {"reasons": " ".join(exc.messages)[:400]})
    except PermissionDenied:
        raise _refuse(403, "not_a_recorder", gettext_lazy("The phone's responsible member may not record activities."))
    submission.status = SubmissionStatus.MAPPED
    submission.activity = activity
    submission.save()


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return "; ".join(f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in exc.message_dict.items())
        return " ".join(str(m) for m in exc.messages)
    return str(exc)[:300]


def _map(*, submission: Submission, answers: mapping.Answers, route: str, owner: User) -> tuple[Any, str]:
    org = submission.organisation
    if submission.form_id == "incident_interview":
        return mapping.interview_to_incident(organisation=org, acting_user=owner, answers=answers), ""
    if submission.form_id == "raid_alarm":
        if route == Route.TRIAGE:
            return mapping.alarm_to_triage(organisation=org, acting_user=owner, answers=answers, submission=submission)
        return mapping.alarm_to_incident(organisation=org, acting_user=owner, answers=answers), ""
    return mapping.follow_up_to_incident(organisation=org, acting_user=owner, answers=answers), ""


def _keep_attachments(submission: Submission, stored: dict[str, SubmissionAttachment], media: dict[str, bytes], *, incident: Any, collector: Collector) -> None:
    """Each attachment becomes evidence (fingerprinted, metadata stripped, encrypted); what
    evidence refuses stays sealed on the attachment row, and the submission is flagged."""
    from amparo.evidence.services import evidence_store

    for name, att in stored.items():
        data = media[name]
        try:
            with transaction.atomic():
                evidence = evidence_store(
                    organisation=submission.organisation, uploaded=data, acting_user=collector.owner, incident=incident,
                    source="odk", source_ref=submission.instance_id[:64], original_name=name,
                    max_bytes=conf.MAX_ATTACHMENT_BYTES,
                )
        except ValidationError:
            att.sealed = _seal(submission.organisation, data)
            att.save()
            _flag(submission, "attachment_refused")
            submission.save(update_fields=["status", "flags", "detail"])
            continue
        att.evidence = evidence
        att.content_type = evidence.content_type
        att.sealed = b""
        att.save()


# -- follow-up on flagged submissions -------------------------------------------------------

RETRYABLE = {"mapping_failed", "unknown_reference"}


def submission_answers(*, submission: Submission, acting_user: User) -> list[tuple[str, str]]:
    """The answers of a kept submission, for a person to read; the reading is audited."""
    if not submission.xml:
        return []
    instance = read_instance(parse(submission.xml.encode("utf-8"), max_bytes=conf.MAX_XML_BYTES))
    audit.record(actor=acting_user, action="odk.submission_viewed", target=submission, fields=["xml"])
    return [(name, " ".join(values)) for name, values in instance.values.items() if any(values)]


@transaction.atomic
def submission_retry(*, submission: Submission, acting_user: User) -> Submission:
    """Try the mapping again (after a vocabulary term or the named incident was added)."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != SubmissionStatus.FLAGGED or not set(submission.flags) & RETRYABLE:
        raise ValidationError(_("This submission cannot be recorded again automatically."))
    instance = read_instance(parse(submission.xml.encode("utf-8"), max_bytes=conf.MAX_XML_BYTES))
    answers = mapping.Answers(mapping.current_names(submission.form_id, xlsform.schema_of(instance.version), instance.values))
    setting = form_setting(organisation=submission.organisation, form_id=submission.form_id)
    try:
        with transaction.atomic():
            incident, triage_ref = _map(submission=submission, answers=answers, route=setting.route, owner=submission.collector.owner)
    except (ValidationError, ValueError, LookupError) as exc:
        submission.detail = _describe(exc)
        submission.save(update_fields=["detail"])
        audit.record(actor=acting_user, action="odk.submission_retry_failed", target=submission)
        return submission
    if incident is None and not triage_ref:
        audit.record(actor=acting_user, action="odk.submission_retry_failed", target=submission)
        return submission
    submission.incident = incident
    submission.triage_ref = triage_ref
    submission.flags = [f for f in submission.flags if f not in RETRYABLE]
    submission.status = SubmissionStatus.FLAGGED if submission.flags else SubmissionStatus.MAPPED
    submission.detail = ""
    submission.save(update_fields=["incident", "triage_ref", "flags", "status", "detail"])
    if incident is not None:
        from amparo.evidence.models import EvidenceFile

        EvidenceFile.objects.filter(
            pk__in=submission.attachments.exclude(evidence=None).values("evidence"), incident=None
        ).update(incident=incident)
    audit.record(actor=acting_user, action="odk.submission_recorded", target=submission, detail={"incident": getattr(incident, "pk", None)})
    return submission


@transaction.atomic
def submission_mark_handled(*, submission: Submission, acting_user: User) -> Submission:
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status not in (SubmissionStatus.FLAGGED, SubmissionStatus.PARTIAL):
        raise ValidationError(_("Only submissions that need attention can be marked as handled."))
    submission.status = SubmissionStatus.HANDLED
    submission.save(update_fields=["status"])
    audit.record(actor=acting_user, action="odk.submission_handled", target=submission, fields=["status"])
    return submission


def collectors_release(membership: Membership, acting_user: User | None, dry_run: bool) -> int:
    """A member cut off: every field phone account she is responsible for in this organisation ends."""
    active = Collector.objects.filter(organisation_id=membership.organisation_id, owner_id=membership.user_id, revoked_at__isnull=True)
    if dry_run:
        return active.count()
    revoked = 0
    for collector in active:
        collector_revoke(collector=collector, acting_user=acting_user)  # type: ignore[arg-type]
        revoked += 1
    return revoked
