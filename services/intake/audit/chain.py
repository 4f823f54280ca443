"""The sealer: extends the hash chain and the block seals over every new stored event, in order."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from prometheus_client import Gauge

from services.common.aio import wait_condition, wait_event
from services.intake.audit import sql
from services.intake.audit.blocks import SealRefused, resume
from services.intake.audit.canonical import ZERO, OpenBlock, canonical, chain, link
from services.intake.audit.database import connect_write, database_path, has_table

if TYPE_CHECKING:
    from services.common.store import Store

log = structlog.get_logger(__name__)

SEALED = Gauge("tinhhinh_audit_sealed_position", "Last store position sealed in the audit chain")


class Sealer:
    """Appends (position, chain hash) rows to `tinhhinh_audit_chain` and keeps the seal of
    each block of positions in `tinhhinh_audit_blocks`, in one transaction; resumes after a
    crash."""

    def __init__(self, db: Path, poll_interval: float = 0.5, batch: int = 8192):
        self.db = db
        self.poll_interval = poll_interval
        self.batch = batch
        self.position = 0
        self._wake = asyncio.Event()
        self._sealed = asyncio.Condition()
        self._stopping = False
        self._open: OpenBlock | None = None

    @classmethod
    def for_store(cls, store: Store, poll_interval: float = 0.5) -> Sealer:
        """A sealer on the store's SQLite file; NotImplementedError for other persistence."""
        return cls(database_path(store), poll_interval=poll_interval)

    def seal_pending(self) -> int:
        """Seal every stored event not yet sealed; returns how many were sealed."""
        conn = connect_write(self.db)
        try:
            # A chain without a blocks table was sealed before block seals existed; an empty
            # blocks table beside a chain is damage, not a file to complete.
            legacy = has_table(conn, sql.CHAIN_TABLE) and not has_table(conn, sql.BLOCKS_TABLE)
            conn.execute(sql.CREATE_CHAIN)
            conn.execute(sql.CREATE_BLOCKS)
            if legacy:
                self._backfill_legacy(conn)
            total = 0
            while True:
                sealed = self._seal_batch(conn)
                total += sealed
                if sealed < self.batch:
                    return total
        finally:
            conn.close()

    def _seal_batch(self, conn: sqlite3.Connection) -> int:
        # The write lock is taken before reading the last seal, so two sealers cannot
        # both extend the chain from the same point; each batch commits or not at all.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not has_table(conn, sql.EVENTS_TABLE):
                conn.execute("ROLLBACK")
                return 0
            last = conn.execute(sql.LAST_SEAL).fetchone()
            after, prev = (0, ZERO) if last is None else (last[0], bytes(last[1]))
            rows = conn.execute(sql.EVENTS_AFTER, (after, self.batch)).fetchall()
            if not rows:
                conn.execute("ROLLBACK")
                self.position = after
                return 0
            if rows[0][0] != after + 1:
                # Sealed as it stands: the gap then shows in `verify` as a removed event.
                log.warning("audit_gap_before_sealing", after=after, next=rows[0][0])
            state = self._resume(conn, after)
            links = chain(prev, rows)
            touched: dict[int, tuple[int, int, bytes]] = {}
            for row, (position, chain_hash) in zip(rows, links, strict=True):
                state = state.extended(position, canonical(*row), chain_hash)
                touched[state.block] = (state.block, position, state.seal())
            conn.executemany(sql.INSERT_SEAL, links)
            conn.executemany(sql.UPSERT_BLOCK, touched.values())
            conn.execute("COMMIT")
        except BaseException:
            self._open = None  # rebuilt from what did commit
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._open = state
        self.position = rows[-1][0]
        SEALED.set(self.position)
        log.debug("audit_sealed", upto=self.position, count=len(rows))
        return len(rows)

    def _resume(self, conn: sqlite3.Connection, after: int) -> OpenBlock:
        """The block to extend after position `after`, hashed so far.

        Kept in memory between batches, so a change to an event already sealed is never
        read back into a seal; rebuilt from the stored rows after a restart, and then only
        if it reproduces the stored seal of that block.
        """
        if self._open is not None and self._open.last == after:
            return self._open.copy()
        if after and conn.execute(sql.BLOCK_AT, (1,)).fetchone() is None:
            log.error("audit_seal_refused", upto=after, reason="block seals missing")
            raise SealRefused("the block seals are gone: run `tinhhinh audit verify`")
        state = resume(conn, after)
        if after:
            stored = conn.execute(sql.BLOCK_AT, (state.block,)).fetchone()
            if stored is None or stored[0] != after or bytes(stored[1]) != state.seal():
                log.error("audit_seal_refused", block=state.block, upto=after)
                raise SealRefused(f"block {state.block} no longer matches its seal: run "
                                  "`tinhhinh audit verify`")
        return state

    def _backfill_legacy(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            last = conn.execute(sql.LAST_SEAL).fetchone()
            if last is not None:
                self._open = self._backfill(conn, last[0])
            conn.execute("COMMIT")
        except BaseException:
            self._open = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _backfill(self, conn: sqlite3.Connection, upto: int) -> OpenBlock:
        """Block seals for a chain sealed before blocks existed, once its every link holds."""
        state, prev = OpenBlock(1, ZERO), ZERO
        events = conn.execute(sql.EVENTS_BETWEEN, (0, upto))
        seals = conn.execute(sql.SEALS_BETWEEN, (0, upto))
        rows: dict[int, tuple[int, int, bytes]] = {}
        for event, (position, stored) in zip(events, seals, strict=False):
            if event[0] != position or link(prev, event) != bytes(stored):
                raise SealRefused(f"the chain does not hold at position {position}: run "
                                  "`tinhhinh audit verify`")
            prev = bytes(stored)
            state = state.extended(position, canonical(*event), prev)
            rows[state.block] = (state.block, position, state.seal())
        if state.last != upto:
            raise SealRefused(f"the chain ends at {state.last}, not {upto}")
        conn.executemany(sql.UPSERT_BLOCK, rows.values())
        log.warning("audit_blocks_backfilled", upto=upto, blocks=len(rows))
        return state

    def wake(self) -> None:
        self._wake.set()

    async def wait_sealed(self, position: int, within: float) -> bool:
        """Wait until the running sealer has sealed `position`."""
        async with self._sealed:
            return await wait_condition(self._sealed, lambda: self.position >= position,
                                        within)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        log.info("audit_sealer_started", db=str(self.db))
        backoff = 0.2
        while not self._stopping:
            # Cleared before sealing, so a wake() during a batch is not lost.
            self._wake.clear()
            try:
                await asyncio.to_thread(self.seal_pending)
                backoff = 0.2
                async with self._sealed:
                    self._sealed.notify_all()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("audit_seal_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            await wait_event(self._wake, self.poll_interval)
