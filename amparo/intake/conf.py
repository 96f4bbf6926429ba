"""Settings of the anonymous reporting app, read from the environment (documented in docs/intake.md).

Code reads them as `conf.NAME` at call time so tests can change them.
"""

from __future__ import annotations

from amparo.lib.env import envint
from amparo.web import public

# Proof of work: the solver tries on average half of MAXNUMBER SHA-256 hashes. 50,000 takes
# well under two seconds on a cheap Android phone and costs a bot the same for every report.
POW_MAXNUMBER = envint("AMPARO_INTAKE_POW_MAXNUMBER", 50_000)
# The price of a report grows with the load: the work doubles for every this many reports with a
# proof of work in the last window, up to POW_MAX_MULTIPLIER times the base (16 × 50,000: a few
# seconds on a cheap phone). A solution bought at less than 1/POW_PRICE_GRACE of the current
# price (a stockpile solved while the form was quiet) must be solved again.
POW_BUSY_THRESHOLD = envint("AMPARO_INTAKE_POW_BUSY_THRESHOLD", 30)
POW_MAX_MULTIPLIER = envint("AMPARO_INTAKE_POW_MAX_MULTIPLIER", 16)
POW_PRICE_GRACE = envint("AMPARO_INTAKE_POW_PRICE_GRACE", 4)
# A challenge is embedded in the page when it loads; writing a report can take a while.
POW_TTL_SECONDS = envint("AMPARO_INTAKE_POW_TTL_SECONDS", 3 * 3600)

# Without JavaScript there is no proof of work: the form must have been open at least this long
# (a person writing takes far longer) and a stricter per-organisation budget applies.
NOJS_MIN_SECONDS = envint("AMPARO_INTAKE_NOJS_MIN_SECONDS", 12)
FORM_TOKEN_MAX_AGE_SECONDS = envint("AMPARO_INTAKE_FORM_MAX_AGE_SECONDS", 6 * 3600)

# Rate limits, per organisation and per window, with no client address anywhere.
RATE_WINDOW_SECONDS = envint("AMPARO_INTAKE_RATE_WINDOW_SECONDS", 600)
# Reports with a proof of work have no ceiling by default (0): a hard budget is what a flood fills
# to shut the form for everyone. An operator may set one as a last resort for disk space.
RATE_REPORTS_WITH_POW = envint("AMPARO_INTAKE_RATE_REPORTS", 0)
RATE_REPORTS_WITHOUT_POW = envint("AMPARO_INTAKE_RATE_REPORTS_NOJS", 20)
# Failed follow-ups per organisation: each costs an Argon2 check. Higher would let anyone burn
# CPU; lower would let anyone lock every reporter out for the window with wrong tries.
RATE_FOLLOWUP_FAILURES = envint("AMPARO_INTAKE_RATE_FOLLOWUP_FAILURES", 300)

# Wrong passphrases: free tries, then a waiting time that doubles, up to a ceiling.
FOLLOWUP_FREE_FAILURES = envint("AMPARO_INTAKE_FOLLOWUP_FREE_FAILURES", 3)
FOLLOWUP_FIRST_DELAY_SECONDS = envint("AMPARO_INTAKE_FOLLOWUP_FIRST_DELAY_SECONDS", 30)
FOLLOWUP_MAX_DELAY_SECONDS = envint("AMPARO_INTAKE_FOLLOWUP_MAX_DELAY_SECONDS", 3600)

# Input limits.
MAX_FILE_BYTES = envint("AMPARO_INTAKE_MAX_FILE_BYTES", 10 * 1024 * 1024)
MAX_FILES = envint("AMPARO_INTAKE_MAX_FILES", 3)
MAX_NARRATIVE_CHARS = envint("AMPARO_INTAKE_MAX_NARRATIVE_CHARS", 8000)
MAX_CONTACT_CHARS = 300
MAX_MESSAGE_CHARS = 4000

PASSPHRASE_WORDS = envint("AMPARO_INTAKE_PASSPHRASE_WORDS", 5)

# Where the quick-exit button goes (shared by every public page, see amparo/web/public.py).
QUICK_EXIT_URL = public.QUICK_EXIT_URL

# Spam and merge decisions can be undone this long; then the purge job deletes what they kept.
UNDO_DAYS = envint("AMPARO_INTAKE_UNDO_DAYS", 30)
