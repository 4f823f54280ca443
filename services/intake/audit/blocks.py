"""Block seals: SQLite builds a block's bytes in one statement, Python hashes them once.

Checking a link per event costs a Python call per row, several times the SHA-256 work
itself; a block of 1,024 positions costs two statements and three digests. `verify` checks
blocks, and only walks the events of the first block that fails (`diagnose.walk`).
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from services.intake.audit import sql
from services.intake.audit.canonical import (
    ZERO,
    OpenBlock,
    block_end,
    block_first,
    block_of,
    block_seal,
    canonical,
)

BlockRow = tuple[int, int, bytes]  # (block, last sealed position in it, its seal)


class SealRefused(RuntimeError):
    """The sealed data no longer matches its seals: sealing on would absorb the change."""


def events_bytes(conn: Any, first: int, last: int, *, by_python: bool = False) -> bytes | None:
    """The events at positions first..last as SQLite spells them (None if one is missing or
    a row is not plain, see `sql.BLOCK_EVENTS`), or, `by_python`, as `canonical()` does
    (None if one is missing); only a connection that reads text as bytes can do the latter."""
    if by_python:
        rows = conn.execute(sql.EVENTS_BETWEEN, (first - 1, last)).fetchall()
        if [row[0] for row in rows] != list(range(first, last + 1)):
            return None
        return b"".join(canonical(*row) for row in rows)
    n, lo, hi, plain, data = conn.execute(sql.BLOCK_EVENTS, (first - 1, last)).fetchone()
    if n != last - first + 1 or lo != first or hi != last or plain != n or data is None:
        return None
    return bytes(data)


def hashes_bytes(conn: Any, first: int, last: int, *, by_python: bool = False) -> bytes | None:
    """The chain hashes of positions first..last, concatenated; None if one is missing."""
    if by_python:
        rows = conn.execute(sql.SEALS_BETWEEN, (first - 1, last)).fetchall()
        if [row[0] for row in rows] != list(range(first, last + 1)):
            return None
        return b"".join(bytes(row[1]) for row in rows)
    n, data = conn.execute(sql.BLOCK_HASHES, (first - 1, last)).fetchone()
    return bytes(data) if n == last - first + 1 and data is not None else None


def seal_of(conn: Any, prev_seal: bytes, block: int, last: int, *,
            by_python: bool = False) -> bytes | None:
    """The seal block `block` should have when sealed up to `last`, from the stored rows."""
    first = block_first(block)
    events = events_bytes(conn, first, last, by_python=by_python)
    if events is None:
        return None
    hashes = hashes_bytes(conn, first, last, by_python=by_python)
    return None if hashes is None else block_seal(prev_seal, events, hashes)


def holds(conn: Any, prev_seal: bytes, block: int, last: int, stored: bytes, *,
          python_fallback: bool = True) -> bool:
    """Whether the stored seal holds: SQLite's spelling first, Python's when that differs."""
    if seal_of(conn, prev_seal, block, last) == stored:
        return True
    return python_fallback and seal_of(conn, prev_seal, block, last, by_python=True) == stored


def first_bad(conn: Any, blocks: Sequence[BlockRow], prev_seal: bytes, *,
              python_fallback: bool = True) -> int | None:
    """Index of the first block whose stored seal does not hold, given the seal before them."""
    for i, (block, last, stored) in enumerate(blocks):
        if not holds(conn, prev_seal, block, last, stored, python_fallback=python_fallback):
            return i
        prev_seal = bytes(stored)
    return None


def chain_value(conn: sqlite3.Connection, position: int) -> bytes | None:
    """The seal of the history up to a sealed `position`, from the stored rows; None if the
    block seals do not reach it."""
    block = block_of(position)
    row = conn.execute(sql.BLOCK_AT, (block,)).fetchone()
    if row is None or row[0] < position:
        return None
    if row[0] == position:
        return bytes(row[1])
    prev = ZERO
    if block > 1:
        before = conn.execute(sql.BLOCK_AT, (block - 1,)).fetchone()
        if before is None:
            return None
        prev = bytes(before[1])
    return seal_of(conn, prev, block, position, by_python=True)


def stored_blocks(conn: Any) -> list[BlockRow]:
    """The block seal rows, in block order; none if the table is not there."""
    if conn.execute(sql.HAS_TABLE, (sql.BLOCKS_TABLE,)).fetchone() is None:
        return []
    return [(b, last, bytes(h)) for b, last, h in conn.execute(sql.BLOCKS)]


def tiled(blocks: Sequence[BlockRow], sealed: int) -> int:
    """How many leading rows are blocks 1, 2, … each full, the last one ending at `sealed`."""
    for i, (block, last, _) in enumerate(blocks):
        if block != i + 1 or last > sealed:
            return i
        if last != block_end(block) and not (last == sealed and last >= block_first(block)):
            return i
    return len(blocks)


def resume(conn: sqlite3.Connection, position: int) -> OpenBlock:
    """The block holding `position` hashed from the stored rows up to it (not yet compared
    with its stored seal); a fresh block 1 at position 0."""
    if position == 0:
        return OpenBlock(1, ZERO)
    block = block_of(position)
    prev = ZERO
    if block > 1:
        row = conn.execute(sql.BLOCK_AT, (block - 1,)).fetchone()
        if row is None or row[0] != block_end(block - 1):
            raise SealRefused(f"block {block - 1} has no full seal")
        prev = bytes(row[1])
    state = OpenBlock(block, prev)
    events = conn.execute(sql.EVENTS_BETWEEN, (block_first(block) - 1, position)).fetchall()
    seals = conn.execute(sql.SEALS_BETWEEN, (block_first(block) - 1, position)).fetchall()
    if len(events) != len(seals):
        raise SealRefused(f"block {block}: {len(events)} events but {len(seals)} chain hashes")
    for event, (pos, chain_hash) in zip(events, seals, strict=True):
        if event[0] != pos:
            raise SealRefused(f"block {block}: event {event[0]} against chain position {pos}")
        state.add(pos, canonical(*event), bytes(chain_hash))
    return state


# --- the parallel pass over full blocks -----------------------------------------------------
#
# The standard library's SQLite (3.40 here) builds a block's bytes about half as fast as the
# one apsw ships (3.5x), and serialises threads on its global memory statistics; apsw's copy
# is configured without them, so threads check blocks side by side. Two copies of SQLite in
# one process must never have the same file open at once (a close by one drops the other's
# POSIX locks: sqlite.org/howtocorrupt.html, 2.2.1), so this pass opens and closes all its
# connections before `verify` opens its own, and only callers that hold no connection to
# the database ask for it (the `audit` commands and the bench).


@functools.cache
def _apsw() -> Any:
    import apsw

    with contextlib.suppress(apsw.MisuseError):  # too late once apsw has opened a database
        apsw.shutdown()
        apsw.config(apsw.SQLITE_CONFIG_MEMSTATUS, 0)
        apsw.initialize()
    return apsw


def connect_apsw_readonly(path: Path) -> Any:
    """A read-only apsw connection for the parallel pass (and bench/audit.py). Never open
    one in a process that holds the same file through the standard library's sqlite3."""
    apsw = _apsw()
    conn = apsw.Connection(f"{path.resolve().as_uri()}?mode=ro",
                           flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
    conn.set_busy_timeout(30_000)
    return conn


def parallel_prefix(path: Path, workers: int) -> int:
    """How many leading full blocks hold, checked by `workers` threads; the first block that
    does not (or has odd rows) and everything after it is left to the caller."""
    conn = connect_apsw_readonly(path)
    try:
        rows = stored_blocks(conn)
    finally:
        conn.close()
    full = rows[:tiled(rows, sys.maxsize)]  # the full ones: no sealed end falls inside them
    if not full:
        return 0
    size = -(-len(full) // workers)
    ranges = [(start, min(start + size, len(full))) for start in range(0, len(full), size)]

    def check(bounds: tuple[int, int]) -> int | None:
        start, end = bounds
        reader = connect_apsw_readonly(path)
        try:
            prev = ZERO if start == 0 else full[start - 1][2]
            bad = first_bad(reader, full[start:end], prev, python_fallback=False)
            return None if bad is None else start + bad
        finally:
            reader.close()

    with ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="audit-verify") as pool:
        failures = [i for i in pool.map(check, ranges) if i is not None]
    return min(failures, default=len(full))
