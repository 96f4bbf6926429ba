"""Settings of the Response app, read from the environment."""

from __future__ import annotations

from amparo.lib.env import envint

# Days ahead a deadline or hearing is reminded; days a sent referral may wait for an answer.
REMINDER_DAYS_AHEAD = envint("AMPARO_RESPONSE_REMINDER_DAYS", 2)
UNANSWERED_AFTER_DAYS = envint("AMPARO_RESPONSE_UNANSWERED_DAYS", 7)
# Default follow-up after a referral is sent, when none is given.
DEFAULT_FOLLOW_UP_DAYS = envint("AMPARO_RESPONSE_FOLLOW_UP_DAYS", 7)
# How often the reminder job runs (minutes).
REMINDER_EVERY_MINUTES = envint("AMPARO_RESPONSE_REMINDER_EVERY_MINUTES", 30)
