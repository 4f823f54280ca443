"""The intake's index of unit reports and document numbers, built from the store's events
(the directory feeds it), so that lists, receipts and the next number are cheap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.clock import as_instant
from domain.obligation_engine import Owner, Receipt
from domain.obligations import OwnerType
from domain.periods import Period

UNIT_REPORT_PREFIX = "UnitReport"
NUMBER_TAKEN = "DocumentNumberTaken"


@dataclass
class UnitReportEntry:
    unit_report_id: UUID
    unit_id: str
    kind: str
    period: str | None
    drafted_position: int
    status: str = "draft"
    number: str | None = None
    recipients: tuple[str, ...] = ()
    first_sent_at: datetime | None = None
    deadline: datetime | None = None
    on_time: bool | None = None
    received_by: set[str] = field(default_factory=set)


class UnitReportIndex:
    def __init__(self) -> None:
        self._entries: dict[UUID, UnitReportEntry] = {}
        self._sequence: dict[tuple[str, int], int] = {}

    def apply(self, type_: str, aggregate_id: UUID, data: Mapping[str, Any],
              position: int) -> bool:
        """Take the event if it is one of ours; False for any other."""
        if type_ == NUMBER_TAKEN:
            key = (str(data["unit_id"]), int(data["year"]))
            self._sequence[key] = max(self._sequence.get(key, 0), int(data["sequence"]))
            return True
        if not type_.startswith(UNIT_REPORT_PREFIX):
            return False
        what = type_[len(UNIT_REPORT_PREFIX):]
        if what == "Drafted":
            self._entries[aggregate_id] = UnitReportEntry(
                aggregate_id, str(data["unit_id"]), str(data["kind"]), data["period"], position)
            return True
        entry = self._entries.get(aggregate_id)
        if entry is None:
            return True
        if what in ("Sent", "Resent"):
            entry.status = "sent"
            entry.number = str(data["number"])
            entry.recipients = tuple(data["recipients"])
            entry.first_sent_at = as_instant(data.get("first_sent_at", data["sent_at"]))
            entry.deadline = as_instant(data["deadline"])
            entry.on_time = bool(data["on_time"])
            entry.received_by = set()
        elif what == "Returned":
            entry.status = "returned"
        elif what == "Received":
            entry.received_by.add(str(data["by_unit"]))
        return True

    def entries(self) -> list[UnitReportEntry]:
        """Oldest draft first."""
        return sorted(self._entries.values(), key=lambda e: e.drafted_position)

    def entry(self, unit_report_id: UUID) -> UnitReportEntry | None:
        return self._entries.get(unit_report_id)

    def last_sequence(self, unit_id: str, year: int) -> int:
        return self._sequence.get((unit_id, year), 0)


def unit_receipts(index: UnitReportIndex,
                  kinds_periods: set[tuple[str, str]] | None = None) -> list[Receipt]:
    """The units' own reports as the obligation engine counts them: received at the first
    sending; returned and not yet sent again, `returned`."""
    out = []
    for e in index.entries():
        if e.first_sent_at is None or e.period is None:
            continue
        if kinds_periods is not None and (e.kind, e.period) not in kinds_periods:
            continue
        out.append(Receipt(e.kind, Period.parse(e.period), Owner(OwnerType.UNIT, e.unit_id),
                           None, e.first_sent_at, returned=e.status == "returned"))
    return out
