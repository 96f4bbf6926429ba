"""Real local receivers for the delivery tests: an HTTP server, a Web Push service, an SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt

from amparo.alerts.channels.webpush import b64url_encode


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Answers POSTs with the statuses queued in ``statuses`` (then 200) and records every request."""

    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    def __enter__(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 201
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


class Browser:
    """The subscriber's side of Web Push: its own key pair and auth secret, as a browser makes."""

    def __init__(self) -> None:
        import os

        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh_b64 = b64url_encode(public)
        self.auth_b64 = b64url_encode(self.auth)

    def read(self, request: Received) -> bytes:
        """What the push service does (check VAPID) and then what the browser does (decrypt)."""
        assert request.headers["content-encoding"] == "aes128gcm"
        vapid_claims(request.headers["authorization"])
        return http_ece.decrypt(request.body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")


def vapid_claims(header: str, *, now: float | None = None) -> dict:
    """What a push service checks (py_vapid's JWT decoder): the ES256 signature by the key in `k`,
    and an expiry no more than 24 hours ahead. Raises InvalidSignature or ValueError."""
    import time

    scheme, _, params = header.partition(" ")
    if scheme != "vapid":
        raise ValueError("not a vapid authorization")
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    claims = jwt.decode(parts["t"], parts["k"])
    now = time.time() if now is None else now
    if not (now < claims["exp"] <= now + 24 * 3600):
        raise ValueError("expired or too far in the future")
    return claims


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        import socket

        # aiosmtpd 1.4 cannot start on port 0; borrow a free port from the kernel.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class Queue:
    """huey with its real SQLite storage; ``run`` drives huey's own Worker loop until it is empty."""

    def __init__(self, huey) -> None:  # type: ignore[no-untyped-def]
        from huey.consumer import Worker

        self.huey = huey
        self.worker = Worker(huey, threading.Event(), default_delay=0.01, max_delay=0.01, backoff=1)
        self.executed = 0

    def pending(self) -> int:
        """The alerts suite's waiting tasks (other apps, such as statistics refreshes, queue their own)."""
        return sum(1 for task in self.huey.pending() if type(task).__module__.startswith("amparo.alerts"))

    def run(self, *, limit: int = 10_000, now=None) -> int:  # type: ignore[no-untyped-def]
        done = 0
        while self.huey.pending_count() and done < limit:
            self.worker.loop(now)
            done += 1
        self.executed += done
        return done

    def run_scheduled(self, *, now) -> int:  # type: ignore[no-untyped-def]
        """Move tasks whose retry time has come (by ``now``) back to the queue, then run them."""
        for task in self.huey.read_schedule(now):
            self.huey.enqueue(task)
        return self.run(now=now)


@contextmanager
def real_queue(path, *, name: str) -> Iterator[Queue]:  # type: ignore[no-untyped-def]
    """Django's huey on a real SQLite queue in ``path`` for the duration (tests and journeys share it)."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    saved_storage, saved_immediate = HUEY.storage, HUEY.immediate
    HUEY.immediate = False
    HUEY.storage = SqliteStorage(name=name, filename=str(path / "huey.sqlite3"))
    try:
        yield Queue(HUEY)
    finally:
        HUEY.storage.close()
        HUEY.storage = saved_storage
        HUEY.immediate = saved_immediate


@contextmanager
def smtp_receiver(settings, *, from_email: str) -> Iterator[SmtpSink]:  # type: ignore[no-untyped-def]
    """A real SMTP server on loopback, with Django's SMTP backend pointed at it."""
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = from_email
        yield sink
