"""The slow path: walk the sealed range in order and say what kind of damage comes first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.intake.audit import sql
from services.intake.audit.canonical import ZERO, Row, link

KINDS = ("edited", "removed", "reordered", "inserted", "truncated", "rewritten", "seal_altered",
         "block_rewritten")
_BATCH = 4096


@dataclass(frozen=True)
class Damage:
    position: int
    kind: str  # one of KINDS
    detail: str


def _rows(cursor: sqlite3.Cursor) -> Iterator[Any]:
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def walk(conn: sqlite3.Connection, after: int, prev: bytes, until: int,
         last_event: int) -> Damage | None:
    """The first damage in (after, until], given the chain hash at `after`."""
    events = _rows(conn.execute(sql.EVENTS_BETWEEN, (after, until)))
    seals = _rows(conn.execute(sql.SEALS_BETWEEN, (after, until)))
    event, seal = next(events, None), next(seals, None)
    expected = after + 1
    while event is not None or seal is not None:
        # Positions run 1..n without gaps: rowids are max + 1, and none is ever deleted.
        here = min(r[0] for r in (event, seal) if r is not None)
        if here > expected:
            return _missing(expected, last_event, "from both the events and the chain")
        if seal is None or (event is not None and event[0] < seal[0]):
            assert event is not None
            return Damage(event[0], "inserted", "an event stands where nothing was sealed")
        if event is None or seal[0] < event[0]:
            return _missing(seal[0], last_event, "but it was sealed")
        if link(prev, event) != seal[1]:
            return classify(conn, event, prev, seal[1])
        prev, expected = seal[1], expected + 1
        event, seal = next(events, None), next(seals, None)
    return None


def _missing(position: int, last_event: int, how: str) -> Damage:
    if position > last_event:
        return Damage(position, "truncated", f"the events from position {position} on are gone")
    return Damage(position, "removed", f"the event at position {position} is missing {how}")


def classify(conn: sqlite3.Connection, event: Row, prev: bytes, stored: bytes) -> Damage:
    """Which change explains why the event at a sealed position no longer links."""
    q = event[0]
    following: Row | None = conn.execute(sql.EVENTS_AFTER, (q, 1)).fetchone()
    next_seal = conn.execute(sql.SEALS_AFTER, (q,)).fetchone()
    if (following is not None and next_seal is not None and following[0] == next_seal[0]
            and link(link(prev, event), following) == next_seal[1]):
        return Damage(q, "seal_altered", "the event is intact but its chain hash was changed")
    origin, origin_of_following = find_origins(conn, [event, following])
    if origin is None:
        if origin_of_following == q:
            return Damage(q, "inserted", "a new event; the later ones were renumbered after it")
        return Damage(q, "edited", "the event's content differs from what was sealed")
    if origin < q:
        return Damage(q, "inserted", f"a copy of the event sealed at position {origin}")
    displaced: Row | None = conn.execute(sql.EVENT_AT, (origin,)).fetchone()
    if displaced is not None and find_origins(conn, [displaced])[0] == q:
        return Damage(q, "reordered", f"swapped with the event at position {origin}")
    sealed, seals = conn.execute(sql.SEAL_STATS).fetchone()
    if conn.execute(sql.COUNT_EVENTS_BETWEEN, (1, sealed)).fetchone()[0] < seals:
        return Damage(q, "removed", f"{origin - q} event(s) removed; the later ones renumbered")
    return Damage(q, "reordered", f"the event sealed at position {origin} now stands here")


def find_origins(conn: sqlite3.Connection, events: list[Row | None]) -> list[int | None]:
    """For each event, the sealed position whose hash its content reproduces, if any."""
    found: list[int | None] = [None] * len(events)
    todo = {i: e for i, e in enumerate(events) if e is not None}
    prev = ZERO
    for position, stored in _rows(conn.execute(sql.SEALS_AFTER, (-(1 << 63),))):
        for i, event in list(todo.items()):
            if link(prev, (position, *event[1:])) == stored:
                found[i] = position
                del todo[i]
        if not todo:
            break
        prev = stored
    return found
