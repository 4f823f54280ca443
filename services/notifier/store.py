"""The notifier's own event store: alerts and deliveries, persistence chosen by environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder

from services.common.store import DEFAULT_PERSISTENCE

NAME = "notifier"
_PREFIX = NAME.upper() + "_"
_BATCH = 2000


def alert_store_env(home: Path) -> dict[str, str]:
    """Defaults the environment may override, plainly or prefixed (NOTIFIER_SQLITE_DBNAME).

    The prefix matters: `tinhhinh up` passes the intake's SQLITE_DBNAME down to every
    service, and the notifier must not write its alerts into the event store.
    """
    env: dict[str, str] = {}
    if not os.environ.get(_PREFIX + "PERSISTENCE_MODULE") and not os.environ.get(
            "PERSISTENCE_MODULE"):
        env["PERSISTENCE_MODULE"] = DEFAULT_PERSISTENCE
    if not os.environ.get(_PREFIX + "SQLITE_DBNAME"):
        env[_PREFIX + "SQLITE_DBNAME"] = str(home / "notifier.sqlite")
    env.setdefault("SQLITE_LOCK_TIMEOUT", os.environ.get("SQLITE_LOCK_TIMEOUT", "30"))
    return env


class AlertStore(Application[UUID]):
    """Alerts and their deliveries, in one global order."""

    name = NAME

    def history(self) -> Iterator[Any]:
        """Every stored domain event, oldest first: how the notifier remembers on start."""
        recorder = self.recorder
        assert isinstance(recorder, ApplicationRecorder)
        position = 0
        while True:
            batch = recorder.select_notifications(position + 1, _BATCH)
            if not batch:
                return
            for notification in batch:
                yield self.mapper.to_domain_event(notification)
            position = batch[-1].id


def open_alert_store(home: Path) -> AlertStore:
    home.mkdir(parents=True, exist_ok=True)
    return AlertStore(env=alert_store_env(home))
