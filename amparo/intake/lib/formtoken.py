"""A signed token put in every public form when it is rendered.

It proves the submission comes from a form we served (public routes set no CSRF cookie: no
cookie at all), says how long the form has been open (the no-JavaScript path requires a
minimum), and carries a nonce the caller records so one rendered form sends one report.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.core import signing

_SALT = "amparo.intake.formtoken"


class FormTokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FormToken:
    nonce: str
    issued: int


def issue(*, key: str, scope: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return signing.dumps({"s": scope, "n": secrets.token_hex(12), "t": issued}, key=key, salt=_SALT, compress=False)


def check(token: str, *, key: str, scope: str, max_age_seconds: int, now: float | None = None) -> FormToken:
    if not token or len(token) > 400:
        raise FormTokenError("missing")
    try:
        data = signing.loads(token, key=key, salt=_SALT)
    except signing.BadSignature:
        raise FormTokenError("forged")
    if not isinstance(data, dict) or data.get("s") != scope:
        raise FormTokenError("scope")
    issued, nonce = data.get("t"), data.get("n")
    if not isinstance(issued, int) or not isinstance(nonce, str):
        raise FormTokenError("forged")
    now = time.time() if now is None else now
    if now - issued > max_age_seconds:
        raise FormTokenError("expired")
    if issued > now + 60:
        raise FormTokenError("forged")
    return FormToken(nonce=nonce, issued=issued)


def age_seconds(token: FormToken, *, now: float | None = None) -> float:
    return (time.time() if now is None else now) - token.issued
