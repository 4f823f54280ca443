"""Recompute the seals from the stored events; name the first position that no longer matches."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from services.intake.audit import sql
from services.intake.audit.blocks import (
    chain_value,
    first_bad,
    parallel_prefix,
    resume,
    stored_blocks,
    tiled,
)
from services.intake.audit.canonical import (
    ZERO,
    OpenBlock,
    block_end,
    block_first,
    canonical,
    link,
)
from services.intake.audit.checkpoint import Checkpoint
from services.intake.audit.database import connect_read, database_path, has_table
from services.intake.audit.diagnose import Damage, walk

if TYPE_CHECKING:
    from services.common.store import Store


@dataclass(frozen=True)
class VerifyResult:
    sealed: int  # the last sealed position: the chain was checked up to here
    unsealed: int  # stored events after it, not yet sealed: not damage
    checkpoint_size: int | None
    damage: Damage | None

    @property
    def ok(self) -> bool:
        return self.damage is None


def verify(source: Store | Path | str, checkpoint: Checkpoint | None = None, *,
           workers: int = 1) -> VerifyResult:
    """Check every sealed position, and the checkpoint when one is given; never writes.

    `workers` > 1 first checks the full blocks in that many threads through apsw's SQLite
    (`blocks.parallel_prefix`). Ask for it only in a process that holds no other connection
    to this database: the `audit` commands do, the services do not.
    """
    if checkpoint is not None:
        checkpoint.check_signature()
    path = database_path(source)
    checked = parallel_prefix(path, workers) if workers > 1 and path.is_file() else 0
    conn = connect_read(path)
    try:
        conn.execute("BEGIN")  # every read below sees one snapshot, whatever writers do
        return _verify(conn, checkpoint, checked)
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, cp: Checkpoint | None, checked: int) -> VerifyResult:
    if not has_table(conn, sql.EVENTS_TABLE):
        raise FileNotFoundError("the database holds no event store")
    sealed, count = 0, 0
    if has_table(conn, sql.CHAIN_TABLE):
        sealed, count = conn.execute(sql.SEAL_STATS).fetchone()
    last_event = conn.execute(sql.LAST_EVENT).fetchone()[0]
    unsealed = conn.execute(sql.COUNT_EVENTS_AFTER, (sealed,)).fetchone()[0]
    damage = _check(conn, sealed, count, last_event, checked) if sealed else None
    if cp is not None:
        damage = _against_checkpoint(conn, cp, sealed, damage)
    return VerifyResult(sealed=sealed, unsealed=unsealed,
                        checkpoint_size=None if cp is None else cp.size, damage=damage)


def _check(conn: sqlite3.Connection, sealed: int, count: int, last_event: int,
           checked: int) -> Damage | None:
    """The hot path checks block seals; the events of the first block that fails are walked."""
    if count != sealed:  # gaps in the chain: the walk names the first
        return walk(conn, 0, ZERO, sealed, last_event) or Damage(
            1, "seal_altered", "the chain table has gaps")
    blocks = stored_blocks(conn)
    good = tiled(blocks, sealed)
    start = min(checked, good)  # full blocks the parallel pass already checked
    bad = first_bad(conn, blocks[start:good], ZERO if start == 0 else blocks[start - 1][2])
    failed = good if bad is None else start + bad
    if failed == len(blocks) and blocks and blocks[-1][1] == sealed:
        return None
    block = failed + 1  # the first block whose seal is missing or does not hold
    after = block_first(block) - 1
    prev = ZERO if after == 0 else bytes(conn.execute(sql.SEAL_AT, (after,)).fetchone()[0])
    found = walk(conn, after, prev, min(sealed, block_end(block)), last_event)
    if found is not None:
        return found
    end = min(sealed, block_end(block))
    how = ("has no seal" if failed >= good else
           "does not match its seal, though every event links to the chain: the events were "
           "rewritten together with their chain, or the block seal was altered")
    return Damage(after + 1, "block_rewritten", f"the block of positions {after + 1}–{end} {how}")


def _against_checkpoint(conn: sqlite3.Connection, cp: Checkpoint, sealed: int,
                        damage: Damage | None) -> Damage | None:
    """The first anchor of the checkpoint that the history misses, if it comes before `damage`."""
    tail: dict[int, bytes] = {}
    if damage is None and cp.size > sealed:
        found = _tail_seals(conn, cp, sealed)
        if isinstance(found, Damage):
            damage = found
        else:
            tail = found
    since = 0
    for position, expected in cp.expected():
        if damage is not None and position >= damage.position:
            break
        actual = tail.get(position) if position > sealed else chain_value(conn, position)
        if actual != expected:
            return Damage(position, "rewritten",
                          f"the seal at {position} differs from the checkpoint: history "
                          f"after position {since} was rewritten")
        since = position
    return damage


def _tail_state(conn: sqlite3.Connection, sealed: int) -> tuple[OpenBlock, bytes]:
    """The block to extend after the sealed range, and the chain hash at its end."""
    if sealed == 0:
        return OpenBlock(1, ZERO), ZERO
    state = resume(conn, sealed)
    return state, bytes(conn.execute(sql.SEAL_AT, (sealed,)).fetchone()[0])


def _tail_seals(conn: sqlite3.Connection, cp: Checkpoint,
                sealed: int) -> dict[int, bytes] | Damage:
    """Seals at the checkpoint's positions past the sealed range, recomputed from the events."""
    wanted = {pos for pos, _ in cp.expected() if pos > sealed}
    state, prev = _tail_state(conn, sealed)
    out: dict[int, bytes] = {}
    expected = sealed + 1
    for row in conn.execute(sql.EVENTS_BETWEEN, (sealed, cp.size)):
        if row[0] != expected:
            return Damage(expected, "removed", f"position {expected} is missing")
        prev = link(prev, row)
        state = state.extended(expected, canonical(*row), prev)
        if expected in wanted:
            out[expected] = state.seal()
        expected += 1
    if expected <= cp.size:
        return Damage(expected, "truncated",
                      f"the history ends at {expected - 1}; the checkpoint has {cp.size} events")
    return out
