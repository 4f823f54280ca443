"""Where the event database is, and the connections the audit opens on it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from services.intake.audit import sql

if TYPE_CHECKING:
    from services.common.store import Store

SQLITE_MODULES = ("services.common.durable_sqlite", "eventsourcing.sqlite")
LOCK_TIMEOUT_SECONDS = 30.0


def _unsupported(module: str) -> NotImplementedError:
    return NotImplementedError(
        f"the audit chain supports SQLite persistence only, not {module!r} (docs/audit.md)"
    )


def home_database(home: Path) -> Path:
    """The event database of a home, as `services.common.store.store_env` resolves it."""
    module = os.environ.get("PERSISTENCE_MODULE") or "services.common.durable_sqlite"
    if module not in SQLITE_MODULES:
        raise _unsupported(module)
    return _file_path(os.environ.get("SQLITE_DBNAME") or str(home / "events.sqlite"))


def database_path(source: Store | Path | str) -> Path:
    """The SQLite file behind a store, or the path given."""
    if isinstance(source, Path | str):
        return _file_path(str(source))
    from eventsourcing.sqlite import SQLiteFactory

    factory = source.factory
    if not isinstance(factory, SQLiteFactory):
        raise _unsupported(type(factory).__module__)
    return _file_path(factory.datastore.pool.db_name)


def _file_path(name: str) -> Path:
    if ":memory:" in name or "mode=memory" in name:
        raise ValueError("an in-memory event store cannot be audited")
    return Path(name.removeprefix("file:").split("?", 1)[0])


def connect_read(path: Path) -> sqlite3.Connection:
    """A read-only connection; text comes back as bytes, as it was stored."""
    if not path.is_file():
        raise FileNotFoundError(f"no event database at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
    # Hash the stored bytes themselves: decoding could fail on tampered text, or hide it.
    conn.text_factory = bytes
    return conn


def connect_write(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
    conn.text_factory = bytes
    return conn


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(sql.HAS_TABLE, (name,)).fetchone() is not None
