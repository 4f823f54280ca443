"""Assignments (phân công): a cadre watches an area from an instant until another."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import assignment_id


def covers(valid_from: datetime, valid_until: datetime | None, at: datetime) -> bool:
    """Half-open validity: valid at `valid_from`, no longer valid at `valid_until`."""
    return valid_from <= at and (valid_until is None or at < valid_until)


class Assignment(Aggregate):
    @staticmethod
    def create_id(cadre_id: str, area_id: str, valid_from: datetime, **_: Any) -> UUID:
        return assignment_id(cadre_id, area_id, valid_from.isoformat())

    @event("Started")
    def __init__(
        self, cadre_id: str, area_id: str, valid_from: datetime, valid_until: datetime | None
    ) -> None:
        if valid_until is not None and valid_until <= valid_from:
            raise ValueError("an assignment must end after it starts")
        self.cadre_id = cadre_id
        self.area_id = area_id
        self.valid_from = valid_from
        self.valid_until = valid_until

    def covers(self, at: datetime) -> bool:
        return covers(self.valid_from, self.valid_until, at)

    @event("Rescheduled")
    def reschedule(self, valid_until: datetime | None) -> None:
        if valid_until is not None and valid_until <= self.valid_from:
            raise ValueError("an assignment must end after it starts")
        self.valid_until = valid_until

    def end(self, at: datetime) -> None:
        """End the assignment at `at`, or at its start if it has not begun yet."""
        until = max(at, self.valid_from)
        if self.valid_until is not None and self.valid_until <= until:
            return
        self._end(valid_until=until)

    @event("Ended")
    def _end(self, valid_until: datetime) -> None:
        self.valid_until = valid_until
