"""The aggregator's composition root: the one place that builds its objects from settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import nats
import structlog
from nats.aio.client import Client as NATS

from domain.clock import Clock, SystemClock
from services.aggregator.consumer import Acker, Consumer, ConsumerSettings, ack
from services.aggregator.projection import Projector
from services.aggregator.rpc import start_rpc
from services.aggregator.schema import connect, path_in
from services.aggregator.service import RollupService
from services.common import contracts, nats_auth
from services.common.aio import stop_tasks
from services.common.runner import drain, stop_broker, wait_until_answering
from services.common.settings import Settings
from services.common.streams import declare_streams

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """The running aggregator: read model, projection, consumer and RPC, started and stopped."""

    settings: Settings
    clock: Clock
    path: Path
    consumer_settings: ConsumerSettings
    acker: Acker = ack
    db: aiosqlite.Connection | None = None
    reader: aiosqlite.Connection | None = None
    projector: Projector | None = None
    consumer: Consumer | None = None
    nc: NATS | None = None
    broker: Any = None
    _service: RollupService | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        try:
            self.db = await connect(self.path)
            self.projector = Projector(self.db)
            await self.projector.load()
            self.reader = await connect(self.path, readonly=True)
            projector = self.projector
            self._service = RollupService(self.reader, lambda: projector.network, self.clock)
            home = self.settings.home
            self.nc = await nats.connect(self.settings.nats_url, name="tinhhinh-aggregator",
                                         max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                         **nats_auth.connect_options(home, nats_auth.AGGREGATOR))
            await declare_streams(self.nc.jetstream(), update=False)
            self.consumer = Consumer(self.nc, self.projector, self.consumer_settings, self.acker,
                                     self.clock)
            self._tasks.append(asyncio.create_task(self.consumer.run(), name="aggregator"))
            self.broker = await start_rpc(self.settings.nats_url, self.service, self.health,
                                          nats_auth.broker_options(home, nats_auth.AGGREGATOR))
            await wait_until_answering(self.nc, contracts.AGGREGATOR_HEALTH.subject, within=5.0,
                                       attempt=0.5)
        except BaseException:
            await self.stop()
            raise
        log.info("aggregator_started", nats_url=self.settings.nats_url, path=str(self.path),
                 position=self.projector.position)

    def service(self) -> RollupService:
        if self._service is None:
            raise RuntimeError("the aggregator is not running")
        return self._service

    async def wait_applied(self, seq: int, within: float = 10.0) -> bool:
        return self.consumer is not None and await self.consumer.wait_applied(seq, within)

    async def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
        await stop_tasks(self._tasks)
        self._tasks.clear()
        await stop_broker(self.broker)
        self.broker = None
        await drain(self.nc)
        for db in (self.reader, self.db):
            if db is not None:
                await db.close()
        self.reader = self.db = None

    def health(self) -> dict[str, Any]:
        nats_ok = self.nc is not None and self.nc.is_connected
        consumer_ok = self.consumer is not None and self.consumer.ready.is_set()
        position = 0 if self.projector is None else self.projector.position
        stream_last = 0 if self.consumer is None else self.consumer.stream_last
        reason = None if self.consumer is None else self.consumer.health.stuck_reason()
        return {
            "status": "stuck" if reason else "ok" if nats_ok and consumer_ok else "starting",
            "reason": reason,
            "nats": nats_ok,
            "consumer": consumer_ok,
            "position": position,
            "lag": max(0, stream_last - position),
            "dead_letters": 0 if self.projector is None else self.projector.dead_letters,
            **({} if self.consumer is None else self.consumer.health.report()),
        }


def bootstrap(settings: Settings, clock: Clock | None = None, *,
              consumer: ConsumerSettings | None = None, acker: Acker = ack) -> Runtime:
    return Runtime(settings=settings, clock=clock or SystemClock(),
                   path=path_in(settings.home), consumer_settings=consumer or ConsumerSettings(),
                   acker=acker)
