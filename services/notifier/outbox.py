"""One channel's outbox, sent in order; a failing channel is retried with exponential backoff.

A delivery is marked sent only after the channel took it, so a crash in between
sends it again with the same id — receivers drop the repeat by that id
(Message-ID, X-Tinhhinh-Delivery, Nats-Msg-Id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog

from domain.clock import Clock
from services.common.aio import wait_event
from services.notifier.channel import Rejected, Sender
from services.notifier.service import NotifierService

log = structlog.get_logger(__name__)

T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]


class Dispatcher:
    def __init__(self, channel: str, sender: Sender, service: NotifierService, call: Call,
                 clock: Clock, base_delay: float = 1.0, max_delay: float = 60.0,
                 poll: float = 0.2) -> None:
        self.channel = channel
        self.sender = sender
        self.service = service
        self.call = call
        self.clock = clock
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.poll = poll
        self.failures = 0
        self.retry_at: datetime | None = None
        self.sent = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must outlive any one bad delivery
                log.exception("outbox_failed", channel=self.channel, error=repr(exc))
            self._wake.clear()
            await wait_event(self._wake, self.poll)

    async def flush(self) -> int:
        """Send what is due now; stop at the first failure and wait out the backoff."""
        if self.retry_at is not None and self.clock.now() < self.retry_at:
            return 0
        sent = 0
        for delivery in await self.call(self.service.outbox, self.channel):
            try:
                await self.sender.send(delivery)
            except Rejected as exc:
                log.warning("delivery_rejected", channel=self.channel,
                            delivery_id=str(delivery.id), reason=str(exc))
                await self.call(self.service.reject, delivery.id, str(exc))
                continue
            except Exception as exc:
                self._back_off(exc)
                return sent
            self.failures, self.retry_at = 0, None
            await self.call(self.service.sent, delivery.id)
            sent += 1
            self.sent += 1
        return sent

    def _back_off(self, exc: Exception) -> None:
        self.failures += 1
        delay = min(self.max_delay, self.base_delay * 2 ** (self.failures - 1))
        self.retry_at = self.clock.now() + timedelta(seconds=delay)
        log.warning("channel_unavailable", channel=self.channel, error=repr(exc),
                    failures=self.failures, retry_in_s=delay)
