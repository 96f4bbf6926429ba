"""Referral status flow and the consent gate, without a database."""

from __future__ import annotations

import pytest

from amparo.response.lib.referral_flow import (
    ReferralFlowError,
    ReferralStatus,
    referral_check_transition,
    referral_consent_check,
    referral_next_statuses,
)

R = ReferralStatus


def test_it_goes_proposed_sent_accepted_completed() -> None:
    for current, new in [(R.PROPOSED, R.SENT), (R.SENT, R.ACCEPTED), (R.ACCEPTED, R.COMPLETED)]:
        referral_check_transition(current, new)


def test_a_service_may_decline() -> None:
    referral_check_transition(R.SENT, R.DECLINED)


@pytest.mark.parametrize(
    ("current", "new"),
    [(R.PROPOSED, R.ACCEPTED), (R.PROPOSED, R.COMPLETED), (R.SENT, R.COMPLETED), (R.DECLINED, R.ACCEPTED), (R.COMPLETED, R.SENT)],
)
def test_it_refuses_skipped_or_reversed_steps(current: str, new: str) -> None:
    with pytest.raises(ReferralFlowError):
        referral_check_transition(current, new)


def test_declined_and_completed_referrals_are_final() -> None:
    assert referral_next_statuses(R.DECLINED) == ()
    assert referral_next_statuses(R.COMPLETED) == ()


def test_it_rejects_unknown_statuses() -> None:
    with pytest.raises(ReferralFlowError):
        referral_check_transition("lost", R.SENT)


def test_no_consent_no_referral_of_identifying_data() -> None:
    with pytest.raises(ReferralFlowError):
        referral_consent_check(consent_to_refer=False, shares_identifying_data=True)
    referral_consent_check(consent_to_refer=False, shares_identifying_data=False)
    referral_consent_check(consent_to_refer=True, shares_identifying_data=True)
