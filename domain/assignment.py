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


def overlaps(first: tuple[datetime, datetime | None],
             second: tuple[datetime, datetime | None]) -> bool:
    """Whether two (valid_from, valid_until) spans share an instant: a cadre may hold one
    assignment to an area at a time. A span ended at its start (cancelled) shares none."""
    (a_from, a_until), (b_from, b_until) = first, second
    if (a_until is not None and a_until <= a_from) or (b_until is not None and b_until <= b_from):
        return False
    return (b_until is None or a_from < b_until) and (a_until is None or b_from < a_until)


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
