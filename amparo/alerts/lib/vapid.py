"""VAPID (RFC 8292): the ES256 JWT that identifies our server to a push service."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from amparo.alerts.lib.b64 import b64url_decode, b64url_encode

# RFC 8292 §2: exp no more than 24 hours ahead; 12 hours leaves room for clock skew.
TOKEN_LIFETIME = 12 * 3600


def generate_private_key() -> str:
    """A new key as base64url of the 32-byte private scalar (the form browsers' tools use)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(text), "big"), ec.SECP256R1())


def application_server_key(private_key: ec.EllipticCurvePrivateKey) -> str:
    """The public key the browser passes to pushManager.subscribe (applicationServerKey)."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(raw)


def audience(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def token(
    *,
    private_key: ec.EllipticCurvePrivateKey,
    endpoint: str,
    subject: str,
    now: float | None = None,
) -> str:
    now = time.time() if now is None else now
    header = b64url_encode(
        json.dumps({"typ": "JWT", "alg": "ES256"}, separators=(",", ":")).encode()
    )
    claims = {"aud": audience(endpoint), "exp": int(now) + TOKEN_LIFETIME, "sub": subject}
    payload = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return f"{header}.{payload}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


_header_cache: dict[tuple[str, str, str], tuple[float, str]] = {}
# A token is reused for an hour (it is valid for twelve): signing one per message is wasted work
# when an alert goes to thousands of browsers behind the same push service.
REUSE_FOR = 3600


def authorization_header(
    *, private_key: ec.EllipticCurvePrivateKey, endpoint: str, subject: str
) -> str:
    public = application_server_key(private_key)
    key = (public, audience(endpoint), subject)
    now = time.time()
    cached = _header_cache.get(key)
    if cached is not None and now - cached[0] < REUSE_FOR:
        return cached[1]
    jwt = token(private_key=private_key, endpoint=endpoint, subject=subject, now=now)
    header = f"vapid t={jwt}, k={public}"
    if len(_header_cache) > 1000:
        _header_cache.clear()
    _header_cache[key] = (now, header)
    return header


def verify(*, header: str, now: float | None = None) -> dict:
    """Check an ``Authorization: vapid t=..., k=...`` header as a push service does; return the claims.

    Raises ValueError if the signature, algorithm or expiry is wrong."""
    if not header.startswith("vapid "):
        raise ValueError("not a vapid authorization")
    params = dict(part.strip().split("=", 1) for part in header[len("vapid ") :].split(","))
    jwt, key = params["t"], params["k"]
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    head_b64, payload_b64, sig_b64 = jwt.split(".")
    if json.loads(b64url_decode(head_b64)).get("alg") != "ES256":
        raise ValueError("wrong algorithm")
    sig = b64url_decode(sig_b64)
    if len(sig) != 64:
        raise ValueError("bad signature length")
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public_key.verify(
        der, f"{head_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256())
    )  # raises InvalidSignature
    claims = json.loads(b64url_decode(payload_b64))
    now = time.time() if now is None else now
    if not (now < claims["exp"] <= now + 24 * 3600):
        raise ValueError("expired or too far in the future")
    return claims
