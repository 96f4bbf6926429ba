"""Signed outgoing webhooks, for an SMS or WhatsApp gateway the organisation contracts.

Each request carries ``X-Amparo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>." + body`` with the organisation's webhook secret, and ``X-Amparo-Delivery``, a stable id the
gateway can use to drop duplicates (we retry, so it may see one delivery twice). The receiver
should reject timestamps older than a few minutes to stop replays; ``verify`` does both checks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

from amparo.alerts.channels import DeliveryResult
from amparo.alerts.lib import netguard

SIGNATURE_HEADER = "X-Amparo-Signature"
DELIVERY_HEADER = "X-Amparo-Delivery"
EVENT_HEADER = "X-Amparo-Event"
DEFAULT_TOLERANCE = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (ValueError, KeyError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def _retryable(status: int) -> bool:
    return status >= 500 or status in {408, 425, 429}


def send(
    *,
    url: str,
    secret: str,
    payload: dict,
    delivery_id: str,
    event: str = "alert",
    attempts: int = 4,
    backoff: float = 1.0,
    timeout: float = 10.0,
    allow_loopback: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """POST ``payload`` as JSON, retrying with exponential backoff (backoff, 2x, 4x...)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    last = DeliveryResult.failed("not attempted")
    for attempt in range(1, max(1, attempts) + 1):
        # A fresh timestamp per attempt, so a late retry is not refused as a replay.
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Amparo-Webhook/1",
            SIGNATURE_HEADER: signature(secret=secret, timestamp=int(time.time()), body=body),
            DELIVERY_HEADER: delivery_id,
            EVENT_HEADER: event,
        }
        try:
            answer = netguard.post(
                url, body=body, headers=headers, timeout=timeout, allow_loopback=allow_loopback
            )
        except netguard.BlockedDestination as exc:
            return DeliveryResult.failed(f"blocked: {exc}", permanent=True, attempts=attempt)
        except OSError as exc:
            last = DeliveryResult.failed(f"network error: {type(exc).__name__}", attempts=attempt)
        else:
            if 200 <= answer.status < 300:
                return DeliveryResult.sent(attempts=attempt, status_code=answer.status)
            if not _retryable(answer.status):
                return DeliveryResult.failed(
                    f"http {answer.status}",
                    permanent=True,
                    attempts=attempt,
                    status_code=answer.status,
                )
            last = DeliveryResult.failed(
                f"http {answer.status}", attempts=attempt, status_code=answer.status
            )
        if attempt < attempts:
            sleep(backoff * (2 ** (attempt - 1)))
    return last
