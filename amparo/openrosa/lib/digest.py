"""HTTP Digest authentication, server side (RFC 7616, RFC 2617; OpenRosa's restricted profile).

What the server keeps per collector is HA1 = H(username:realm:password) for each algorithm,
never the password (and the caller seals HA1 at rest: it is password-equivalent for this realm).

Nonces are stateless: base64url(issued_at | random | HMAC(secret, issued_at | random | scope)),
so any worker can check one it did not issue, and a nonce for one organisation's URL space
does not open another's. Replay is stopped by the nonce count: a store remembers the highest
`nc` accepted for each nonce and refuses anything not greater (claimed atomically, after the
response has been checked so that a stranger cannot burn a phone's counter).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

ALGORITHMS: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}

_NONCE_RANDOM_BYTES = 16
_NONCE_MAC_BYTES = 16
_NONCE_LEN = 8 + _NONCE_RANDOM_BYTES + _NONCE_MAC_BYTES
_MAX_HEADER = 4096


class DigestError(ValueError):
    """The Authorization header is not a Digest response we can check."""


def _h(algorithm: str, text: str) -> str:
    try:
        return ALGORITHMS[algorithm](text.encode("utf-8")).hexdigest()
    except KeyError:
        raise DigestError(f"unsupported algorithm {algorithm!r}")


def ha1(*, algorithm: str, username: str, realm: str, password: str) -> str:
    return _h(algorithm, f"{username}:{realm}:{password}")


def response_for(
    *, algorithm: str, ha1_hex: str, nonce: str, nc: str, cnonce: str, qop: str, method: str, uri: str
) -> str:
    ha2 = _h(algorithm, f"{method}:{uri}")
    return _h(algorithm, f"{ha1_hex}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


# -- nonces -----------------------------------------------------------------------------


def _nonce_mac(secret: bytes, body: bytes, scope: str) -> bytes:
    return hmac.new(secret, body + b"|" + scope.encode(), hashlib.sha256).digest()[:_NONCE_MAC_BYTES]


def make_nonce(*, secret: bytes, scope: str, now: float | None = None) -> str:
    issued = struct.pack(">Q", int((time.time() if now is None else now) * 1000))
    body = issued + secrets.token_bytes(_NONCE_RANDOM_BYTES)
    return base64.urlsafe_b64encode(body + _nonce_mac(secret, body, scope)).decode().rstrip("=")


def nonce_issued_at(nonce: str, *, secret: bytes, scope: str) -> float:
    """When the nonce was issued (seconds); DigestError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (ValueError, TypeError):
        raise DigestError("malformed nonce")
    if len(raw) != _NONCE_LEN:
        raise DigestError("malformed nonce")
    body, mac = raw[:-_NONCE_MAC_BYTES], raw[-_NONCE_MAC_BYTES:]
    if not hmac.compare_digest(mac, _nonce_mac(secret, body, scope)):
        raise DigestError("nonce was not issued here")
    return struct.unpack(">Q", body[:8])[0] / 1000


# -- replay store -----------------------------------------------------------------------


class NonceCounterStore(Protocol):
    def claim(self, *, nonce: str, nc: int, expires_at: float, now: float) -> bool:
        """Record `nc` for `nonce` if it is greater than every count seen; False otherwise."""
        ...


