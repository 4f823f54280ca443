"""The intake's composition root: the one place that builds its objects from settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from domain.clock import Clock, SystemClock
from services.common.aggregator_client import AggregatorClient
from services.common.aio import stop_tasks
from services.common.notifier_client import NotifierClient
from services.common.runner import drain, stop_broker
from services.common.settings import Settings
from services.common.store import Store, open_store
from services.common.streams import declare_streams
from services.intake.audit.chain import Sealer
from services.intake.cases import CaseService
from services.intake.directory import Directory
from services.intake.relay import Relay, RelayLock
from services.intake.rpc import start_rpc
from services.intake.service import IntakeService
from services.intake.tokens import TokenService, load_or_create_secret

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    store: Store
    directory: Directory
    service: IntakeService
    cases: CaseService
    nc: NATS | None = None
    js: JetStreamContext | None = None
    relay: Relay | None = None
    sealer: Sealer | None = None
    notifier: NotifierClient | None = None
    aggregator: AggregatorClient | None = None
    broker: Any = None
    relay_lock: RelayLock | None = None
    # Why there is no audit sealer (persistence other than SQLite: docs/audit.md), once started.
    audit_unavailable: str | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        # First: a second intake on the same store refuses to start (RelayBusy).
        self.relay_lock = RelayLock.for_home(self.settings.home)
        try:
            self.relay_lock.acquire()
        except Exception as err:
            log.error("intake_refused", reason=str(err))
            raise
        self.nc = await nats.connect(
            self.settings.nats_url, name="tinhhinh-intake",
            max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        )
        self.js = self.nc.jetstream()
        self.notifier = NotifierClient(self.nc)
        self.aggregator = AggregatorClient(self.nc)
        await declare_streams(self.js)
        await asyncio.to_thread(self.directory.refresh)
        self.relay = Relay(self.store, self.directory, self.js)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="relay"))
        try:
            self.sealer = Sealer.for_store(self.store)
        except (NotImplementedError, ValueError) as err:  # not SQLite: docs/audit.md
            self.audit_unavailable = str(err)
            log.warning("audit_sealer_unavailable", reason=self.audit_unavailable)
        else:
            self._tasks.append(asyncio.create_task(self.sealer.run(), name="audit-sealer"))
        self.broker = await start_rpc(self.settings.nats_url, self.service, self.publish)
        log.info("intake_started", nats_url=self.settings.nats_url, home=str(self.settings.home))

    def wake_relay(self) -> None:
        """New events are stored: publish them now, not at the relay's next poll (nothing
        before the relay has started; it reads from where it left off)."""
        if self.relay is not None:
            self.relay.wake()

    async def publish(self, position: int) -> bool:
        """Publish what was just stored, up to `position`, and wait (bounded) until it is on
        the stream; False if it is not by then (the relay still publishes it later)."""
        if self.relay is None:
            return True
        self.relay.wake()
        return await self.relay.wait_published(position, self.settings.publish_wait_seconds)

    async def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.sealer is not None:
            self.sealer.stop()
        await stop_tasks(self._tasks)
        self._tasks.clear()
        if self.relay is not None:
            await self.relay.join()  # no read of the store may outlive it
        await stop_broker(self.broker)
        await drain(self.nc)
        await _threads_done()  # a request still running in a worker thread uses the store
        self.store.close()
        if self.relay_lock is not None:
            self.relay_lock.release()

    def health(self) -> dict[str, Any]:
        nats_ok = self.nc is not None and self.nc.is_connected
        relay_ok = self.relay is not None and self.relay.ready.is_set()
        store = "storage_full" if self.store.storage.is_full() else "ok"
        failing = [name for name, ok in (("nats", nats_ok), ("relay", relay_ok),
                                         ("event_store", store == "ok")) if not ok]
        return {
            "status": "ok" if not failing else "starting" if store == "ok" else "failing",
            "failing": failing,
            "nats": nats_ok,
            "event_store": store,
            "relay": relay_ok,
            "relay_position": 0 if self.relay is None else self.relay.position,
            "store_position": self.store.last_position(),
            "audit_sealed_position": 0 if self.sealer is None else self.sealer.position,
            **self._audit_health(),
        }

    def _audit_health(self) -> dict[str, str]:
        # Reported, not fatal: the reports flow without the seal (docs/audit.md, "Limits").
        if self.audit_unavailable is not None:
            return {"audit_sealer": "unavailable", "audit_sealer_reason": self.audit_unavailable}
        return {"audit_sealer": "starting" if self.sealer is None else "running"}


async def _threads_done(within: float = 10.0) -> None:
    """Wait (bounded) until no call sent to a worker thread by `run_in_threadpool` (the API,
    the web pages and the NATS handlers) is still running."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    for _ in range(int(within / 0.02)):  # the threads signal nothing: look again and again
        if not limiter.borrowed_tokens:
            return
        await asyncio.sleep(0.02)
    if limiter.borrowed_tokens:
        log.warning("worker_threads_still_busy", count=limiter.borrowed_tokens)


def bootstrap(
    settings: Settings, clock: Clock | None = None, store: Store | None = None
) -> Runtime:
    clock = clock or SystemClock()
    store = store or open_store(settings.home)
    directory = Directory(store)
    tokens = TokenService(load_or_create_secret(settings.home), settings.token_ttl_seconds, clock)
    cases = CaseService(store, directory, clock)
    service = IntakeService(store, directory, tokens, clock, cases)
    return Runtime(settings=settings, clock=clock, store=store, directory=directory,
                   service=service, cases=cases)
