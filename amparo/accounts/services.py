"""Writes about organisations, accounts, memberships, invitations, tokens and two-factor devices."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import (
    PUBLIC_NAME_MAX,
    ApiToken,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
)
from amparo.audit import services as audit
from amparo.vault import crypto
from amparo.vault.models import OrganisationKey

INVITATION_DAYS = 7


@transaction.atomic
def organisation_create(*, name: str, slug: str = "", department_code: str = "", acting_user: User | None = None, reference_prefix: str = "") -> Organisation:
    slug = slugify(slug or name)[:40]
    if not slug:
        raise ValidationError({"slug": _("Give the organisation a short name.")})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("That short name is taken.")})
    org = Organisation.objects.create(
        name=name, slug=slug, department_code=department_code, reference_prefix=(reference_prefix or slug[:3]).upper()
    )
    # Each organisation gets its own data key and blind-index key, wrapped by the master key.
    crypto.create_org_key(org_id=org.pk, purpose=OrganisationKey.Purpose.DATA)
    crypto.create_org_key(org_id=org.pk, purpose=OrganisationKey.Purpose.INDEX)
    audit.record(actor=acting_user, action="organisation.created", organisation=org, target=org)
    return org


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, acting_user: User, name: str, department_code: str, public_name: str | None = None
) -> Organisation:
    from amparo.places.models import Department

    if department_code and not Department.objects.filter(code=department_code).exists():
        raise ValidationError({"department_code": _("Unknown region.")})
    if public_name is None:
        public_name = organisation.public_name
    public_name = " ".join(public_name.split())
    if not public_name or len(public_name) > PUBLIC_NAME_MAX:
        raise ValidationError({"public_name": _("Give a short name for public pages (up to %(n)d characters).") % {"n": PUBLIC_NAME_MAX}})
    values = (("name", name), ("department_code", department_code), ("public_name", public_name))
    changed = [f for f, v in values if getattr(organisation, f) != v]
    organisation.name, organisation.department_code, organisation.public_name = name, department_code, public_name
    organisation.save(update_fields=changed or None)
    audit.record(actor=acting_user, action="organisation.updated", organisation=organisation, target=organisation, fields=changed)
    return organisation


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", acting_user: User | None = None, is_network_admin: bool = False, validate: bool = True) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("That user name is taken.")})
    user = User(username=username, email=email, is_network_admin=is_network_admin)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(actor=acting_user, action="user.created", target=user)
    return user


@transaction.atomic
def membership_create(*, user: User, organisation: Organisation, role: str, acting_user: User | None) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if not created:
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active"])
    audit.record(
        actor=acting_user, action="membership.created" if created else "membership.changed",
        organisation=organisation, target=membership, detail={"role": role},
    )
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, acting_user: User) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _keep_one_admin(membership, new_role=role)
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(actor=acting_user, action="membership.role_changed", organisation=membership.organisation, target=membership, fields=["role"], detail={"role": role})
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, acting_user: User) -> Membership:
    _keep_one_admin(membership, new_role=None)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor=acting_user, action="membership.deactivated", organisation=membership.organisation, target=membership)
    return membership


def _keep_one_admin(membership: Membership, *, new_role: str | None) -> None:
    if membership.role == Role.ADMIN and new_role != Role.ADMIN:
        others = Membership.objects.for_member(membership).filter(role=Role.ADMIN, is_active=True).exclude(pk=membership.pk)
        if not others.exists():
            raise ValidationError(_("An organisation needs at least one active administrator."))


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, acting_user: User) -> tuple[Invitation, str]:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, token_hash=_token_hash(raw),
        invited_by=acting_user, expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit.record(actor=acting_user, action="invitation.created", organisation=organisation, target=invitation, detail={"role": role})
    return invitation, raw


def invitation_for_token(*, raw_token: str) -> Invitation | None:
    return (
        Invitation.objects.filter(
            token_hash=_token_hash(raw_token), accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("organisation")
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, username: str, password: str) -> User:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation is no longer valid."))
    user = user_create(username=username, password=password, email=invitation.email)
    membership_create(user=user, organisation=invitation.organisation, role=invitation.role, acting_user=user)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record(actor=user, action="invitation.accepted", organisation=invitation.organisation, target=invitation)
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: User) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(actor=acting_user, action="invitation.revoked", organisation=invitation.organisation, target=invitation)


@transaction.atomic
def api_token_create(*, membership: Membership, name: str, acting_user: User) -> tuple[ApiToken, str]:
    raw = "amp_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership=membership, organisation=membership.organisation, name=name[:80], prefix=raw[:12], token_hash=_token_hash(raw)
    )
    audit.record(actor=acting_user, action="api_token.created", organisation=membership.organisation, target=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, acting_user: User) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=acting_user, action="api_token.revoked", organisation=token.organisation, target=token)


def _new_session_salt(user: User) -> None:
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["session_salt"])


@transaction.atomic
def sign_out_everywhere(*, user: User) -> None:
    """A new session salt changes the session hash: every existing session stops working."""
    _new_session_salt(user)
    audit.record(actor=user, action="user.signed_out_everywhere", target=user)


# --- Cutting a member off, locking an organisation down ---------------------------------------
#
# For a seized or lost phone or laptop. The device may hold an open session, an API token, the
# authenticator app, the saved password, a field phone account and a browser that receives alarms:
# all of them end in one transaction. The member gets back in only with a new password that an
# administrator hands over in person, and sets up two-factor again on her new device.


def _cut_off_counts(membership: Membership, acting_user: User | None, *, dry_run: bool) -> dict[str, int]:
    from amparo.accounts import cutoff

    user = membership.user
    tokens = ApiToken.objects.filter(membership=membership, revoked_at__isnull=True)
    devices = TOTPDevice.objects.filter(user=user)
    counts = {"api_tokens": tokens.count(), "two_factor_devices": devices.count(), "password": int(user.has_usable_password())}
    if not dry_run:
        tokens.update(revoked_at=timezone.now())
        devices.delete()
        user.set_unusable_password()
        user.session_salt = secrets.token_hex(16)
        user.save(update_fields=["password", "session_salt"])
    for access in cutoff.registered():
        counts[access.name] = access.release(membership, acting_user, dry_run)
    return counts


def member_cut_off(*, membership: Membership, acting_user: User | None, dry_run: bool = False) -> dict[str, int]:
    """End every session, API token, field phone account and alarm browser of a member, her
    two-factor devices and her password. Returns what was (or, with dry_run, would be) ended."""
    if acting_user is not None and membership.user_id == acting_user.pk:
        raise ValidationError(_("You cannot cut yourself off. Use “Sign out everywhere”, or ask another administrator."))
    with transaction.atomic():
        membership = Membership.objects.select_related("user", "organisation").select_for_update().get(pk=membership.pk)
        counts = _cut_off_counts(membership, acting_user, dry_run=dry_run)
        if not dry_run:
            audit.record(actor=acting_user, action="membership.cut_off", organisation=membership.organisation, target=membership, detail=counts)
        if dry_run:
            transaction.set_rollback(True)
    return counts


def organisation_lockdown(*, organisation: Organisation, acting_user: User | None, dry_run: bool = False) -> dict[str, int]:
    """Sign every member out (so each one passes two-factor again) and end the ways in that skip
    two-factor: API tokens, and the browsers that receive alarms. Field phones keep working (they
    are revoked one by one, or with each member's cut-off)."""
    from amparo.accounts import cutoff

    with transaction.atomic():
        members = list(Membership.objects.filter(organisation=organisation, is_active=True).select_related("user"))
        tokens = ApiToken.objects.filter(organisation=organisation, revoked_at__isnull=True)
        counts = {"members_signed_out": len(members), "api_tokens": tokens.count()}
        for access in cutoff.registered():
            if access.on_lockdown:
                counts[access.name] = sum(access.release(member, acting_user, dry_run) for member in members)
        if not dry_run:
            tokens.update(revoked_at=timezone.now())
            for member in members:
                _new_session_salt(member.user)
            audit.record(actor=acting_user, action="organisation.lockdown", organisation=organisation, target=organisation, detail=counts)
        else:
            transaction.set_rollback(True)
    return counts


def _readable_password() -> str:
    # Four groups that are easy to read aloud and type on a phone (no 0/O, 1/l/I).
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


@transaction.atomic
def member_password_issue(*, membership: Membership, acting_user: User | None) -> str:
    """A new password for a member who was cut off, to hand over in person; shown once.

    Her sessions end, and if her two-factor devices were removed she sets up a new one at sign-in.
    """
    if acting_user is not None and membership.user_id == acting_user.pk:
        raise ValidationError(_("You cannot give yourself a new password here."))
    user = membership.user
    raw = _readable_password()
    user.set_password(raw)
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["password", "session_salt"])
    audit.record(actor=acting_user, action="membership.password_issued", organisation=membership.organisation, target=membership)
    return raw


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for enrolment (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Amparo", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=device.user, action="user.two_factor_enrolled", target=device.user)
    return True


def login_recorded(*, user: User, success: bool, detail: dict[str, Any] | None = None) -> None:
    audit.record(actor=user if success else None, action="user.login" if success else "user.login_failed", target=user if success else None, detail=detail)
