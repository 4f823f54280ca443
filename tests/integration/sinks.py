"""A real SMTP server for the notifier's tests (the `smtp` fixture is in conftest.py)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class SmtpSink:
    """An aiosmtpd server on a free port that keeps every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        # Until start(), a bound socket that does not listen holds the port: connections are
        # refused, as by a mail server that is down, and no other process can take it.
        self._holder: socket.socket | None = None
        if port is None:
            self._holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._holder.bind(("127.0.0.1", 0))
            port = int(self._holder.getsockname()[1])
        self.port = port
        self.messages: list[EmailMessage] = []
        self.on_data: Callable[[], None] | None = None
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_data is not None:
            self.on_data()
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def start(self) -> None:
        self._release()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _release(self) -> None:
        if self._holder is not None:
            self._holder.close()
            self._holder = None

    def to(self, username: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == f"{username}@example.org"]

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]
