"""Following the event stream: a replay that rebuilds state, then the durable consumer.

On start the notifier reads the whole stream once to rebuild its network view
and its ledger of received reports (no alerts are raised from that read). The
durable consumer "notifier" then takes every message after its ack floor; a
message is acknowledged only after the notifier's own commit, and handling one
twice changes nothing, so a crash anywhere costs at most a redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.clock import Clock, SystemClock
from services.common import wire
from services.common.consumer_health import ConsumerHealth
from services.common.streams import EVENTS_STREAM, EVENTS_SUBJECTS
from services.notifier.service import NotifierService

log = structlog.get_logger(__name__)

DURABLE = "notifier"
_REPLAY_BATCH = 2000

Call = Callable[..., Awaitable[Any]]


class EventConsumer:
    def __init__(self, js: JetStreamContext, service: NotifierService, call: Call,
                 on_queued: Callable[[], None], batch: int = 256,
                 ack_wait: float = 30.0, clock: Clock | None = None) -> None:
        self.js = js
        self.service = service
        self.call = call
        self.on_queued = on_queued
        self.batch = batch
        self.ack_wait = ack_wait
        self.replayed = 0
        self.position = 0
        # Messages the server holds for this consumer beyond the last one fetched.
        self.pending = 0
        self.health = ConsumerHealth(clock or SystemClock())
        # The stream sequence of a message that failed and waits for its redelivery.
        self._held: int | None = None
        self.caught_up = asyncio.Event()
        self._sub: JetStreamContext.PullSubscription | None = None

    async def start(self) -> None:
        """Replay what the stream holds, then bind the durable consumer right after it."""
        self.replayed = await self._replay()
        self.position = self.replayed
        config = ConsumerConfig(
            durable_name=DURABLE,
            ack_policy=AckPolicy.EXPLICIT,
            # Only used when the consumer is first created: a new notifier does not
            # alert on hot spots reported before it existed.
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.replayed + 1,
            ack_wait=self.ack_wait,
            max_ack_pending=4096,
        )
        self._sub = await self.js.pull_subscribe(EVENTS_SUBJECTS[0], durable=DURABLE,
                                                 stream=EVENTS_STREAM, config=config)
        info = await self._sub.consumer_info()
        if not info.num_pending and not info.num_ack_pending:
            self.caught_up.set()
        log.info("consumer_started", replayed=self.replayed, pending=info.num_pending)

    async def close(self) -> None:
        """Leave the durable consumer (it stays on the server, where it keeps its place)."""
        if self._sub is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
            self._sub = None

    async def _replay(self) -> int:
        info = await self.js.stream_info(EVENTS_STREAM)
        last = info.state.last_seq or 0
        if not last:
            return 0
        sub = await self.js.subscribe(EVENTS_SUBJECTS[0], ordered_consumer=True)
        seq, pending = 0, []
        try:
            while seq < last:
                msg = await sub.next_msg(timeout=10)
                seq = msg.metadata.sequence.stream
                envelope = _decode(msg)
                if envelope is not None:
                    pending.append(envelope)
                if len(pending) >= _REPLAY_BATCH:
                    await self.call(self.service.remember, pending)
                    pending = []
            if pending:
                await self.call(self.service.remember, pending)
        finally:
            await sub.unsubscribe()
        return seq

    async def run(self) -> None:
        assert self._sub is not None, "start() first"
        pending = 0
        while True:
            # Idle, ask for one message: a pull for many is answered only when it is
            # full or expires, which would hold a lone urgent report for the whole wait.
            # With a backlog, ask for as many as are known to be waiting.
            want = min(self.batch, pending) or 1
            try:
                msgs = await self._sub.fetch(want, timeout=5.0 if want == 1 else 1.0)
            except TimeoutError:  # nats.errors.TimeoutError is one too
                self.caught_up.set()
                pending = self.pending = 0
                if self._held is None:
                    self.health.advanced()  # idle, nothing failing
                continue
            except nats.errors.Error as exc:
                # Disconnected: the client reconnects by itself; ask again shortly.
                log.warning("consumer_fetch_failed", error=repr(exc))
                self.health.failed(exc)
                await asyncio.sleep(0.5)
                continue
            for msg in msgs:
                await self._handle(msg)
            pending = self.pending = msgs[-1].metadata.num_pending if msgs else 0
            if not pending:
                self.caught_up.set()

    async def _handle(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        try:
            envelope = wire.decode(msg.data)
        except wire.EnvelopeRejected as exc:
            await self._dead_letter(msg, seq, exc.reason)
            return
        try:
            queued = await self.call(self.service.apply, envelope,
                                     remember=seq > self.replayed)
        except Exception as exc:
            # Not acknowledged: JetStream redelivers it after a pause.
            log.exception("event_failed", seq=seq, type=envelope.get("type"), error=repr(exc))
            self._failed(seq, exc)
            await msg.nak(delay=1.0)
            return
        await msg.ack()
        self._applied(seq)
        if queued:
            self.on_queued()


    async def _dead_letter(self, msg: Msg, seq: int, reason: str) -> None:
        """Keep the envelope as a dead letter, then acknowledge it: it never comes back."""
        log.error("envelope_dead_lettered", seq=seq, subject=msg.subject, reason=reason)
        try:
            await self.call(self.service.dead_letter, seq, msg.subject, reason, msg.data)
        except Exception as exc:
            # Not kept, so not acknowledged: it is redelivered and kept on a later try.
            log.exception("dead_letter_failed", seq=seq, error=repr(exc))
            self._failed(seq, exc)
            await msg.nak(delay=1.0)
            return
        await msg.ack()
        self._applied(seq)

    def _failed(self, seq: int, exc: Exception) -> None:
        self._held = seq
        self.health.failed(exc)

    def _applied(self, seq: int) -> None:
        self.position = seq
        if self._held is None or self._held == seq:
            self._held = None
            self.health.advanced()


def _decode(msg: Msg) -> dict[str, Any] | None:
    """For the replay: what the strict decoder refuses is the durable consumer's dead letter."""
    try:
        return wire.decode(msg.data)
    except wire.EnvelopeRejected as exc:
        log.debug("envelope_skipped", seq=msg.metadata.sequence.stream, reason=exc.reason)
        return None
