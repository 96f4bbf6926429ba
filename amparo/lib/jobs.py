"""What every background job needs around it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import close_old_connections, connection

F = TypeVar("F", bound=Callable[..., Any])


def fresh_connections(fn: F) -> F:
    """Like djhuey's db_task: a long-lived worker drops stale connections around each job.

    Unlike it, a connection inside an open transaction is left alone: that belongs to a caller
    (a test, or a job run inline) that owns the transaction, and closing it would lose its work.
    """

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        outside = not connection.in_atomic_block
        if outside:
            close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            if outside:
                close_old_connections()

    return inner  # type: ignore[return-value]
