"""Logging filters that keep anything about anonymous routes out of the logs."""

from __future__ import annotations

import logging


class SkipAnonymousRoutes(logging.Filter):
    """Drop log records produced while serving an anonymous route (access lines, errors)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from amparo.web.middleware import is_anonymous_route

        request = getattr(record, "request", None)
        path = getattr(request, "path_info", None) or getattr(request, "path", None)
        if isinstance(path, str) and is_anonymous_route(path):
            return False
        # django.server access lines carry the request line in args: "GET /r/x/ HTTP/1.1"
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in args[:1]:
            if isinstance(arg, str):
                parts = arg.split(" ")
                if len(parts) >= 2 and is_anonymous_route(parts[1]):
                    return False
        return True
