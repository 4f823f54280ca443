"""What the service processes share: their NATS request/reply broker, and running until told
to stop."""

from __future__ import annotations

import asyncio
import signal
from typing import Protocol

from faststream.nats import NatsBroker, NatsRouter


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def run_until_signalled(service: Service) -> None:
    """Start `service`, run until SIGTERM or Ctrl-C, then stop it cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await service.start()
    try:
        await stop.wait()
    finally:
        await service.stop()


async def start_broker(nats_url: str, router: NatsRouter) -> NatsBroker:
    """A faststream broker answering `router`'s subjects; it reconnects for as long as it runs."""
    broker = NatsBroker(nats_url, max_reconnect_attempts=-1, logger=None)
    broker.include_router(router)
    await broker.start()
    return broker
