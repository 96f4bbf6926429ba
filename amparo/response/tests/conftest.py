"""Fixtures of the Response tests: a real SMTP server on loopback."""

from __future__ import annotations

import socket
from email import message_from_bytes

import pytest


class _Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    controller.messages = sink.messages  # type: ignore[attr-defined]
    yield controller
    controller.stop()
