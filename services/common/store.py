"""The event store: one eventsourcing application, persistence chosen by environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import ApplicationRecorder, Notification, PersistenceError

from domain.errors import StorageFull
from services.common.storage import StorageWatch, is_storage_full

DEFAULT_PERSISTENCE = "services.common.durable_sqlite"


def store_env(home: Path) -> dict[str, str]:
    """Defaults that the process environment may override (PostgreSQL: PERSISTENCE_MODULE)."""
    env: dict[str, str] = {}
    if not os.environ.get("PERSISTENCE_MODULE"):
        env["PERSISTENCE_MODULE"] = DEFAULT_PERSISTENCE
    if not os.environ.get("SQLITE_DBNAME"):
        env["SQLITE_DBNAME"] = str(home / "events.sqlite")
    env.setdefault("SQLITE_LOCK_TIMEOUT", os.environ.get("SQLITE_LOCK_TIMEOUT", "30"))
    return env


class Store(Application[UUID]):
    """Every domain event of the network, in one global order (the notification log)."""

    name = "tinhhinh"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        dbname = self.env.get("SQLITE_DBNAME")
        on_file = dbname and "sqlite" in self.env.get("PERSISTENCE_MODULE", "")
        self.storage = StorageWatch(Path(dbname).parent if on_file and dbname else None)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save in one transaction; a lack of room is StorageFull (nothing written: the
        transaction rolled back), remembered for /healthz until room returns."""
        try:
            recordings = super().save(*objs, **kwargs)
        except PersistenceError as err:
            if is_storage_full(err):
                self.storage.failed()
                raise StorageFull() from err
            raise
        self.storage.succeeded()
        return recordings

    @property
    def app_recorder(self) -> ApplicationRecorder:
        recorder = self.recorder
        assert isinstance(recorder, ApplicationRecorder)
        return recorder

    def find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def notifications_after(self, position: int, limit: int) -> list[Notification]:
        return list(self.app_recorder.select_notifications(position + 1, limit))

    def positions(self, aggregate_id: UUID) -> dict[int, int]:
        """The global positions (notification ids) of an aggregate's events, by version."""
        recorder: Any = self.app_recorder
        if type(recorder).__module__.startswith("eventsourcing.postgres"):
            return _postgres_positions(recorder, aggregate_id)
        table = recorder.events_table_name
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT originator_version, rowid FROM {table} "  # noqa: S608 - the library's own table name
                "WHERE originator_id = ?", (aggregate_id.hex,))
            return {int(row[0]): int(row[1]) for row in cursor.fetchall()}

    def last_position(self) -> int:
        return self.app_recorder.max_notification_id() or 0


def _postgres_positions(recorder: Any, aggregate_id: UUID) -> dict[int, int]:
    # eventsourcing's PostgreSQL connections return rows as dicts (dict_row), and its table
    # lives in POSTGRES_SCHEMA (default "public"): name both as the library does.
    from psycopg.sql import SQL, Identifier

    statement = SQL("SELECT originator_version, notification_id FROM {}.{} "
                    "WHERE originator_id = %s").format(
        Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (aggregate_id,))
        return {int(row["originator_version"]): int(row["notification_id"])
                for row in cursor.fetchall()}


def open_store(home: Path) -> Store:
    home.mkdir(parents=True, exist_ok=True)
    return Store(env=store_env(home))
