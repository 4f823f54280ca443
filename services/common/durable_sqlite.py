"""eventsourcing's SQLite persistence, with every commit fsynced before it returns.

Selected by `PERSISTENCE_MODULE=services.common.durable_sqlite` (the default of
`services.common.store`). WAL mode alone defaults to `synchronous=NORMAL`, which may
lose the last commits on power loss; an acknowledged report must survive it.
"""

from __future__ import annotations

# Imported as a module: eventsourcing requires exactly one factory class in this namespace.
from eventsourcing import sqlite
from eventsourcing.utils import Environment, EnvType


class DurableSQLiteConnectionPool(sqlite.SQLiteConnectionPool):
    def _create_connection(self) -> sqlite.SQLiteConnection:
        connection = super()._create_connection()
        raw = connection._sqlite_conn
        raw.execute("PRAGMA synchronous=FULL")
        return connection


class Factory(sqlite.SQLiteFactory):
    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        # The pool opens connections lazily, so swapping it here loses nothing.
        pool = self.datastore.pool
        self.datastore.pool = DurableSQLiteConnectionPool(
            db_name=pool.db_name, lock_timeout=pool.lock_timeout
        )
