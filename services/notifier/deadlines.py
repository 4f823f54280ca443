"""What is due, from whom, and when: the one obligation engine, pairs from assignments.

The rules (docs/notifier.md): a report is overdue from its deadline on (a weekly
report from Thursday 14:00:00 Vietnam time; one received at 13:59:59 is on time)
until it arrives. It is judged by the server's receipt time (`submitted_at`);
the device time of an offline draft is kept beside it and never used. What is owed,
by whom and by when is the network's obligations (`NetworkView.engine()`): the pairs
expected are the (cadre, area) assignments active at the deadline, in the areas whose
cadres owe the kind; a kind nobody owes is never due. At an instant, each report kind
is looked at for the latest period whose deadline has passed and the one before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import Any, Protocol, TypeVar

from domain.errors import DomainError
from domain.expectation import expected_at
from domain.ladder import reminder_due
from domain.obligation_engine import ObligationEngine, OwedItem
from domain.obligations import OwnerType
from domain.periods import REPORT_KIND_CADENCE, Period
from services.common.network_view import NetworkView
from services.notifier.received import Pair, Received

KINDS: tuple[str, ...] = tuple(REPORT_KIND_CADENCE)
_LOOKBACK = 4  # a deadline can fall in the next period (months starting on the 15th)


@dataclass(frozen=True)
class Due:
    """One deadline of the cadres: a report kind for a period, in `areas` (None: every area)."""

    kind: str
    period: Period
    deadline: datetime
    reminder: datetime | None
    areas: frozenset[str] | None = None

    @property
    def label(self) -> str:
        return str(self.period)


def dues(engine: ObligationEngine, kind: str, period: Period) -> list[Due]:
    """The cadres' deadlines for this kind and period: one per governing obligation."""
    found = []
    everywhere = len(engine.chart.areas)
    for obligation, areas in engine.area_rules(kind):
        deadline = obligation.deadline(period, engine.schedule)
        if deadline is not None:
            found.append(Due(kind, period, deadline, obligation.reminder(deadline),
                             None if len(areas) == everywhere else areas))
    return found


class _Dated(Protocol):
    @property
    def deadline(self) -> datetime: ...


_D = TypeVar("_D", bound=_Dated)


def _latest(engine: ObligationEngine, kind: str, at: datetime, count: int,
            due_in: Callable[[Period], Iterable[_D]]) -> Iterator[_D]:
    """What falls due in the latest `count` periods of the kind with a deadline passed by `at`."""
    cadence = REPORT_KIND_CADENCE.get(kind)
    if cadence is None:  # urgent: never due on a date
        return
    period: Period | None = engine.schedule.period_of(cadence, at)
    taken = 0
    for _ in range(_LOOKBACK + count):
        if period is None or taken == count:
            break
        gone = [d for d in due_in(period) if d.deadline <= at]
        yield from gone
        taken += bool(gone)
        try:
            period = period.previous()
        except DomainError:  # before the first supported year
            period = None


def passed(engine: ObligationEngine, at: datetime, kinds: Iterable[str] = KINDS,
           count: int = 2) -> list[Due]:
    """For each kind, the cadres' deadlines of the latest `count` periods passed by `at`."""
    found: list[Due] = []
    for kind in kinds:
        found.extend(_latest(engine, kind, at, count, partial(dues, engine, kind)))
    return sorted(found, key=lambda d: (d.deadline, d.kind))


def units_passed(engine: ObligationEngine, at: datetime, kinds: Iterable[str] = KINDS,
                 count: int = 2) -> list[OwedItem]:
    """For each kind, the units' own reports of the latest `count` periods passed by `at`."""
    found: list[OwedItem] = []
    for kind in kinds:
        def owed(period: Period, kind: str = kind) -> list[OwedItem]:
            return engine.owed(period, [kind], OwnerType.UNIT)
        found.extend(_latest(engine, kind, at, count, owed))
    return found


def units_reminding(engine: ObligationEngine, at: datetime,
                    kinds: Iterable[str] = KINDS) -> list[OwedItem]:
    """The units' own reports not yet due whose reminder time has come."""
    found = []
    for kind in kinds:
        cadence = REPORT_KIND_CADENCE.get(kind)
        if cadence is None:
            continue
        for item in engine.owed(engine.schedule.period_of(cadence, at), [kind], OwnerType.UNIT):
            if reminder_due(item.reminder, item.deadline, at):
                found.append(item)
    return found


def unit_missing(received: Received, item: OwedItem, at: datetime) -> bool:
    """True if the unit had not sent this report by `at` (one returned still counts as sent:
    it stands returned, not overdue)."""
    sent = received.unit_when(item.kind, str(item.period), item.owner.id)
    return sent is None or sent[0] > at


def reminding(engine: ObligationEngine, at: datetime, kinds: Iterable[str] = KINDS) -> list[Due]:
    """The cadres' deadlines not yet passed whose reminder time has come."""
    found = []
    for kind in kinds:
        cadence = REPORT_KIND_CADENCE.get(kind)
        if cadence is None:
            continue
        for due in dues(engine, kind, engine.schedule.period_of(cadence, at)):
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
    pairs: Iterable[Pair] = map(received.pair, gone)
    if due.areas is not None:
        areas = due.areas
        pairs = (p for p in pairs if p[1] in areas)
    return sorted(pairs, key=_by_area)


def overdue(view: NetworkView, received: Received, at: datetime,
            kinds: Sequence[str] = KINDS, coverage: Coverage | None = None) -> list[dict[str, Any]]:
    """CONTRACT's `tinhhinh overdue --at`: every expected report not in at `at`.

    `coverage` may be kept between calls while the assignments stay the same.
    """
    engine = view.engine()
    coverage = coverage or Coverage(view, received)
    units: dict[str, str | None] = {}
    rows: list[dict[str, Any]] = []
    for due in passed(engine, at, kinds):
        kind, label, deadline = due.kind, due.label, due.deadline.isoformat()
        for cadre_id, area_id in missing(coverage, due, at):
            unit_id = units.get(area_id, "")
            if unit_id == "":
                unit_id = units[area_id] = view.unit_for_area(area_id)
            rows.append({"kind": kind, "period": label, "cadre_id": cadre_id,
                         "area_id": area_id, "unit_id": unit_id, "deadline": deadline})
    rows.extend({"kind": item.kind, "period": str(item.period), "cadre_id": None,
                 "area_id": None, "unit_id": item.unit_id,
                 "deadline": item.deadline.isoformat()}
                for item in units_passed(engine, at, kinds) if unit_missing(received, item, at))
    return sorted(rows, key=lambda r: r["deadline"])
