"""Web Push (works on Android Chrome): VAPID-signed (RFC 8292), encrypted (RFC 8291) POST to the
push service. The cryptography is Mozilla's: `http_ece` for the aes128gcm content coding and
`py_vapid` for the ES256 token; this module only decides what to send and where."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02, VapidException

from amparo.alerts.channels import DeliveryResult
from amparo.alerts.lib import netguard

RECORD_SIZE = 4096
# One record only: push services accept at most 4096 bytes of body, so a message either fits in
# one record (salt 16 + rs 4 + idlen 1 + key 65 + delimiter 1 + tag 16) or is refused.
MAX_PLAINTEXT = RECORD_SIZE - 16 - 4 - 1 - 65 - 16 - 1
# RFC 8292 §2: exp no more than 24 hours ahead; 12 hours leaves room for clock skew.
TOKEN_LIFETIME = 12 * 3600
# A token is reused for an hour (it is valid for twelve): signing one per message is wasted work
# when an alert goes to thousands of browsers behind the same push service.
REUSE_FOR = 3600


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_vapid_key() -> str:
    """A new key as base64url of the 32-byte private scalar (the form browsers' tools use)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))


def load_vapid_key(text: str) -> Vapid02:
    return Vapid02.from_raw(text.strip().encode())


def application_server_key(vapid: Vapid02) -> str:
    """The public key the browser passes to pushManager.subscribe (applicationServerKey)."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url_encode(raw)


def audience(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


_header_cache: dict[tuple[str, str, str], tuple[float, str]] = {}


def authorization_header(*, vapid: Vapid02, endpoint: str, subject: str) -> str:
    key = (application_server_key(vapid), audience(endpoint), subject)
    now = time.time()
    cached = _header_cache.get(key)
    if cached is not None and now - cached[0] < REUSE_FOR:
        return cached[1]
    claims = {"aud": audience(endpoint), "sub": subject, "exp": int(now) + TOKEN_LIFETIME}
    header = str(vapid.sign(claims)["Authorization"])
    if len(_header_cache) > 1000:
        _header_cache.clear()
    _header_cache[key] = (now, header)
    return header


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
            subscription = cls(endpoint=endpoint, p256dh=str(keys["p256dh"]), auth=str(keys["auth"]))
        except (KeyError, TypeError) as exc:
            raise ValueError("subscription needs endpoint, keys.p256dh and keys.auth") from exc
        subscription.check()
        return subscription

    def check(self) -> None:
        if not self.endpoint.startswith(("https://", "http://")) or len(self.endpoint) > 1000:
            raise ValueError("bad endpoint")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(self.p256dh))
            auth = b64url_decode(self.auth)
        except ValueError as exc:
            raise ValueError("bad subscription keys") from exc
        if len(auth) != 16:
            raise ValueError("bad auth secret")


def encrypt(plaintext: bytes, *, subscription: PushSubscription) -> bytes:
    """The aes128gcm body for one subscription, with a fresh salt and sender key (http_ece)."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("payload too large for one Web Push record")
    return http_ece.encrypt(
        plaintext,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(subscription.p256dh),
        auth_secret=b64url_decode(subscription.auth),
        version="aes128gcm",
        rs=RECORD_SIZE,
    )


def send(
    *,
    subscription: PushSubscription,
    payload: dict,
    vapid: Vapid02,
    subject: str,
    ttl: int = 3600,
    urgency: str = "normal",
    timeout: float = 10.0,
    allow_loopback: bool = False,
) -> DeliveryResult:
    try:
        body = encrypt(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), subscription=subscription)
    except (ValueError, http_ece.ECEException) as exc:
        return DeliveryResult.failed(f"cannot encrypt: {exc}", permanent=True)
    try:
        authorization = authorization_header(vapid=vapid, endpoint=subscription.endpoint, subject=subject)
    except VapidException as exc:
        return DeliveryResult.failed(f"cannot sign: {exc}", permanent=True)
    headers = {
        "Authorization": authorization,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(ttl),
        "Urgency": urgency,
    }
    try:
        answer = netguard.post(subscription.endpoint, body=body, headers=headers, timeout=timeout, allow_loopback=allow_loopback)
    except netguard.BlockedDestination as exc:
        return DeliveryResult.failed(f"blocked: {exc}", permanent=True)
    except OSError as exc:
        return DeliveryResult.failed(f"network error: {type(exc).__name__}")
    if 200 <= answer.status < 300:
        return DeliveryResult.sent(status_code=answer.status)
    # 404/410: the browser dropped the subscription; stop sending to it.
    permanent = answer.status in {400, 403, 404, 410, 413}
    return DeliveryResult.failed(f"http {answer.status}", permanent=permanent, status_code=answer.status)
