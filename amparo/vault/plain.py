"""Declaring the text columns that may stay in the clear (every other one is sealed)."""

from __future__ import annotations

import enum


class Plain(enum.StrEnum):
    """Why a text column of a model may stay in the clear. Every other text column is sealed.

    A model declares its plain text columns with a reason, as a class attribute:

        plain_text = {"reference": (Plain.CODED, "made by Amparo: LIM-2026-0001")}

    `amparo/vault/tests/test_sealed_unless_declared.py` walks every model and fails on a text
    column (CharField, TextField, JSONField) that is neither sealed, nor a closed set of choices,
    nor declared here.
    """

    CODED = "coded"  # a code from a closed set, or a value Amparo makes (references, types, versions)
    PSEUDONYM = "pseudonym"  # a name chosen so that it does not identify (code names, phone labels)
    DIGEST = "digest"  # a hash, HMAC blind index, salt or token digest: meaningless by itself
    PUBLIC = "public"  # public on purpose (directory of institutions, places, vocabularies, posters)
    ACCOUNT = "account"  # a staff account's sign-in data (not the organisation's records)
    SYSTEM = "system"  # written by Amparo's code for its own running (delivery errors, locks, keys)
