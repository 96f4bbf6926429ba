"""Delivery channels: each module exposes ``send(...) -> DeliveryResult`` and knows nothing of models.

A result never carries the recipient's address, so it can be stored and shown to staff as is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    attempts: int = 1
    # permanent: retrying will not help (bad address, subscription gone, 4xx from a gateway).
    permanent: bool = False
    status_code: int | None = None
    detail: str = ""

    @classmethod
    def sent(cls, *, attempts: int = 1, status_code: int | None = None) -> DeliveryResult:
        return cls(ok=True, attempts=attempts, status_code=status_code)

    @classmethod
    def failed(
        cls,
        detail: str,
        *,
        permanent: bool = False,
        attempts: int = 1,
        status_code: int | None = None,
    ) -> DeliveryResult:
        return cls(
            ok=False,
            attempts=attempts,
            permanent=permanent,
            status_code=status_code,
            detail=detail[:200],
        )
