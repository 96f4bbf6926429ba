"""Reads about accounts, organisations and memberships."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from amparo.accounts.models import ApiToken, Membership, Organisation, Role, User


def memberships_for(*, user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, is_active=True).select_related("organisation").order_by("organisation__name")
    )


def membership_active_for(*, user: User, organisation_id: int | None) -> Membership | None:
    """The membership the user works in now: the one chosen in the session, else their first."""
    qs = Membership.objects.filter(user=user, is_active=True).select_related("organisation", "user")
    if organisation_id:
        membership = qs.filter(organisation_id=organisation_id).first()
        if membership is not None:
            return membership
    return qs.order_by("organisation__name").first()


def organisation_members(*, membership: Membership) -> QuerySet[Membership]:
    if membership.role != Role.ADMIN:
        raise Http404
    return Membership.objects.for_member(membership).select_related("user").order_by("user__username")


def organisation_by_slug(*, slug: str) -> Organisation:
    try:
        return Organisation.objects.get(slug=slug)
    except Organisation.DoesNotExist:
        raise Http404


def api_token_authenticate(*, raw_token: str) -> Membership | None:
    """The membership behind a bearer token, or None when it is unknown, revoked or inactive."""
    digest = hashlib.sha256(raw_token.encode()).hexdigest()
    token = (
        ApiToken.objects.filter(token_hash=digest, revoked_at__isnull=True, membership__is_active=True)
        .select_related("membership__organisation", "membership__user")
        .first()
    )
    if token is None or not token.membership.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.membership
