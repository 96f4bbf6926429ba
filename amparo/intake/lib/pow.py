"""Self-hosted proof of work in the ALTCHA scheme, so no third-party CAPTCHA sees our visitors.

The server picks a random salt (carrying an expiry and a scope) and a secret number n below
`maxnumber`, and publishes challenge = SHA-256(salt + n) with an HMAC signature of it. The
browser finds n by trying 0, 1, 2, ... and sends back the number. Checking costs the server
one HMAC and one hash; finding it costs the client ~maxnumber/2 hashes. The caller records
each accepted challenge until it expires (replay protection); `verify` itself stores nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

ALGORITHM = "SHA-256"


class PowError(Exception):
    """The solution is missing, malformed, forged, expired, for another scope, or wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Challenge:
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_attribute(self) -> str:
        """Compact JSON for a data-* attribute in the page."""
        return json.dumps(self.as_dict(), separators=(",", ":"))


@dataclass(frozen=True)
class Solved:
    challenge: str
    expires: int
    # The price the challenge was issued at (a multiple of the base work); 1 when it carries none.
    cost: int = 1


def _hash(salt: str, number: int) -> str:
    return hashlib.sha256(f"{salt}{number}".encode()).hexdigest()


def _sign(key: bytes, challenge: str) -> str:
    return hmac.new(key, challenge.encode(), hashlib.sha256).hexdigest()


def create_challenge(
    *, key: bytes, scope: str, maxnumber: int, ttl_seconds: int, now: float | None = None, cost: int = 1
) -> Challenge:
    """`cost` is written into the salt, which the signed challenge hash covers, so the server can
    later tell what price a solution paid without storing anything."""
    now = time.time() if now is None else now
    expires = int(now) + ttl_seconds
    salt = f"{secrets.token_hex(12)}?expires={expires}&scope={scope}&cost={int(cost)}"
    number = secrets.randbelow(maxnumber + 1)
    challenge = _hash(salt, number)
    return Challenge(ALGORITHM, challenge, maxnumber, salt, _sign(key, challenge))


def solve(*, challenge: str, salt: str, maxnumber: int) -> int | None:
    """What the browser does (used by tests, the benchmark and partner apps)."""
    for number in range(maxnumber + 1):
        if _hash(salt, number) == challenge:
            return number
    return None


def solution_payload(challenge: Challenge | dict[str, Any], number: int) -> str:
    """The base64 JSON a client sends back, as ALTCHA's widget does."""
    data = challenge.as_dict() if isinstance(challenge, Challenge) else dict(challenge)
    body = {k: data[k] for k in ("algorithm", "challenge", "salt", "signature")}
    body["number"] = number
    return base64.b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


def _decode(payload: str) -> dict[str, Any]:
    if not payload or len(payload) > 2000:
        raise PowError("missing")
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise PowError("malformed")
    if not isinstance(data, dict):
        raise PowError("malformed")
    for name in ("algorithm", "challenge", "salt", "signature"):
        if not isinstance(data.get(name), str):
            raise PowError("malformed")
    if not isinstance(data.get("number"), int) or isinstance(data.get("number"), bool):
        raise PowError("malformed")
    return data


def verify(payload: str, *, key: bytes, scope: str, now: float | None = None) -> Solved:
    """Check a solution; raise PowError with the reason, or return what to record as spent."""
    data = _decode(payload)
    if data["algorithm"] != ALGORITHM:
        raise PowError("algorithm")
    if not hmac.compare_digest(_sign(key, data["challenge"]), data["signature"]):
        raise PowError("signature")
    _, _, query = data["salt"].partition("?")
    params = parse_qs(query)
    try:
        expires = int(params["expires"][0])
    except (KeyError, IndexError, ValueError):
        raise PowError("malformed")
    if params.get("scope", [""])[0] != scope:
        raise PowError("scope")
    if expires < (time.time() if now is None else now):
        raise PowError("expired")
    if not (0 <= data["number"] <= 10**9) or _hash(data["salt"], data["number"]) != data["challenge"]:
        raise PowError("wrong")
    try:
        cost = max(1, int(params.get("cost", ["1"])[0]))
    except ValueError:
        raise PowError("malformed")
    return Solved(challenge=data["challenge"], expires=expires, cost=cost)
