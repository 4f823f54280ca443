"""Recompute the chain from the stored events; name the first position that no longer matches."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from services.audit import sql
from services.audit.canonical import FAST_HEADER, ZERO, Row, link
from services.audit.checkpoint import Checkpoint
from services.audit.database import connect_read, database_path, has_table
from services.audit.diagnose import Damage, walk

if TYPE_CHECKING:
    from services.store import Store

BATCH = 2048


@dataclass(frozen=True)
class VerifyResult:
    sealed: int  # the last sealed position: the chain was checked up to here
    unsealed: int  # stored events after it, not yet sealed: not damage
    checkpoint_size: int | None
    damage: Damage | None

    @property
    def ok(self) -> bool:
        return self.damage is None


def verify(source: Store | Path | str, checkpoint: Checkpoint | None = None) -> VerifyResult:
    """Check every sealed position, and the checkpoint when one is given; never writes."""
    if checkpoint is not None:
        checkpoint.check_signature()
    conn = connect_read(database_path(source))
    try:
        conn.execute("BEGIN")  # every read below sees one snapshot, whatever writers do
        return _verify(conn, checkpoint)
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, cp: Checkpoint | None) -> VerifyResult:
    if not has_table(conn, sql.EVENTS_TABLE):
        raise FileNotFoundError("the database holds no event store")
    sealed, count = 0, 0
    if has_table(conn, sql.CHAIN_TABLE):
        sealed, count = conn.execute(sql.SEAL_STATS).fetchone()
    last_event = conn.execute(sql.LAST_EVENT).fetchone()[0]
    unsealed = conn.execute(sql.COUNT_EVENTS_AFTER, (sealed,)).fetchone()[0]
    # A sealed range with gaps goes straight to the walk, which names the first one.
    good, prev = _fast_prefix(conn, sealed) if sealed and count == sealed else (0, ZERO)
    damage = None if good == sealed else walk(conn, good, prev, sealed, last_event)
    if cp is not None:
        damage = _against_checkpoint(conn, cp, sealed, damage)
    return VerifyResult(sealed=sealed, unsealed=unsealed,
                        checkpoint_size=None if cp is None else cp.size, damage=damage)


def _fast_prefix(conn: sqlite3.Connection, sealed: int) -> tuple[int, bytes]:
    """How far every chain link holds, and the hash there: the hot path."""
    events = conn.execute(sql.CONTENTS_UPTO, (sealed,)).fetchmany
    seals = conn.execute(sql.HASHES).fetchmany
    good, prev = 0, ZERO
    while True:
        rows, hashes = events(BATCH), seals(BATCH)
        if not rows and not hashes:
            return good, prev
        if len(rows) != len(hashes) or not _links_hold(prev, good, rows, hashes):
            return good, prev
        good, prev = good + len(rows), hashes[-1][0]


def _links_hold(prev: bytes, pos: int, rows: list[Row], hashes: list[tuple[bytes]]) -> bool:
    # Each link is checked from the stored hash before it: when all hold, the chain
    # recomputed from zero is the stored one. Names are bound locally: this loop is the cost.
    h, fmt, join, digest = prev, FAST_HEADER, b"".join, sha256
    try:
        for (oid, ver, topic, state), (stored,) in zip(rows, hashes, strict=True):
            pos += 1
            if digest(join((h, fmt % (pos, len(oid), ver, len(topic), len(state)),
                            oid, topic, state))).digest() != stored:
                return False
            h = stored
    except TypeError:  # an odd column type: the walk hashes it the general way
        return False
    return True


def _against_checkpoint(conn: sqlite3.Connection, cp: Checkpoint, sealed: int,
                        damage: Damage | None) -> Damage | None:
    """The first anchor of the checkpoint that the history misses, if it comes before `damage`."""
    tail: dict[int, bytes] = {}
    if damage is None and cp.size > sealed:
        found = _tail_hashes(conn, cp, sealed)
        if isinstance(found, Damage):
            damage = found
        else:
            tail = found
    since = 0
    for position, expected in cp.expected():
        if damage is not None and position >= damage.position:
            break
        actual = tail.get(position) if position > sealed else _sealed_hash(conn, position)
        if actual != expected:
            return Damage(position, "rewritten",
                          f"the chain hash at {position} differs from the checkpoint: history "
                          f"after position {since} was rewritten")
        since = position
    return damage


def _sealed_hash(conn: sqlite3.Connection, position: int) -> bytes | None:
    row = conn.execute(sql.SEAL_AT, (position,)).fetchone()
    return None if row is None else bytes(row[0])


def _tail_hashes(conn: sqlite3.Connection, cp: Checkpoint,
                 sealed: int) -> dict[int, bytes] | Damage:
    """Chain hashes at the checkpoint's positions past the sealed range, from the events."""
    wanted = {pos for pos, _ in cp.expected() if pos > sealed}
    prev = (_sealed_hash(conn, sealed) or ZERO) if sealed else ZERO
    out: dict[int, bytes] = {}
    expected = sealed + 1
    for row in conn.execute(sql.EVENTS_BETWEEN, (sealed, cp.size)):
        if row[0] != expected:
            return Damage(expected, "removed", f"position {expected} is missing")
        prev = link(prev, row)
        if expected in wanted:
            out[expected] = prev
        expected += 1
    if expected <= cp.size:
        return Damage(expected, "truncated",
                      f"the history ends at {expected - 1}; the checkpoint has {cp.size} events")
    return out
