"""What is due, from whom, and when: deadlines from the schedule, pairs from assignments.

The rules (docs/notifier.md): a report is overdue from its deadline on (a weekly
report from Thursday 14:00:00 Vietnam time; one received at 13:59:59 is on time)
until it arrives. It is judged by the server's receipt time (`submitted_at`);
the device time of an offline draft is kept beside it and never used. The
pairs expected are the (cadre, area) assignments active at the deadline. At an
instant, each report kind is looked at for the latest period whose deadline has
passed and the one before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from domain.errors import DomainError
from domain.expectation import expected_at
from domain.ladder import reminder_due
from domain.periods import REPORT_KIND_CADENCE, Period
from domain.schedule import Schedule
from services.common.network_view import NetworkView
from services.notifier.received import Pair, Received

KINDS: tuple[str, ...] = tuple(REPORT_KIND_CADENCE)
_LOOKBACK = 4  # a deadline can fall in the next period (months starting on the 15th)


@dataclass(frozen=True)
class Due:
    """One deadline: a report kind for a period."""

    kind: str
    period: Period
    deadline: datetime
    reminder: datetime | None

    @property
    def label(self) -> str:
        return str(self.period)


def _due(schedule: Schedule, kind: str, period: Period) -> Due:
    return Due(kind, period, schedule.deadline(kind, period), schedule.reminder(kind, period))


def passed(schedule: Schedule, at: datetime, kinds: Iterable[str] = KINDS,
           count: int = 2) -> list[Due]:
    """For each kind, the latest `count` periods whose deadline is at or before `at`."""
    found: list[Due] = []
    for kind in kinds:
        period: Period | None = schedule.period_of(REPORT_KIND_CADENCE[kind], at)
        taken = 0
        for _ in range(_LOOKBACK + count):
            if period is None or taken == count:
                break
            due = _due(schedule, kind, period)
            if due.deadline <= at:
                found.append(due)
                taken += 1
            try:
                period = period.previous()
            except DomainError:  # before the first supported year
                period = None
    return sorted(found, key=lambda d: (d.deadline, d.kind))


def reminding(schedule: Schedule, at: datetime, kinds: Iterable[str] = KINDS) -> list[Due]:
    """Deadlines not yet passed whose reminder time has come."""
    found = []
    for kind in kinds:
        due = _due(schedule, kind, schedule.period_of(REPORT_KIND_CADENCE[kind], at))
        if reminder_due(due.reminder, due.deadline, at):
            found.append(due)
    return found


@dataclass(frozen=True, slots=True)
class _Pairs:
    """The pairs of every assignment with one validity span."""

    valid_from: datetime
    valid_until: datetime | None
    numbers: set[int] = field(default_factory=set)


class Coverage:
    """Assignments grouped by validity span, so a deadline's expected pairs are set unions.

    Plans give most assignments the same span, so usually one prebuilt set answers.
    Pairs are numbered by the `Received` ledger they are compared with.
    """

    def __init__(self, view: NetworkView, received: Received) -> None:
        spans: dict[tuple[datetime, datetime | None], _Pairs] = {}
        number = received.number
        for a in view.assignments.values():
            span = spans.get((a.valid_from, a.valid_until))
            if span is None:
                span = spans[(a.valid_from, a.valid_until)] = _Pairs(a.valid_from, a.valid_until)
            span.numbers.add(number(a.cadre_id, a.area_id))
        self._spans = list(spans.values())
        self.received = received

    def at(self, deadline: datetime) -> set[int]:
        """The numbers of the pairs expected at `deadline`; not to be modified."""
        covering = [span.numbers for span in expected_at(deadline, self._spans)]
        if len(covering) == 1:
            return covering[0]
        return set().union(*covering)


_by_area = itemgetter(1, 0)


def missing(coverage: Coverage, due: Due, at: datetime) -> list[Pair]:
    """Expected (cadre, area) pairs with no report by `at`, sorted by area then cadre."""
    received = coverage.received
    gone = coverage.at(due.deadline).difference(received.numbers(due.kind, due.label, at))
    return sorted(map(received.pair, gone), key=_by_area)


def overdue(view: NetworkView, received: Received, at: datetime,
            kinds: Sequence[str] = KINDS, coverage: Coverage | None = None) -> list[dict[str, Any]]:
    """CONTRACT's `tinhhinh overdue --at`: every expected report not in at `at`.

    `coverage` may be kept between calls while the assignments stay the same.
    """
    schedule = view.schedule()
    coverage = coverage or Coverage(view, received)
    units: dict[str, str | None] = {}
    rows: list[dict[str, Any]] = []
    for due in passed(schedule, at, kinds):
        kind, label, deadline = due.kind, due.label, due.deadline.isoformat()
        for cadre_id, area_id in missing(coverage, due, at):
            unit_id = units.get(area_id, "")
            if unit_id == "":
                unit_id = units[area_id] = view.unit_for_area(area_id)
            rows.append({"kind": kind, "period": label, "cadre_id": cadre_id,
                         "area_id": area_id, "unit_id": unit_id, "deadline": deadline})
    return rows
