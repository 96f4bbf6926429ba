"""Abuse resistance for the public form and API, backed by the database: no address is ever used.

Every submission must carry a proof: a solved proof-of-work challenge (browsers with
JavaScript, partner apps), or else a form token showing that the form was open long
enough for a person to fill it (browsers without JavaScript), under a stricter budget.
Proofs are single use.

A flood must never shut the form for everyone else, so reports with a proof of work have
no hard budget. Their price grows with the load instead: each challenge costs the base work
times a multiplier that doubles for every POW_BUSY_THRESHOLD reports the organisation received
in the last window (up to POW_MAX_MULTIPLIER, still seconds on a cheap phone). The price is
written into the signed challenge, and a solution bought far below the current price (a
stockpile solved while the form was quiet) must be solved again at the current price. A sender
gets reports through only in proportion to the work she does, like everyone else at that moment;
nobody's report is refused because of someone else's volume. Only reports without JavaScript
(no proof of work) keep a small budget per window (see lib/ratelimit.py).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from amparo.accounts.models import Organisation
from amparo.intake import conf
from amparo.intake.lib import formtoken, pow, ratelimit
from amparo.intake.models import RateCounter, RecentReceipt, SpentToken


class Refused(Exception):
    """The request is refused before anything is saved; `status` is the HTTP status to answer with."""

    def __init__(self, code: str, message: str, *, status: int = 400, retry_after: int = 0) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.retry_after = code, message, status, retry_after


class Kind:
    REPORT_POW = "report"
    REPORT_NOJS = "report_nojs"
    FOLLOWUP_FAILURE = "followup_fail"


def _limit(kind: str) -> ratelimit.Limit:
    count = {
        Kind.REPORT_POW: conf.RATE_REPORTS_WITH_POW,
        Kind.REPORT_NOJS: conf.RATE_REPORTS_WITHOUT_POW,
        Kind.FOLLOWUP_FAILURE: conf.RATE_FOLLOWUP_FAILURES,
    }[kind]
    return ratelimit.Limit(kind=kind, count=count, window_seconds=conf.RATE_WINDOW_SECONDS)


def _secret(purpose: str) -> bytes:
    return salted_hmac(f"amparo.intake.{purpose}", "key", secret=settings.SECRET_KEY, algorithm="sha256").digest()


def _scope(organisation: Organisation) -> str:
    return f"o{organisation.pk}"


def price_for_load(load: float) -> int:
    """The multiplier of the base work for a load (reports with a proof in the last window)."""
    doublings = int(max(0.0, load) // max(1, conf.POW_BUSY_THRESHOLD))
    return min(max(1, conf.POW_MAX_MULTIPLIER), 2 ** min(doublings, 30))


def pow_load(organisation: Organisation) -> float:
    """Reports with a proof of work in the last window, estimated from two fixed windows.

    The previous window counts for the part of it that still falls in the last
    RATE_WINDOW_SECONDS, so the price falls smoothly after a flood instead of all at once.
    """
    now = time.time()
    window = conf.RATE_WINDOW_SECONDS
    current = _window_count(organisation=organisation, kind=Kind.REPORT_POW, now=now)
    previous = _window_count(organisation=organisation, kind=Kind.REPORT_POW, now=now - window)
    elapsed = (now % window) / window
    return current + previous * (1 - elapsed)


def pow_price(organisation: Organisation) -> int:
    return price_for_load(pow_load(organisation))


def pow_maxnumber(organisation: Organisation) -> int:
    """The work asked for now: the base work times the current price."""
    return conf.POW_MAXNUMBER * pow_price(organisation)


def challenge_for(organisation: Organisation) -> pow.Challenge:
    price = pow_price(organisation)
    return pow.create_challenge(
        key=_secret("pow"), scope=_scope(organisation), maxnumber=conf.POW_MAXNUMBER * price,
        ttl_seconds=conf.POW_TTL_SECONDS, cost=price,
    )


def outdated(*, paid: int, price: int) -> bool:
    """A solution is too cheap for now when it paid less than 1/POW_PRICE_GRACE of the current price.

    The grace lets a person whose page loaded just before a rush still send; a stockpile of
    cheap solutions does not get through once the price has climbed.
    """
    return paid * max(1, conf.POW_PRICE_GRACE) < price


def form_token_for(organisation: Organisation) -> str:
    return formtoken.issue(key=_secret("form").hex(), scope=_scope(organisation))


@dataclass(frozen=True)
class Proof:
    kind: str  # Kind.REPORT_POW or Kind.REPORT_NOJS
    digests: tuple[tuple[str, int], ...]  # (digest, expires at) of what this submission uses up
    form_nonce: str = ""  # the rendered form's nonce, when there is one (web form)


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def check_proof(*, organisation: Organisation, pow_payload: str, form_token: str | None) -> Proof:
    """Check (without using up) the proof a submission carries. `form_token` is None for the API."""
    spent: list[tuple[str, int]] = []
    token = None
    if form_token is not None:
        try:
            token = formtoken.check(
                form_token, key=_secret("form").hex(), scope=_scope(organisation),
                max_age_seconds=conf.FORM_TOKEN_MAX_AGE_SECONDS,
            )
        except formtoken.FormTokenError:
            raise Refused("form_expired", _("This form has expired. Your text is kept below: please send it again."))
        spent.append((_digest("form", token.nonce), token.issued + conf.FORM_TOKEN_MAX_AGE_SECONDS))
    if pow_payload:
        try:
            solved = pow.verify(pow_payload, key=_secret("pow"), scope=_scope(organisation))
        except pow.PowError as exc:
            if exc.reason == "expired":
                raise Refused("challenge_expired", _("The security check has expired. Please send the form again."))
            raise Refused("challenge_failed", _("The security check failed. Please send the form again."))
        if outdated(paid=solved.cost, price=pow_price(organisation)):
            raise Refused(
                "challenge_outdated",
                _("Many reports are arriving right now, so the security check must be done again. Your text is kept: please press Send again in a few seconds."),
                status=409,
            )
        spent.append((_digest("pow", solved.challenge), solved.expires))
        return Proof(kind=Kind.REPORT_POW, digests=tuple(spent), form_nonce=token.nonce if token else "")
    if token is None:
        raise Refused("challenge_required", _("A solved security challenge is required."))
    wait = conf.NOJS_MIN_SECONDS - formtoken.age_seconds(token)
    if wait > 0:
        raise Refused(
            "too_fast",
            _("For everyone's safety, please wait %(seconds)d seconds and press Send again.") % {"seconds": int(wait) + 1},
            status=429,
            retry_after=int(wait) + 1,
        )
    return Proof(kind=Kind.REPORT_NOJS, digests=tuple(spent), form_nonce=token.nonce)


def check_unspent(proof: Proof) -> None:
    """Refuse a replay early, before it costs a slow hash or counts against the budget.

    `spend` stays the authority (two requests may race past this check; one will lose there).
    """
    if SpentToken.objects.filter(digest__in=[digest for digest, _ in proof.digests]).exists():
        raise Refused("replayed", _("This form was already sent. Open the form again to send another report."), status=409)


def spend(proof: Proof) -> None:
    """Use up a proof; call inside the transaction that saves the report so a failure keeps it usable."""
    for digest, expires in proof.digests:
        try:
            with transaction.atomic():
                SpentToken.objects.create(
                    digest=digest, expires_at=datetime.datetime.fromtimestamp(expires, tz=datetime.UTC)
                )
        except IntegrityError:
            raise Refused("replayed", _("This form was already sent. Open the form again to send another report."), status=409)


class _DatabaseStore:
    def incr(self, key: str, *, expires_at: int, now: int) -> int:
        with transaction.atomic():
            if not RateCounter.objects.filter(key=key).update(count=F("count") + 1):
                # A new window: the moment to forget expired counters and spent tokens.
                forget_expired()
                # Kept one window past its own: the price reads the previous window too (pow_load).
                keep_until = expires_at + conf.RATE_WINDOW_SECONDS
                try:
                    with transaction.atomic():
                        RateCounter.objects.create(
                            key=key, count=1, expires_at=datetime.datetime.fromtimestamp(keep_until, tz=datetime.UTC)
                        )
                    return 1
                except IntegrityError:
                    RateCounter.objects.filter(key=key).update(count=F("count") + 1)
            return RateCounter.objects.get(key=key).count


def forget_expired() -> int:
    moment = timezone.now()
    return sum(
        model.objects.filter(expires_at__lt=moment).delete()[0]
        for model in (RateCounter, SpentToken, RecentReceipt)
    )


def rate_hit(*, organisation: Organisation, kind: str) -> None:
    """Count one accepted submission; refuse it only where a budget applies.

    Reports with a proof of work are counted (the count sets the price) but refused only past
    RATE_REPORTS_WITH_POW when an operator sets one (0, the default, means no ceiling).
    """
    decision = ratelimit.hit(
        _DatabaseStore(), secret=_secret("rate"), limit=_limit(kind), scope=_scope(organisation), now=time.time()
    )
    if kind == Kind.REPORT_POW and conf.RATE_REPORTS_WITH_POW <= 0:
        return
    if not decision.allowed:
        raise Refused(
            "rate_limited",
            _("Too many reports are arriving right now. Please try again in a few minutes."),
            status=429,
            retry_after=decision.retry_after,
        )


def _window_count(*, organisation: Organisation, kind: str, now: float | None = None) -> int:
    """The count of `kind` in the fixed window holding `now` (default: this moment)."""
    bucket = ratelimit.bucket_for(
        secret=_secret("rate"), limit=_limit(kind), scope=_scope(organisation), now=time.time() if now is None else now
    )
    return RateCounter.objects.filter(key=bucket.key).values_list("count", flat=True).first() or 0


def rate_exhausted(*, organisation: Organisation, kind: str) -> int:
    """Seconds to wait if the budget for `kind` is used up in this window, else 0 (counts nothing)."""
    limit = _limit(kind)
    if limit.count > 0 and _window_count(organisation=organisation, kind=kind) >= limit.count:
        bucket = ratelimit.bucket_for(secret=_secret("rate"), limit=limit, scope=_scope(organisation), now=time.time())
        return max(1, bucket.expires_at - int(time.time()))
    return 0


def rate_hit_quiet(*, organisation: Organisation, kind: str) -> None:
    """Count one event against a budget without refusing anything (failures count, they are not refused)."""
    ratelimit.hit(_DatabaseStore(), secret=_secret("rate"), limit=_limit(kind), scope=_scope(organisation), now=time.time())


# --- Showing a receipt again after a double tap -------------------------------------------
#
# On a weak signal people tap Send twice; the browser drops the first answer (the receipt)
# and shows the second, which is refused as a replay. For a few minutes the receipt is kept
# sealed under a key derived from the form's nonce, which only that browser's page holds (the
# database keeps a hash of it), so the second answer can show the same receipt.

RECEIPT_REPLAY_SECONDS = 15 * 60


def _receipt_key(nonce: str) -> bytes:
    return hmac.new(_secret("receipt"), nonce.encode(), hashlib.sha256).digest()


def receipt_remember(*, nonce: str, code: str, passphrase: str) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    iv = os.urandom(12)
    sealed = iv + AESGCM(_receipt_key(nonce)).encrypt(iv, f"{code}\n{passphrase}".encode(), None)
    RecentReceipt.objects.create(
        digest=_digest("receipt", nonce), sealed=sealed,
        expires_at=timezone.now() + datetime.timedelta(seconds=RECEIPT_REPLAY_SECONDS),
    )


def receipt_recall(*, organisation: Organisation, form_token: str) -> tuple[str, str] | None:
    """The receipt of the report this form already sent, if it was sent moments ago."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        token = formtoken.check(
            form_token, key=_secret("form").hex(), scope=_scope(organisation),
            max_age_seconds=conf.FORM_TOKEN_MAX_AGE_SECONDS,
        )
    except formtoken.FormTokenError:
        return None
    row = RecentReceipt.objects.filter(digest=_digest("receipt", token.nonce), expires_at__gt=timezone.now()).first()
    if row is None:
        return None
    sealed = bytes(row.sealed)
    try:
        code, passphrase = AESGCM(_receipt_key(token.nonce)).decrypt(sealed[:12], sealed[12:], None).decode().split("\n")
    except (InvalidTag, ValueError):
        return None
    return code, passphrase
