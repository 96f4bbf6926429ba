"""The cell key method: filtered views that cannot be subtracted from one another.

As in the Australian Bureau of Statistics' TableBuilder and the 2022 German census, every record
has a fixed random key, a cell's key is the sum of its records' keys (modulo a prime), and the
cell's published count is its true count plus a small perturbation read from a table at that
key. The same set of records always gets the same perturbation, however the view that produced
it was filtered, so asking again (or asking the same cell through another filter) teaches
nothing; two views that differ by a few records get unrelated perturbations, so subtracting them
gives the few records' count plus noise of about ±2, never the count itself.

The record key is a keyed permutation of the record's id, computed in the database
((id × a + b) mod p, with a and b derived from the deployment's secret), so aggregates can carry
the sum of their records' keys and stay additive. It is never shown and never stored apart from
those sums.

Limits (docs/insights.md says them to users): tables no longer add up exactly, and someone who
can build many different pairs of views isolating the same few records can average the noise
away (about ±1.3/√k after k pairs).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from django.conf import settings

PRIME = 2_147_483_647  # 2**31 - 1: keys and their sums modulo it fit in 64-bit integers

# Perturbation D for a count n, as cumulative probabilities over D = -2 … +2. Mean 0 (unbiased),
# variance 0.8; a count of 1 cannot go below 0, so its table is shifted and still has mean 0.
_TABLE = ((-2, 0.05), (-1, 0.25), (0, 0.75), (1, 0.95), (2, 1.0))
_TABLE_ONE = ((-1, 0.30), (0, 0.75), (1, 0.95), (2, 1.0))
MAX_PERTURBATION = 2


@lru_cache(maxsize=4)
def _params(secret: str) -> tuple[int, int]:
    digest = hmac.new(secret.encode(), b"amparo.insights.record-key", hashlib.sha256).digest()
    a = 1 + int.from_bytes(digest[:8], "big") % (PRIME - 1)
    b = int.from_bytes(digest[8:16], "big") % PRIME
    return a, b


def record_key_params() -> tuple[int, int]:
    """(a, b) of the record key (id × a + b) mod PRIME, from the deployment's secret."""
    secret = getattr(settings, "STATS_RECORD_KEY_SECRET", "") or settings.SECRET_KEY
    return _params(secret)


def record_key(record_id: int) -> int:
    a, b = record_key_params()
    return (record_id * a + b) % PRIME


def record_key_sql(field: str):  # type: ignore[no-untyped-def]
    """The record key as a database expression over an id column (SQLite and PostgreSQL)."""
    from django.db.models import BigIntegerField, ExpressionWrapper, F, Value
    from django.db.models.functions import Mod

    a, b = record_key_params()
    return Mod(ExpressionWrapper(F(field) * Value(a) + Value(b), output_field=BigIntegerField()), Value(PRIME))


def perturbation(count: int, cell_key: int) -> int:
    """The deterministic perturbation of one cell."""
    if count <= 0:
        return 0
    u = (int(cell_key) % PRIME) / PRIME
    for d, cumulative in _TABLE_ONE if count == 1 else _TABLE:
        if u < cumulative:
            return d
    return 0


def perturbed_cell(count: int, cell_key: int, threshold: int) -> dict[str, Any]:
    """The JSON shape of a perturbed count: zeros stay zero (no record, nothing to protect), a
    count below the threshold, before or after perturbation, is shown as "<5" (every published
    number passes small-cell suppression: a true 3 never reads "5"), anything else as the
    perturbed number."""
    if count == 0:
        return {"value": 0, "display": "0", "status": "published"}
    value = count + perturbation(count, cell_key)
    if count < threshold or value < threshold:
        return {"value": None, "display": f"<{threshold}", "status": "primary"}
    return {"value": value, "display": str(value), "status": "published"}
