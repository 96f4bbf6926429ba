"""Canonical forms of phone numbers and vehicle plates, so a blind index matches however typed."""

from __future__ import annotations

import re


def phone(value: str) -> str:
    """Digits only; Peru's +51 / 0051 prefix dropped so '+51 987 654 321' == '987654321'."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("0051"):
        digits = digits[4:]
    elif digits.startswith("51") and len(digits) == 11:
        digits = digits[2:]
    if not 6 <= len(digits) <= 15:
        raise ValueError("not a phone number")
    return digits


def plate(value: str) -> str:
    """Letters and digits only, upper case: 'abc-123' == 'ABC 123'. Letter O and digit 0 are kept apart."""
    cleaned = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    if not 5 <= len(cleaned) <= 8:
        raise ValueError("not a plate")
    return cleaned
