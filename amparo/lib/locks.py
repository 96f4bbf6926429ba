"""One lock on this server for maintenance that must not overlap (a backup and a data-key rotation).

An advisory file lock: the kernel drops it when its holder dies, even by kill -9.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings


@contextmanager
def maintenance_lock() -> Iterator[None]:
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.DATA_DIR / "maintenance.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
