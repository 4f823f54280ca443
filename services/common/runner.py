"""What the service processes share: their NATS request/reply broker, and running until told
to stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping
from typing import Any, Protocol

import nats.errors
import structlog
from faststream.nats import NatsBroker, NatsRouter
from nats.aio.client import Client as NATS

log = structlog.get_logger("tinhhinh.runner")


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


async def start_broker(nats_url: str, router: NatsRouter,
                       auth: Mapping[str, Any] | None = None) -> NatsBroker:
    """A faststream broker answering `router`'s subjects; it reconnects for as long as it runs.
    `auth`: the service's NATS user (services/common/nats_auth.py, broker_options)."""
    broker = NatsBroker(nats_url, max_reconnect_attempts=-1, logger=None, **(auth or {}))
    broker.include_router(router)
    await broker.start()
    return broker


async def stop_broker(broker: NatsBroker | None) -> None:
    """Stop `broker`, draining its connection; see `drain`."""
    if broker is None:
        return
    try:
        await broker.stop()
    except nats.errors.Error as err:
        log.warning("nats_drain_failed", connection="rpc", error=type(err).__name__)
        await close(broker.connection)


async def drain(nc: NATS | None) -> None:
    """Drain `nc` (let its subscriptions finish and flush what it published), then close it.
    A server that is gone or going (reconnecting, or lost mid-drain) cannot be drained: the
    connection is closed instead, so that the caller's shutdown goes on and closes its
    store. Nothing is lost by it: what was published unacknowledged is published again."""
    if nc is None or nc.is_closed:
        return
    try:
        await nc.drain()
    except nats.errors.Error as err:
        log.warning("nats_drain_failed", connection="client", error=type(err).__name__)
        await close(nc)


async def close(nc: NATS, within: float = 5.0) -> None:
    """`nc.close()` on a connection that is reconnecting, made to hold. nats-py (2.16) on
    Python 3.11 gets two things wrong there:

    - close() may end in ConnectionResetError, when it still holds commands for the lost
      connection: there is nothing left to flush them to;
    - the reconnect loop may outlive close() (seen in tests/integration/test_shutdown.py:
      a closed client connected again once the server was back, a socket nobody closes).
      Its error handler sets the status back from CLOSED to RECONNECTING, and a
      cancellation that lands as a connect attempt fails can be lost (asyncio.wait_for,
      3.11). Closed therefore means: status CLOSED and that loop ended; the loop is
      cancelled and the connection closed until both hold (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if not nc.is_closed:
            try:
                await nc.close()
            except OSError as err:
                log.warning("nats_close_failed", error=type(err).__name__)
        reconnecting = getattr(nc, "_reconnection_task", None)  # nats-py's own, if any
        if nc.is_closed and (reconnecting is None or reconnecting.done()):
            return
        if loop.time() >= deadline:
            log.warning("nats_close_incomplete", closed=nc.is_closed)
            return
        if reconnecting is not None and not reconnecting.done():
            reconnecting.cancel()
        await asyncio.sleep(0.05)


async def wait_until_answering(nc: NATS, subject: str, within: float, attempt: float) -> None:
    """Return once a request to `subject` is answered. The broker's subscriptions travel on
    its own connection, and until the server has them a request gets "no responders":
    started means answering. Raises the last error after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            await nc.request(subject, b"{}", timeout=attempt)
            return
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(0.05)