class MemoryNonceCounterStore:
    """For tests and single-process use; the Django app stores counters in the database."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def claim(self, *, nonce: str, nc: int, expires_at: float, now: float) -> bool:
        with self._lock:
            for key in [k for k, (_, exp) in self._seen.items() if exp < now]:
                del self._seen[key]
            last = self._seen.get(nonce)
            if last is not None and nc <= last[0]:
                return False
            self._seen[nonce] = (nc, expires_at)
            return True


# -- header parsing ---------------------------------------------------------------------

_PARAM = re.compile(
    r"""\s*([A-Za-z0-9_\-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)""",
    re.DOTALL,
)


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str
    qop: str
    nc: str
    cnonce: str
    opaque: str


def parse_authorization(header: str) -> DigestCredentials:
    if not header or len(header) > _MAX_HEADER:
        raise DigestError("missing or oversized Authorization header")
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError("not a Digest Authorization header")
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match or match.end() == pos:
            raise DigestError("malformed Digest parameters")
        name = match.group(1).lower()
        value = match.group(2)
        value = re.sub(r"\\(.)", r"\1", value) if value is not None else match.group(3)
        if name in params:
            raise DigestError(f"repeated parameter {name}")
        params[name] = value
        pos = match.end()
    for required in ("username", "realm", "nonce", "uri", "response"):
        if not params.get(required):
            raise DigestError(f"missing {required}")
    if "username*" in params or params.get("userhash", "false").lower() == "true":
        raise DigestError("userhash and extended usernames are not supported")
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        raise DigestError(f"unsupported algorithm {algorithm}")
    qop = params.get("qop", "")
    if qop != "auth":
        # We only ever offer qop="auth": without it there is no nonce count, hence no
        # replay protection (RFC 2069 mode is refused on purpose).
        raise DigestError("qop=auth is required")
    nc = params.get("nc", "")
    if not re.fullmatch(r"[0-9a-fA-F]{8}", nc):
        raise DigestError("nc must be 8 hex digits")
    if not params.get("cnonce"):
        raise DigestError("missing cnonce")
    return DigestCredentials(
        username=params["username"],
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"].lower(),
        algorithm=algorithm,
        qop=qop,
        nc=nc,
        cnonce=params["cnonce"],
        opaque=params.get("opaque", ""),
    )


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def challenge(*, realm: str, nonce: str, opaque: str, domain: str, algorithm: str = "MD5", stale: bool = False) -> str:
    parts = [
        f"realm={_quote(realm)}",
        'qop="auth"',
        f"algorithm={algorithm}",
        f"nonce={_quote(nonce)}",
        f"opaque={_quote(opaque)}",
        f"domain={_quote(domain)}",
    ]
    if stale:
        parts.append("stale=true")
    return "Digest " + ", ".join(parts)


def uri_matches(digest_uri: str, request_uri: str) -> bool:
    """The digest-uri must name the very resource requested (RFC 7616 3.4.6)."""
    if digest_uri == request_uri:
        return True
    parts = urlsplit(digest_uri)
    if parts.scheme or parts.netloc:
        candidate = parts.path + (f"?{parts.query}" if parts.query else "")
        return candidate == request_uri
    return False


# -- verification -----------------------------------------------------------------------


class Outcome(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no or unusable header: send a challenge
    STALE = "stale"  # right password, old nonce: challenge with stale=true
    DENIED = "denied"  # wrong user, password, realm, uri or a replay


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    username: str = ""
    reason: str = ""


def verify(
    *,
    header: str,
    method: str,
    request_uri: str,
    realm: str,
    secret: bytes,
    scope: str,
    ttl_seconds: float,
    lookup_ha1: Callable[[str, str], str | None],
    store: NonceCounterStore,
    now: float | None = None,
) -> Verdict:
    """Check an Authorization header. `lookup_ha1(username, algorithm)` gives the stored HA1."""
    now = time.time() if now is None else now
    if not header:
        return Verdict(Outcome.MISSING, reason="no credentials")
    try:
        creds = parse_authorization(header)
    except DigestError as exc:
        return Verdict(Outcome.MISSING, reason=str(exc))
    if creds.realm != realm:
        return Verdict(Outcome.DENIED, creds.username, "wrong realm")
    if not uri_matches(creds.uri, request_uri):
        return Verdict(Outcome.DENIED, creds.username, "digest uri does not match the request")
    try:
        issued_at = nonce_issued_at(creds.nonce, secret=secret, scope=scope)
    except DigestError as exc:
        return Verdict(Outcome.MISSING, creds.username, str(exc))
    stored = lookup_ha1(creds.username, creds.algorithm)
    # Compute even for unknown users so timing does not reveal which usernames exist.
    expected = response_for(
        algorithm=creds.algorithm,
        ha1_hex=stored or _h(creds.algorithm, secrets.token_hex(16)),
        nonce=creds.nonce,
        nc=creds.nc,
        cnonce=creds.cnonce,
        qop=creds.qop,
        method=method,
        uri=creds.uri,
    )
    if stored is None or not hmac.compare_digest(expected, creds.response):
        return Verdict(Outcome.DENIED, creds.username, "wrong username or password")
    if now - issued_at > ttl_seconds or issued_at - now > 60:
        return Verdict(Outcome.STALE, creds.username, "nonce expired")
    if not store.claim(nonce=creds.nonce, nc=int(creds.nc, 16), expires_at=issued_at + ttl_seconds, now=now):
        # A replayed or out-of-order count: make the client start over with a fresh nonce.
        return Verdict(Outcome.STALE, creds.username, "nonce count reused")
    return Verdict(Outcome.OK, creds.username)
