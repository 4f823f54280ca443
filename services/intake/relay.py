"""From store to stream, exactly once: follow the notification log, publish in order.

The stream itself remembers how far the relay got: every message carries its
store position in a header, so after a crash the relay reads the last message
and resumes after it. Messages go out in store order on one connection, so the
stream always holds a prefix of the log and nothing is skipped or repeated;
``Nats-Msg-Id`` de-duplication is a second guard within the stream's window.
"""

from __future__ import annotations

import asyncio
import fcntl
import heapq
import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from prometheus_client import Counter, Gauge

from services.common import wire
from services.common.aio import wait_event
from services.common.store import Store
from services.common.streams import EVENTS_STREAM
from services.intake.directory import Directory

log = structlog.get_logger(__name__)

PUBLISHED = Counter("tinhhinh_relay_published_total", "Events published to JetStream")
POSITION = Gauge("tinhhinh_relay_position", "Last store position known to be in the stream")
LAG = Gauge("tinhhinh_relay_lag", "Stored events not yet in the stream")

_BATCH = 512


class Relay:
    def __init__(self, store: Store, directory: Directory, js: JetStreamContext,
                 poll_interval: float = 0.25, ack_timeout: float = 10.0):
        self.store = store
        self.directory = directory
        self.js = js
        self.poll_interval = poll_interval
        # nats-py never settles a publish whose acknowledgement died with the server: a batch
        # not acknowledged by then is published again from where the stream ends.
        self.ack_timeout = ack_timeout
        self.position = 0
        self.ready = asyncio.Event()
        self._wake = asyncio.Event()
        # (position, tie-breaker, future) of the requests waiting for their event's ack.
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._tie = itertools.count()
        self._stopping = False
        # Recordings this process just committed, by position: published without reading back.
        self._offered: dict[int, Any] = {}
        # Its own thread for reading the store, so that `join` can wait for a read in flight:
        # cancelling the task does not stop the thread, and the store must not close under it.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-read")

    async def stream_position(self) -> int:
        """The store position of the last message in the stream (0 when it is empty)."""
        info = await self.js.stream_info(EVENTS_STREAM)
        last_seq = info.state.last_seq
        if not last_seq:
            return 0
        try:
            msg = await self.js.get_msg(EVENTS_STREAM, seq=last_seq)
        except NotFoundError:
            return 0
        return int((msg.headers or {}).get(wire.POSITION_HEADER, "0"))

    def wake(self) -> None:
        self._wake.set()

    def offer(self, recordings: Any) -> None:
        """Events this process has just committed; the relay publishes them from memory
        when they are next in line, and reads the store only for what it was not given."""
        for r in recordings:
            if r.notification.id > self.position:
                self._offered[r.notification.id] = r
        self._wake.set()

    def _take_offered(self) -> list[Any]:
        out: list[Any] = []
        nxt = self.position + 1
        while nxt in self._offered and len(out) < _BATCH:
            out.append(self._offered.pop(nxt))
            nxt += 1
        return out

    async def wait_published(self, position: int, within: float) -> bool:
        """Wait until the event at `position` is acknowledged by JetStream."""
        if self.position >= position:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (position, next(self._tie), waiter))
        try:
            async with asyncio.timeout(within):
                await waiter
        except TimeoutError:
            return False
        return True

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def join(self) -> None:
        """Once the task has ended: wait for a store read still running in the relay's
        thread. Only then may the store be closed."""
        await asyncio.to_thread(self._reader.shutdown, True)

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping:
            try:
                await self._resync()
                self.ready.set()
                while not self._stopping:
                    published = await self._publish_next_batch()
                    if not published:
                        self._wake.clear()
                        await wait_event(self._wake, self.poll_interval)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay_failed", error=repr(exc), retry_in=backoff)
                self.ready.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _resync(self) -> None:
        position = await self.stream_position()
        await self._advance(position)
        log.info("relay_resumed", position=position)

    async def _advance(self, position: int) -> None:
        self.position = position
        POSITION.set(position)
        # Wake only the requests whose event is now in the stream, not every waiter.
        while self._waiters and self._waiters[0][0] <= position:
            waiter = heapq.heappop(self._waiters)[2]
            if not waiter.done():
                waiter.set_result(None)

    async def _publish_next_batch(self) -> bool:
        offered = self._take_offered()
        if offered:
            batch = [r.notification for r in offered]
            events: list[Any] = [r.domain_event for r in offered]
        else:
            loop = asyncio.get_running_loop()
            batch = await loop.run_in_executor(self._reader, self.store.notifications_after,
                                               self.position, _BATCH)
            events = [None] * len(batch)
            # Area paths of new areas are in the directory only once it has read them.
            if batch and self.directory.position < batch[-1].id:
                await loop.run_in_executor(self._reader, self.directory.refresh)
        LAG.set(len(self._offered))
        if not batch:
            return False
        envelopes = [self.envelope(n, e) for n, e in zip(batch, events, strict=True)]
        futures = []
        for env in envelopes:
            futures.append(await self.js.publish_async(
                env.subject, env.encode(), headers=env.headers(),
            ))
        try:
            async with asyncio.timeout(self.ack_timeout):
                acks = await asyncio.gather(*futures)
        except TimeoutError:
            for future in futures:
                future.cancel()
            raise TimeoutError(f"JetStream acknowledged no batch within {self.ack_timeout} s; "
                               "publishing again from the stream's end") from None
        for ack in acks:
            if ack.stream != EVENTS_STREAM:
                raise RuntimeError(f"event stored in unexpected stream {ack.stream!r}")
        PUBLISHED.inc(sum(1 for ack in acks if not ack.duplicate))
        await self._advance(batch[-1].id)
        for stale in [p for p in self._offered if p <= self.position]:
            del self._offered[stale]
        log.debug("relay_published", upto=batch[-1].id, count=len(batch))
        return True

    def envelope(self, notification: Any, event: Any = None) -> wire.Envelope:
        if event is None:
            event = self.store.mapper.to_domain_event(notification)
        type_ = wire.event_type(notification.topic)
        return wire.Envelope(
            event_id=wire.event_id(notification.originator_id, notification.originator_version),
            position=notification.id,
            type=type_,
            aggregate_id=notification.originator_id,
            aggregate_version=notification.originator_version,
            recorded_at=event.timestamp,
            area_path=self._area_path(type_, event),
            data=wire.event_data(event),
        )

    def _area_path(self, type_: str, event: Any) -> list[str]:
        d = self.directory
        area_id: str | None = None
        if type_.startswith("Report") or type_ == "AssignmentStarted":
            area_id = event.area_id
        elif type_.startswith("Assignment"):
            view = d.assignment(event.originator_id)
            area_id = None if view is None else view.area_id
        elif type_ == "NetworkAreaDefined":
            area_id = event.area["id"]
        elif type_ == "NetworkAreaRetired":
            area_id = event.area_id
        elif type_ == "NetworkUnitDefined":
            area_id = next(iter(event.unit.get("area_ids", [])), None)
        elif type_ == "NetworkCadreDefined":
            unit = d.unit(event.cadre.get("unit", ""))
            area_id = None if unit is None else next(iter(unit.area_ids), None)
        elif type_.startswith("UnitReport"):
            # A unit report travels under its drafting unit's first area.
            unit = d.unit(event.unit_id)
            area_id = None if unit is None else next(iter(unit.area_ids), None)
        elif type_ == "NetworkUnitRetired":
            unit = d.unit(event.unit_id)
            area_id = None if unit is None else next(iter(unit.area_ids), None)
        if area_id is None or not d.has_network() or d.area(area_id) is None:
            return []
        return d.area_path(area_id)


class RelayBusy(RuntimeError):
    """Another process already relays this event store."""


class RelayLock:
    """One relay per event store: an exclusive `flock` on a file beside the SQLite event
    database (or in the home for other persistence), held while the relay runs. The kernel
    releases it when the holder's process ends, kill -9 included."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_home(cls, home: Path) -> RelayLock:
        from services.intake.audit.database import home_database

        try:
            database = home_database(home)
        except NotImplementedError:  # not SQLite: the home stands for the store
            return cls(home / "relay.lock")
        return cls(database.with_name(database.name + ".relay.lock"))

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RelayBusy(f"another process already relays this event store "
                            f"(it holds {self.path}); one relay per store") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
