"""Referral status flow: proposed → sent → accepted / declined → completed.

A referral can also be withdrawn before the service takes it up (the person changed their
mind, or the consent was withdrawn); declined and completed referrals are final, and a new
referral is made instead of reopening one, so the service statistics stay honest.

Pure module: no models, no database.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralStatus(models.TextChoices):
    PROPOSED = "proposed", _("Draft (not sent)")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


R = ReferralStatus

REFERRAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    R.PROPOSED: (R.SENT, R.WITHDRAWN),
    R.SENT: (R.ACCEPTED, R.DECLINED, R.WITHDRAWN),
    R.ACCEPTED: (R.COMPLETED, R.WITHDRAWN),
    R.DECLINED: (),
    R.COMPLETED: (),
    R.WITHDRAWN: (),
}

OPEN_STATUSES = (R.PROPOSED, R.SENT, R.ACCEPTED)
# Sent but not answered by the service: what "unanswered referrals" means in My tasks.
UNANSWERED_STATUSES = (R.SENT,)


class ReferralFlowError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def referral_next_statuses(status: str) -> tuple[str, ...]:
    return REFERRAL_TRANSITIONS.get(status, ())


def referral_check_transition(current: str, new: str) -> None:
    if current not in REFERRAL_TRANSITIONS or new not in REFERRAL_TRANSITIONS:
        raise ReferralFlowError(str(_("Unknown referral status.")))
    if new not in REFERRAL_TRANSITIONS[current]:
        raise ReferralFlowError(
            str(
                _("A referral cannot go from “%(current)s” to “%(new)s”.")
                % {"current": ReferralStatus(current).label, "new": ReferralStatus(new).label}
            )
        )


def referral_consent_check(*, consent_to_refer: bool, shares_identifying_data: bool) -> None:
    """No consent, no referral of identifying data.

    Without the person's recorded consent only an anonymous referral (no name, contact or
    narrative leaves the organisation) may be made.
    """
    if shares_identifying_data and not consent_to_refer:
        raise ReferralFlowError(
            str(_("The person has not consented to this referral: identifying data cannot be shared."))
        )
