"""Refusals that services raise and both the pages and the API answer the same way."""

from __future__ import annotations


class Conflict(Exception):
    """The action does not fit the record's current state: 409 in the API, the refusal page on pages."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message
