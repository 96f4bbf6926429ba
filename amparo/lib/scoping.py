"""The one way to read an organisation's records: `Model.objects.for_member(membership)`.

Every model that carries an `organisation` uses `OrganisationManager` (a test walks every model
to keep it so). Selectors start from `for_member` and narrow further by role; "not found" and
"not yours" are the same 404 (`get_for_member`). Writes that take records from a caller check
them with `require_same_organisation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from amparo.accounts.models import Membership

M = TypeVar("M", bound=models.Model)


class OrganisationQuerySet(models.QuerySet[M]):
    def for_member(self, membership: Membership) -> OrganisationQuerySet[M]:
        """Only the rows of the member's organisation."""
        return self.filter(organisation_id=membership.organisation_id)

    def get_for_member(self, membership: Membership, **lookup: Any) -> M:
        """One row of the member's organisation, or Http404 whether it is missing or not theirs."""
        found = self.for_member(membership).filter(**lookup).first()
        if found is None:
            raise Http404
        return found


class OrganisationManager(models.Manager.from_queryset(OrganisationQuerySet)):  # type: ignore[misc]
    pass


def require_same_organisation(membership: Membership, *objects: Any) -> None:
    """Records handed to a write must belong to the member's organisation (None is allowed)."""
    for obj in objects:
        if obj is not None and getattr(obj, "organisation_id", membership.organisation_id) != membership.organisation_id:
            raise PermissionDenied
