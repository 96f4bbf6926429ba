"""Web Push (works on Android Chrome): VAPID-signed, RFC 8291-encrypted POST to the push service."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from amparo.alerts.channels import DeliveryResult
from amparo.alerts.lib import ece, netguard, vapid
from amparo.alerts.lib.b64 import b64url_decode


@dataclass(frozen=True)
class PushSubscription:
    endpoint: str
    p256dh: str  # base64url, 65-byte uncompressed P-256 point
    auth: str  # base64url, 16 bytes

    @classmethod
    def from_json(cls, data: dict) -> PushSubscription:
        """Parse the browser's ``PushSubscription.toJSON()``; raises ValueError on anything odd."""
        try:
            endpoint = str(data["endpoint"])
            keys = data["keys"]
            subscription = cls(
                endpoint=endpoint, p256dh=str(keys["p256dh"]), auth=str(keys["auth"])
            )
        except (KeyError, TypeError) as exc:
            raise ValueError("subscription needs endpoint, keys.p256dh and keys.auth") from exc
        subscription.check()
        return subscription

    def check(self) -> None:
        if not self.endpoint.startswith(("https://", "http://")) or len(self.endpoint) > 1000:
            raise ValueError("bad endpoint")
        try:
            ece.public_key_from_bytes(b64url_decode(self.p256dh))
            auth = b64url_decode(self.auth)
        except (ValueError, ece.EncryptionError) as exc:
            raise ValueError("bad subscription keys") from exc
        if len(auth) != 16:
            raise ValueError("bad auth secret")


def send(
    *,
    subscription: PushSubscription,
    payload: dict,
    private_key: ec.EllipticCurvePrivateKey,
    subject: str,
    ttl: int = 3600,
    urgency: str = "normal",
    timeout: float = 10.0,
    allow_loopback: bool = False,
) -> DeliveryResult:
    try:
        body = ece.encrypt(
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            ua_public=b64url_decode(subscription.p256dh),
            auth_secret=b64url_decode(subscription.auth),
        )
    except (ValueError, ece.EncryptionError) as exc:
        return DeliveryResult.failed(f"cannot encrypt: {exc}", permanent=True)
    headers = {
        "Authorization": vapid.authorization_header(
            private_key=private_key, endpoint=subscription.endpoint, subject=subject
        ),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(ttl),
        "Urgency": urgency,
    }
    try:
        answer = netguard.post(
            subscription.endpoint,
            body=body,
            headers=headers,
            timeout=timeout,
            allow_loopback=allow_loopback,
        )
    except netguard.BlockedDestination as exc:
        return DeliveryResult.failed(f"blocked: {exc}", permanent=True)
    except OSError as exc:
        return DeliveryResult.failed(f"network error: {type(exc).__name__}")
    if 200 <= answer.status < 300:
        return DeliveryResult.sent(status_code=answer.status)
    # 404/410: the browser dropped the subscription; stop sending to it.
    permanent = answer.status in {400, 403, 404, 410, 413}
    return DeliveryResult.failed(
        f"http {answer.status}", permanent=permanent, status_code=answer.status
    )
