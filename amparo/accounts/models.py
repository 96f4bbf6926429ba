from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.lib.scoping import OrganisationManager
from amparo.vault.fields import EncryptedTextField
from amparo.vault.plain import Plain


def _new_session_salt() -> str:
    return secrets.token_hex(16)


class User(AbstractUser):
    """A staff account. Community members never need one: public routes are anonymous."""

    plain_text = {
        "username": (Plain.ACCOUNT, "sign-in name of a staff member"),
        "password": (Plain.DIGEST, "Argon2 hash"),
        "email": (Plain.ACCOUNT, "where sign-in and reminder messages go"),
        "first_name": (Plain.ACCOUNT, "Django's field; Amparo's forms leave it empty"),
        "last_name": (Plain.ACCOUNT, "Django's field; Amparo's forms leave it empty"),
        "session_salt": (Plain.DIGEST, "random salt that signs everyone out when changed"),
    }

    # Part of the session hash: changing it signs the user out of every device.
    session_salt = models.CharField(max_length=32, default=_new_session_salt)
    # Network admins edit shared reference data (controlled vocabularies) for every organisation.
    is_network_admin = models.BooleanField(default=False)

    def get_session_auth_hash(self) -> str:
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "amparo.accounts.session", f"{self.password}:{self.session_salt}", algorithm="sha256"
        ).hexdigest()


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    DOCUMENTER = "documenter", _("Documenter")
    LAWYER = "lawyer", _("Lawyer")
    ANALYST = "analyst", _("Analyst")


# Roles that read identifying, record-level data of the whole organisation.
ORGANISATION_WIDE_ROLES = {Role.ADMIN, Role.COORDINATOR}


PUBLIC_NAME_DEFAULT = "Contacto"
PUBLIC_NAME_MAX = 30


class Organisation(models.Model):
    """A tenant: one community organisation. Every tenant table carries a reference to it."""

    plain_text = {
        "name": (Plain.PUBLIC, "the organisation's name, shown on its public report form"),
        "slug": (Plain.PUBLIC, "part of its public URLs"),
        "department_code": (Plain.CODED, "INEI department code"),
        "reference_prefix": (Plain.CODED, "prefix of the references Amparo makes"),
        "public_name": (Plain.PUBLIC, "the neutral name shown on the public pages"),
    }

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    # INEI department code of its home region ("15" Lima, "04" Arequipa).
    department_code = models.CharField(_("region"), max_length=2, blank=True)
    reference_prefix = models.CharField(_("reference prefix"), max_length=6, default="INC")
    # What public pages (report form, follow-up, emergency form, alerts) show instead of the full
    # name: a phone someone else glances at should not say "sex workers" or "trans".
    public_name = models.CharField(
        _("name on public pages"), max_length=PUBLIC_NAME_MAX, default=PUBLIC_NAME_DEFAULT,
        help_text=_("Short and neutral: it appears at the top of the report form, the emergency form and the alerts pages, where others may see the screen."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One user's single role in one organisation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def sees_whole_organisation(self) -> bool:
        return self.role in ORGANISATION_WIDE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Invitation(models.Model):
    """An invitation to join an organisation with a role; the link carries a token stored only as a hash."""

    plain_text = {
        "token_hash": (Plain.DIGEST, "hash of the invitation token"),
    }

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = EncryptedTextField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()


class ApiToken(models.Model):
    """A bearer token for the JSON API, bound to one membership (so one organisation and role)."""

    plain_text = {
        "prefix": (Plain.DIGEST, "first characters of a random token, to recognise it"),
        "token_hash": (Plain.DIGEST, "hash of the token"),
    }

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = EncryptedTextField(_("name"))
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationManager()
