"""The projection: envelopes in stream order → read model rows, each sequence applied once.

A batch is prepared (decoded, checked against what is stored, turned into rows) and
then written in one transaction that also stores the last stream sequence it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite
import orjson
import structlog

from services.aggregator.batch import AreaPaths, Batch, Firsts, area_paths
from services.aggregator.network_index import NetworkIndex
from services.aggregator.schema import DERIVED_TABLES, stored_position
from services.common import wire

log = structlog.get_logger(__name__)


def decode(payload: bytes) -> dict[str, Any]:
    """`wire.decode`, as strict, with a faster parser: decoding is much of a catch-up."""
    data = orjson.loads(payload)  # raises a ValueError
    if not isinstance(data, dict):
        raise ValueError("an envelope must be a JSON object")
    if data.get("v") != wire.VERSION:
        raise ValueError(f"unsupported envelope version: {data.get('v')!r}")
    for key in ("event_id", "position", "type", "aggregate_id", "data", "area_path"):
        if key not in data:
            raise ValueError(f"envelope lacks {key!r}")
    return data


async def load_network(db: aiosqlite.Connection) -> NetworkIndex:
    """The network as the stored envelopes describe it."""
    network = NetworkIndex()
    async with db.execute(
        "SELECT type, aggregate_id, data FROM network_events ORDER BY seq"
    ) as cursor:
        async for type_, aggregate_id, data in cursor:
            network.apply(type_, aggregate_id, orjson.loads(data))
    return network


class ReadModelReplaced(RuntimeError):
    """The file's stored position is not the one this process wrote: it was rebuilt under us."""


class Projector:
    """Owns the read model's writes; `position` is the last stream sequence committed."""

    def __init__(self, db: aiosqlite.Connection):
        self.db = db
        self.network = NetworkIndex()
        self.position = 0
        self.paths: AreaPaths = {}
        # The store position of the last envelope prepared: the relay publishes in store
        # order, so an envelope at or below it was published twice (services/intake/relay.py).
        self._envelope = 0
        self._stale = False
        self._firsts = Firsts()

    async def load(self) -> None:
        """Rebuild the in-memory network from the stored envelopes, without the stream."""
        self.network = await load_network(self.db)
        self.paths = area_paths(self.network)
        self.position = await stored_position(self.db)
        self._envelope = await stored_position(self.db, "envelope_position")
        self._stale = False
        self._firsts = Firsts()

    async def check(self) -> None:
        """Raise if the file no longer holds what this process committed (a replay swapped it)."""
        stored = await stored_position(self.db)
        if stored != self.position:
            raise ReadModelReplaced(f"stored position {stored}, expected {self.position}")

    async def reset(self) -> None:
        """Forget everything: the stream was replaced and will be read again from the start."""
        await self.db.execute("BEGIN IMMEDIATE")
        for table in (*DERIVED_TABLES, "network_events", "area_ancestors"):
            await self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        await self.db.execute("UPDATE meta SET value = 0 WHERE key != 'schema'")
        await self.db.commit()
        await self.load()

    async def apply(self, batch: Sequence[tuple[int, bytes]], *, gap_ok: bool = False) -> int:
        """Apply the messages that follow `position` without a gap, in one transaction."""
        if self._stale:
            await self.load()
        fresh: list[tuple[int, bytes]] = []
        expect = self.position + 1
        for seq, payload in sorted(batch, key=lambda m: m[0]):
            if seq < expect:
                continue  # already applied: a redelivery or a duplicate
            if seq > expect and not (gap_ok and not fresh):
                break
            fresh.append((seq, payload))
            expect = seq + 1
        if not fresh:
            return self.position
        try:
            work = await self._prepare(fresh)
            await self.db.execute("BEGIN IMMEDIATE")
            await self.check()
            self.paths = await work.write(self.paths)
            await self.db.execute(
                "UPDATE meta SET value = CASE key WHEN 'stream_seq' THEN ? ELSE ? END "
                "WHERE key IN ('stream_seq', 'envelope_position')", (work.last, self._envelope))
            await self.db.commit()
        except BaseException:
            # The network in memory may be ahead of what was rolled back: reload before more.
            self._stale = True
            if self.db.in_transaction:
                await self.db.rollback()
            raise
        self.position = work.last
        return self.position

    async def _prepare(self, fresh: list[tuple[int, bytes]]) -> Batch:
        work = Batch(self.db, self.network, fresh, self._firsts)
        envelopes = []
        for seq, payload in fresh:
            try:
                envelope = decode(payload)
            except ValueError as exc:
                # Never decodable on a retry either: skip it loudly rather than stall.
                log.error("envelope_rejected", seq=seq, error=str(exc))
                continue
            position = envelope["position"]
            if not isinstance(position, int) or position <= self._envelope:
                log.warning("envelope_repeated", seq=seq, position=position,
                            event_id=envelope.get("event_id"))
                continue
            self._envelope = position
            envelopes.append((seq, envelope))
        await work.prepare(envelopes)
        return work
