"""Multi-row INSERT statements: one SQLite step per few hundred rows instead of one per row.

Python's sqlite3 releases the GIL around every step; with the event loop busy decoding
the next batch, each re-acquisition waits for a switch interval. Fewer steps, fewer waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import aiosqlite

_MAX_VARIABLES = 32_000  # SQLite's default limit is 32766 since 3.32
_MAX_ROWS = 500


@cache
def _statement(head: str, width: int, rows: int, tail: str) -> str:
    one = f"({', '.join('?' * width)})"
    return f"{head} VALUES {', '.join([one] * rows)} {tail}".rstrip()


async def insert(db: aiosqlite.Connection, head: str, rows: Sequence[Sequence[Any]],
                 tail: str = "") -> None:
    """`head VALUES (...), (...) tail` for all rows, in chunks that SQLite accepts."""
    if not rows:
        return
    width = len(rows[0])
    size = max(1, min(_MAX_ROWS, _MAX_VARIABLES // width))
    for i in range(0, len(rows), size):
        chunk = rows[i:i + size]
        await db.execute(_statement(head, width, len(chunk), tail),
                         [value for row in chunk for value in row])
