"""Receipt codes and passphrases that let an anonymous reporter come back.

The receipt code finds the report (the database keeps only a keyed hash of it); the
passphrase proves it is theirs (only an Argon2 hash is kept). Both are shown once. Words
come from a list of easy Spanish words without accents or ñ, so any phone keyboard types
them; input is normalised (case, accents, separators) before checking.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Crockford's base32: no I, L, O or U, so nothing is misread when copied by hand.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
_CODE_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})

# OWASP's Argon2id minimum (19 MiB, 2 passes): slow for a guesser, quick enough for a phone user.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def wordlist() -> tuple[str, ...]:
    text = resources.files("amparo.intake.lib").joinpath("wordlist_es.txt").read_text(encoding="utf-8")
    words = tuple(dict.fromkeys(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")))
    return words


def passphrase_bits(words: int) -> float:
    return words * math.log2(len(wordlist()))


def generate_receipt_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_receipt_code(value: str) -> str | None:
    """The canonical form of a typed code ("k7m2 9qxp-4t0a" -> "K7M29QXP4T0A"), or None if it cannot be one."""
    cleaned = re.sub(r"[\s\-_.]", "", (value or "").upper()).translate(_CODE_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def generate_passphrase(words: int) -> str:
    choices = wordlist()
    return " ".join(secrets.choice(choices) for _ in range(words))


def normalise_passphrase(value: str) -> str:
    """Lower case, accents and ñ folded, any separators collapsed to one space."""
    decomposed = unicodedata.normalize("NFKD", (value or "").lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[^a-z0-9]+", ascii_only)).strip()


def hash_passphrase(passphrase: str) -> str:
    return _hasher.hash(normalise_passphrase(passphrase))


@cache
def _dummy_hash() -> str:
    return _hasher.hash("amparo dummy passphrase")


def verify_passphrase(stored_hash: str | None, passphrase: str) -> bool:
    """Check a passphrase; with no stored hash, spend the same time and say no (no timing oracle)."""
    candidate = normalise_passphrase(passphrase)
    try:
        if not stored_hash:
            _hasher.verify(_dummy_hash(), candidate + " x")
            return False
        return _hasher.verify(stored_hash, candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def lockout_seconds(failures: int, *, free: int, first_delay: int, ceiling: int) -> int:
    """How long to refuse tries after `failures` wrong passphrases in a row: doubling after the free ones."""
    if failures < free:
        return 0
    return min(ceiling, first_delay * 2 ** (failures - free))
