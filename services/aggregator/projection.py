"""The projection: envelopes in stream order → read model rows, each sequence applied once.

A batch is prepared (decoded, checked against what is stored, turned into rows) and
then written in one transaction that also stores the last stream sequence it holds,
the ids of the events it applied, and a dead letter for each envelope it refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite
import orjson
import structlog

from services.aggregator.batch import AreaPaths, Batch, Firsts, area_paths
from services.aggregator.network_index import NetworkIndex
from services.aggregator.schema import DERIVED_TABLES, dead_letter_count, stored_position
from services.common.envelope import EnvelopeRejected, decode

log = structlog.get_logger(__name__)

# (stream sequence, payload, subject): what a JetStream message gives the projection.
Message = tuple[int, bytes, str]
_LOOKUP = 500  # event ids per query, well under SQLite's variable limit


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
        self.dead_letters = 0
        self.paths: AreaPaths = {}
        self._stale = False
        self._firsts = Firsts()

    async def load(self) -> None:
        """Rebuild the in-memory network from the stored envelopes, without the stream."""
        self.network = await load_network(self.db)
        self.paths = area_paths(self.network)
        self.position = await stored_position(self.db)
        self.dead_letters = await dead_letter_count(self.db)
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

    async def apply(self, batch: Sequence[Message], *, gap_ok: bool = False) -> int:
        """Apply the messages that follow `position` without a gap, in one transaction."""
        if self._stale:
            await self.load()
        fresh: list[Message] = []
        expect = self.position + 1
        for message in sorted(batch, key=lambda m: m[0]):
            seq = message[0]
            if seq < expect:
                continue  # already applied: a redelivery or a duplicate
            if seq > expect and not (gap_ok and not fresh):
                break
            fresh.append(message)
            expect = seq + 1
        if not fresh:
            return self.position
        try:
            work = await self._prepare(fresh)
            await self.db.execute("BEGIN IMMEDIATE")
            await self.check()
            self.paths = await work.write(self.paths)
            await self.db.execute("UPDATE meta SET value = ? WHERE key = 'stream_seq'",
                                  (work.last,))
            await self.db.commit()
        except BaseException:
            # The network in memory may be ahead of what was rolled back: reload before more.
            self._stale = True
            if self.db.in_transaction:
                await self.db.rollback()
            raise
        self.position = work.last
        self.dead_letters += len(work.dead)
        return self.position

    async def _prepare(self, fresh: list[Message]) -> Batch:
        work = Batch(self.db, self.network, [(m[0], m[1]) for m in fresh], self._firsts)
        decoded = []
        for seq, payload, subject in fresh:
            try:
                decoded.append((seq, decode(payload)))
            except EnvelopeRejected as exc:
                # As malformed on every retry: kept aside once, and the stream moves on.
                log.error("envelope_dead_lettered", seq=seq, subject=subject, reason=exc.reason)
                work.dead.append((seq, subject, exc.reason, payload))
        applied = await self._applied({str(env["event_id"]) for _, env in decoded})
        envelopes = []
        for seq, envelope in decoded:
            event_id = str(envelope["event_id"])
            if event_id in applied:
                # Published twice (beyond JetStream's duplicate window): known by its id,
                # not by the position it claims.
                log.warning("envelope_repeated", seq=seq, event_id=event_id)
                continue
            applied.add(event_id)
            work.event_ids.append((event_id,))
            envelopes.append((seq, envelope))
        await work.prepare(envelopes)
        return work

    async def _applied(self, event_ids: set[str]) -> set[str]:
        """Those of `event_ids` already applied by an earlier batch."""
        ids, found = sorted(event_ids), set[str]()
        for i in range(0, len(ids), _LOOKUP):
            chunk = ids[i:i + _LOOKUP]
            async with self.db.execute(
                f"SELECT event_id FROM applied_events WHERE event_id IN "  # noqa: S608 - placeholders only
                f"({', '.join('?' * len(chunk))})", chunk) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found
