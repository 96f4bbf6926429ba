"""Rate limits that keep no client address: fixed windows counted under short-lived keyed hashes.

Anonymous routes never see the client's address (the middleware removes it), so a limit
cannot be per visitor. It is per organisation and per kind of action instead, which caps
how fast anyone can flood one organisation's queue; the proof of work makes each single
report cost the sender. The bucket key is an HMAC of scope, kind and window, so the counter
table holds opaque keys that expire with their window and reveal nothing once gone.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    kind: str
    count: int
    window_seconds: int


@dataclass(frozen=True)
class Bucket:
    key: str
    expires_at: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    used: int
    retry_after: int


class CounterStore(Protocol):
    def incr(self, key: str, *, expires_at: int, now: int) -> int:
        """Add one to the counter `key` (creating it), return the new value."""


def bucket_for(*, secret: bytes, limit: Limit, scope: str, now: float) -> Bucket:
    window = int(now) // limit.window_seconds
    message = f"{limit.kind}:{scope}:{limit.window_seconds}:{window}".encode()
    key = hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]
    return Bucket(key=key, expires_at=(window + 1) * limit.window_seconds)


def hit(store: CounterStore, *, secret: bytes, limit: Limit, scope: str, now: float) -> Decision:
    """Count one attempt and say whether it is within the limit."""
    bucket = bucket_for(secret=secret, limit=limit, scope=scope, now=now)
    used = store.incr(bucket.key, expires_at=bucket.expires_at, now=int(now))
    allowed = used <= limit.count
    return Decision(allowed=allowed, used=used, retry_after=0 if allowed else max(1, bucket.expires_at - int(now)))


class MemoryStore:
    """A per-process store for tests and single-process tools."""

    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, int]] = {}

    def incr(self, key: str, *, expires_at: int, now: int) -> int:
        self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
        count = self.counts.get(key, (0, expires_at))[0] + 1
        self.counts[key] = (count, expires_at)
        return count
