"""The durable JetStream pull consumer that feeds the projection: commit, then acknowledge."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from domain.clock import Clock, SystemClock
from services.aggregator.projection import Projector
from services.aggregator.pull import Puller
from services.common.aio import wait_condition
from services.common.consumer_health import ConsumerHealth
from services.common.streams import EVENTS_STREAM, EVENTS_SUBJECTS

log = structlog.get_logger(__name__)

DURABLE = "aggregator"
Acker = Callable[[Msg], Awaitable[None]]


async def ack(msg: Msg) -> None:
    """The default acker; tests pass one that loses acks or dies before sending them."""
    await msg.ack()


@dataclass(frozen=True)
class ConsumerSettings:
    """How the durable consumer is configured and pulled; tests shorten `ack_wait`."""

    durable: str = DURABLE
    batch: int = 2000
    ack_wait: float = 30.0
    fetch_timeout: float = 1.0
    # Unacknowledged messages the server hands out at once: a batch being applied and the next.
    max_ack_pending: int = 20_000


def sequence(msg: Msg) -> int:
    """The stream sequence of a JetStream message."""
    return _sequences(msg)[0]


def _sequences(msg: Msg) -> tuple[int, int]:
    # (stream, consumer) sequences. The v1 ack subject has 9 tokens:
    # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>;
    # anything else goes through nats-py's full parser.
    tokens = (msg.reply or "").split(".")
    if len(tokens) == 9 and tokens[0] == "$JS" and tokens[1] == "ACK":
        return int(tokens[5]), int(tokens[6])
    meta = msg.metadata.sequence
    return int(meta.stream), int(meta.consumer)


class Consumer:
    """Fetches in batches; the next batch is fetched while the current one is applied.

    Acknowledgement policy is "all": acking a batch's last applied message acks every
    earlier one, so an ack never runs ahead of a commit and never skips a gap.
    """

    def __init__(self, nc: NATS, projector: Projector,
                 settings: ConsumerSettings | None = None, acker: Acker = ack,
                 clock: Clock | None = None):
        self.nc = nc
        self.js = nc.jetstream()
        self.projector = projector
        self.settings = settings or ConsumerSettings()
        self.acker = acker
        self.ready = asyncio.Event()
        self.health = ConsumerHealth(clock or SystemClock())
        self.stream_last = 0
        self._stopping = False
        self._advanced = asyncio.Condition()

    @property
    def failures(self) -> int:
        return self.health.failures

    def stop(self) -> None:
        self._stopping = True

    async def wait_applied(self, seq: int, within: float) -> bool:
        """Wait until the projection has committed stream sequence `seq`."""
        async with self._advanced:
            return await wait_condition(self._advanced,
                                        lambda: self.projector.position >= seq, within)

    async def _ensure(self, recreate: bool) -> bool:
        """Position the durable right after the stored position; True if the stream skips ahead."""
        # An existing durable is kept when it is consistent with the read model, so that
        # what it delivered and never saw acknowledged is redelivered; after a failure it
        # is recreated, so nothing waits for an ack timeout.
        s, stored = self.settings, self.projector.position
        info = await self.js.stream_info(EVENTS_STREAM)
        self.stream_last = info.state.last_seq
        if stored > info.state.last_seq:
            # The stream was replaced: whatever we counted is not in it any more.
            log.warning("read_model_ahead_of_stream", stored=stored,
                        stream_last=info.state.last_seq)
            await self.projector.reset()
            stored = 0
        with contextlib.suppress(NotFoundError):
            current = await self.js.consumer_info(EVENTS_STREAM, s.durable)
            config = current.config
            if (not recreate and current.ack_floor.stream_seq <= stored
                    and config.ack_policy == AckPolicy.ALL
                    and config.ack_wait == s.ack_wait
                    and config.max_ack_pending == s.max_ack_pending):
                return stored < info.state.first_seq - 1
            await self.js.delete_consumer(EVENTS_STREAM, s.durable)
        await self.js.add_consumer(EVENTS_STREAM, ConsumerConfig(
            durable_name=s.durable, filter_subject=EVENTS_SUBJECTS[0],
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=stored + 1,
            ack_policy=AckPolicy.ALL, ack_wait=s.ack_wait,
            max_ack_pending=s.max_ack_pending, description="tinhhinh aggregator read model"))
        log.info("consumer_positioned", durable=s.durable, start_seq=stored + 1)
        return stored < info.state.first_seq - 1

    async def run(self) -> None:
        backoff = 0.2
        recreate = False
        while not self._stopping:
            try:
                await self._consume(recreate)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.health.failed(exc)
                self.ready.clear()
                log.warning("aggregator_consume_failed", error=repr(exc), retry_in=backoff)
                # Memory may be ahead of a rolled-back transaction: start again from the file.
                with contextlib.suppress(Exception):
                    await self.projector.load()
                recreate = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _consume(self, recreate: bool) -> None:
        s = self.settings
        gap_ok = await self._ensure(recreate)
        puller = Puller(self.nc, EVENTS_STREAM, s.durable)
        await puller.start()
        fetching: asyncio.Task[list[Msg]] | None = None
        try:
            self.ready.set()
            fetching = asyncio.create_task(puller.fetch(s.batch, s.fetch_timeout))
            while not self._stopping:
                msgs = await fetching
                # The next batch arrives while this one is applied. Applying is not itself
                # overlapped with writing: on two cores the event loop and SQLite's thread
                # slowed each other more than the overlap gained (docs/aggregator.md).
                fetching = asyncio.create_task(puller.fetch(s.batch, s.fetch_timeout))
                if not msgs:
                    await self.projector.check()
                    self.health.advanced()  # nothing left to fail on
                    continue
                delivered = [Delivered.of(m) for m in msgs]
                # Known before applying: a batch that fails shows as lag.
                self.stream_last = max(self.stream_last, max(d.stream for d in delivered))
                await self.projector.apply(
                    [(d.stream, d.msg.data, d.msg.subject) for d in delivered], gap_ok=gap_ok)
                gap_ok = False
                self.health.advanced()
                async with self._advanced:
                    self._advanced.notify_all()
                self.stream_last = max(self.stream_last, self.projector.position)
                await self._acknowledge(delivered)
        finally:
            if fetching is not None:
                fetching.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetching
            await puller.stop()

    async def _acknowledge(self, delivered: list[Delivered]) -> None:
        position = self.projector.position
        last = last_to_ack(delivered, position)
        if last is not None:
            await self.acker(last)
        if any(d.stream > position for d in delivered):
            raise GapError(f"stream sequence after {position} missing from the batch")


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message with its stream sequence and its delivery (consumer) sequence."""

    msg: Msg
    stream: int
    consumer: int

    @classmethod
    def of(cls, msg: Msg) -> Delivered:
        return cls(msg, *_sequences(msg))


def last_to_ack(delivered: list[Delivered], position: int) -> Msg | None:
    """The message whose "ack all" covers only what the read model holds."""
    # "All" means every message delivered before it, by delivery order; with
    # redeliveries that is not stream order, so stop below the first one not held.
    limit = min((d.consumer for d in delivered if d.stream > position), default=None)
    held = [d for d in delivered
            if d.stream <= position and (limit is None or d.consumer < limit)]
    return max(held, key=lambda d: d.consumer).msg if held else None


class GapError(RuntimeError):
    """A message the read model needs next was not delivered: reposition the consumer."""
