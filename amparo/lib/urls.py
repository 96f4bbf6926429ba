"""Absolute links to Amparo for things read away from the request that made them: printed posters
and QR codes, e-mails, push messages, feeds, invitation links, phone settings.

They always start from settings.SITE_URL (AMPARO_SITE_URL), never from the request's Host header:
behind a proxy that header can say 127.0.0.1, and on a poster a wrong link cannot be fixed.
"""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """SITE_URL joined to a path from reverse() (it must start with "/")."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"absolute_url needs a path that starts with one '/', got {path!r}")
    return f"{settings.SITE_URL.rstrip('/')}{path}"
