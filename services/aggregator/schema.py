"""The read model's tables, and opening its SQLite file durably."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

FILENAME = "aggregator.sqlite"
SCHEMA_VERSION = 1

# One row per report as submitted; `first` marks the first report of its
# (kind, period, cadre, area) pair, `expected` whether that pair was expected at
# the deadline. `slot` and `at` place it in time (docs/aggregator.md).
DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS network_events (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS area_ancestors (
    ancestor_id TEXT NOT NULL,
    area_id TEXT NOT NULL,
    PRIMARY KEY (ancestor_id, area_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS reports (
    seq INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT,
    slot TEXT NOT NULL,
    at TEXT NOT NULL,
    area_id TEXT NOT NULL,
    cadre_id TEXT NOT NULL,
    unit_id TEXT,
    submitted_at TEXT NOT NULL,
    deadline TEXT,
    on_time INTEGER NOT NULL,
    assessment TEXT NOT NULL,
    first INTEGER NOT NULL,
    expected INTEGER NOT NULL,
    hot_spots INTEGER NOT NULL,
    content TEXT NOT NULL
);
-- Time first: a batch's reports share few (kind, at) values, so inserts stay on few
-- pages; rollups seek each deadline they cover, then each area.
CREATE INDEX IF NOT EXISTS reports_by_time ON reports (kind, at, area_id);
CREATE INDEX IF NOT EXISTS reports_extra ON reports (kind, at)
    WHERE first = 1 AND expected = 0;

CREATE TABLE IF NOT EXISTS hot_spots (
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    report_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT,
    slot TEXT NOT NULL,
    at TEXT NOT NULL,
    area_id TEXT NOT NULL,
    cadre_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    rank INTEGER NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hot_spots_by_time ON hot_spots (kind, at);

-- Pre-aggregated: a row sums the reports of every area strictly below `area_id`, so a
-- province rollup reads one row per slot instead of every village's reports. A report's
-- own area is left out: reports are its rows already, and its area is rarely shared
-- within a batch, so leaving it out spares most of the writes.
CREATE TABLE IF NOT EXISTS tally (
    area_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot TEXT NOT NULL,
    at TEXT NOT NULL,
    reports INTEGER NOT NULL,
    received INTEGER NOT NULL,
    on_time INTEGER NOT NULL,
    late INTEGER NOT NULL,
    extra INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    stable INTEGER NOT NULL,
    attention INTEGER NOT NULL,
    complex INTEGER NOT NULL,
    hot_spots INTEGER NOT NULL,
    PRIMARY KEY (area_id, kind, slot)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tally_by_time ON tally (area_id, kind, at);

CREATE TABLE IF NOT EXISTS count_tally (
    area_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    slot TEXT NOT NULL,
    name TEXT NOT NULL,
    at TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (area_id, kind, slot, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS count_tally_by_time ON count_tally (area_id, kind, at);

-- The event ids applied: an event published twice is known by its id, never by the
-- store position its envelope claims.
CREATE TABLE IF NOT EXISTS applied_events (
    event_id TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Envelopes the strict decoder refused, as they came off the stream (docs/aggregator.md).
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
);
"""

TALLY_FIELDS = ("reports", "received", "on_time", "late", "extra", "duplicates",
                "stable", "attention", "complex", "hot_spots")
DERIVED_TABLES = ("reports", "hot_spots", "tally", "count_tally", "applied_events",
                  "dead_letters")


def path_in(home: Path) -> Path:
    return home / FILENAME


async def connect(path: Path, *, readonly: bool = False) -> aiosqlite.Connection:
    """Open the read model; WAL so queries never wait for the projection, FULL so commits last."""
    if readonly:
        db = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA busy_timeout = 10000")
        if not readonly:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = FULL")
            # Checkpoint less often: hot tally pages are then written once per checkpoint,
            # not once per commit.
            await db.execute("PRAGMA wal_autocheckpoint = 16384")
            await db.executescript(DDL)
            await db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('stream_seq', 0), "
                "('schema', ?)", (SCHEMA_VERSION,))
        await db.execute("PRAGMA cache_size = -65536")
    except BaseException:
        await db.close()
        raise
    return db


async def stored_position(db: aiosqlite.Connection) -> int:
    """The last stream sequence applied."""
    async with db.execute("SELECT value FROM meta WHERE key = 'stream_seq'") as cursor:
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def dead_letter_count(db: aiosqlite.Connection) -> int:
    async with db.execute("SELECT COUNT(*) FROM dead_letters") as cursor:
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])
