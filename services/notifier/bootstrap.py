"""The notifier's composition root: the one place that builds its objects from settings."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from domain.clock import Clock, SystemClock
from domain.delivery import EMAIL, WEBHOOK
from domain.delivery import NATS as NATS_CHANNEL
from services.common import contracts, nats_auth
from services.common.aio import stop_tasks, wait_event
from services.common.runner import drain, stop_broker, wait_until_answering
from services.common.streams import declare_streams
from services.notifier.book import AlertBook
from services.notifier.channel import Sender
from services.notifier.consumer import EventConsumer
from services.notifier.mailer import SmtpSender
from services.notifier.outbox import Dispatcher
from services.notifier.publisher import NatsPublisher
from services.notifier.rpc import start_rpc
from services.notifier.service import NotifierService
from services.notifier.settings import NotifierSettings
from services.notifier.store import AlertStore, open_alert_store
from services.notifier.webhook import WebhookSender

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass
class Runtime:
    settings: NotifierSettings
    clock: Clock
    store: AlertStore
    service: NotifierService
    senders: dict[str, Sender]
    http: httpx.AsyncClient | None = None
    nc: NatsClient | None = None
    js: JetStreamContext | None = None
    consumer: EventConsumer | None = None
    broker: Any = None
    dispatchers: dict[str, Dispatcher] = field(default_factory=dict)
    # One worker: the service is confined to it, so its state never changes under a reader.
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="notifier"))
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _tick: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service method on the service's own thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def start(self) -> None:
        await self.call(self.service.book.load)
        home = self.settings.home
        self.nc = await nats.connect(self.settings.nats_url, name="tinhhinh-notifier",
                                     max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                     **nats_auth.connect_options(home, nats_auth.NOTIFIER))
        self.js = self.nc.jetstream()
        await declare_streams(self.js, update=False)
        if self.settings.channels.nats and NATS_CHANNEL not in self.senders:
            self.senders[NATS_CHANNEL] = NatsPublisher(self.js)
        s = self.settings
        for channel, sender in self.senders.items():
            self.dispatchers[channel] = Dispatcher(channel, sender, self.service, self.call,
                                                   self.clock, s.retry_base_seconds,
                                                   s.retry_max_seconds)
        self.consumer = EventConsumer(self.js, self.service, self.call, self.wake_outbox,
                                      ack_wait=s.ack_wait_seconds, clock=self.clock)
        await self.consumer.start()
        # Only now: a sweep before the replay would flag reports it had not yet read.
        await self.sweep()
        self._spawn(self.consumer.run(), "consumer")
        self._spawn(self._schedule(), "scheduler")
        for channel, dispatcher in self.dispatchers.items():
            self._spawn(dispatcher.run(), f"outbox-{channel}")
        self.broker = await start_rpc(s.nats_url, self.service, self.call, self.health,
                                      nats_auth.broker_options(home, nats_auth.NOTIFIER))
        await wait_until_answering(self.nc, contracts.NOTIFIER_HEALTH.subject, within=10.0,
                                   attempt=1.0)
        self.started = True
        log.info("notifier_started", nats_url=s.nats_url, home=str(s.home),
                 channels=sorted(self.senders), kinds=list(s.kinds))

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        self._tasks.clear()
        if self.consumer is not None:
            # A pull request left pending by the cancelled fetch would stall the drain.
            await self.consumer.close()
        await stop_broker(self.broker)
        if self.http is not None:
            await self.http.aclose()
        await drain(self.nc)
        self.executor.shutdown(wait=True)
        self.store.close()

    async def sweep(self) -> int:
        """Ask the clock what is due now; tests call it after moving a FixedClock."""
        queued = await self.call(self.service.sweep)
        if queued:
            self.wake_outbox()
        return queued

    def tick(self) -> None:
        """Wake the scheduler loop early."""
        self._tick.set()

    def wake_outbox(self) -> None:
        for dispatcher in self.dispatchers.values():
            dispatcher.wake()

    async def _schedule(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bad sweep must not stop the next one
                log.exception("sweep_failed", error=repr(exc))
            self._tick.clear()
            await wait_event(self._tick, self.settings.tick_seconds)

    def health(self) -> dict[str, Any]:
        nats_ok = self.nc is not None and self.nc.is_connected
        consumer = self.consumer
        ready = self.started and nats_ok and consumer is not None and consumer.caught_up.is_set()
        reason = None if consumer is None else consumer.health.stuck_reason()
        return {
            "status": "stuck" if reason else "ok" if ready else "starting",
            "reason": reason,
            "nats": nats_ok,
            "consumer_position": 0 if consumer is None else consumer.position,
            "lag": 0 if consumer is None else consumer.pending,
            "dead_letters": len(self.service.book.dead_letters),
            **({} if consumer is None else consumer.health.report()),
            "outbox": {c: {"failures": d.failures, "sent": d.sent}
                       for c, d in self.dispatchers.items()},
        }


def bootstrap(settings: NotifierSettings, clock: Clock | None = None,
              store: AlertStore | None = None,
              senders: dict[str, Sender] | None = None) -> Runtime:
    """Build the notifier; tests pass their own clock, store or senders."""
    clock = clock or SystemClock()
    store = store or open_alert_store(settings.home)
    service = NotifierService(AlertBook(store), clock, settings.channels, settings.kinds)
    http: httpx.AsyncClient | None = None
    if senders is None:
        senders = {}
        channels = settings.channels
        if channels.smtp_host is not None:
            senders[EMAIL] = SmtpSender(channels)
        if channels.webhook_url is not None and channels.webhook_secret:
            http = httpx.AsyncClient(timeout=10.0)
            senders[WEBHOOK] = WebhookSender(channels.webhook_url, channels.webhook_secret, http)
    return Runtime(settings=settings, clock=clock, store=store, service=service,
                   senders=senders, http=http)
