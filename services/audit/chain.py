"""The sealer: extends the hash chain over every new stored event, in global order."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from prometheus_client import Gauge

from services.aio import wait_condition, wait_event
from services.audit import sql
from services.audit.canonical import ZERO, chain
from services.audit.database import connect_write, database_path, has_table

if TYPE_CHECKING:
    from services.store import Store

log = structlog.get_logger(__name__)

SEALED = Gauge("tinhhinh_audit_sealed_position", "Last store position sealed in the audit chain")


class Sealer:
    """Appends (position, chain hash) rows to `tinhhinh_audit_chain`; resumes after a crash."""

    def __init__(self, db: Path, poll_interval: float = 0.5, batch: int = 8192):
        self.db = db
        self.poll_interval = poll_interval
        self.batch = batch
        self.position = 0
        self._wake = asyncio.Event()
        self._sealed = asyncio.Condition()
        self._stopping = False

    @classmethod
    def for_store(cls, store: Store, poll_interval: float = 0.5) -> Sealer:
        """A sealer on the store's SQLite file; NotImplementedError for other persistence."""
        return cls(database_path(store), poll_interval=poll_interval)

    def seal_pending(self) -> int:
        """Seal every stored event not yet sealed; returns how many were sealed."""
        conn = connect_write(self.db)
        try:
            conn.execute(sql.CREATE_CHAIN)
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
            after, prev = (0, ZERO) if last is None else (last[0], last[1])
            rows = conn.execute(sql.EVENTS_AFTER, (after, self.batch)).fetchall()
            if rows and rows[0][0] != after + 1:
                log.warning("audit_gap_before_sealing", after=after, next=rows[0][0])
            conn.executemany(sql.INSERT_SEAL, chain(prev, rows))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.position = rows[-1][0] if rows else after
        SEALED.set(self.position)
        if rows:
            log.debug("audit_sealed", upto=self.position, count=len(rows))
        return len(rows)

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
