"""The one obligation engine: what is owed, by whom, by when, and how each item stands.

Where several obligations make the same owner owe the same kind, the most specific
governs it: named units before a level before the whole network; for cadres, then
the named unit nearest the area; then the first in the plan. The governing
obligation decides alone, even when it owes nothing for a period (a half-year
without a date). The cadre pairs owed are the assignments active **at the
deadline**; a unit's own report is owed only if it has someone to go to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.obligations import Obligation, OwnerType
from domain.org_chart import ChartAssignment, OrgChart
from domain.periods import REPORT_KIND_CADENCE, Cadence, Period
from domain.schedule import Schedule

# How far before a window a period may start and still fall due in it: a week's
# deadline lies inside the week; a date "next year" can lie two years past a start.
_LOOKBACK = {Cadence.WEEK: timedelta(days=8)}
_LOOKBACK_LONG = timedelta(days=2 * 366)
_FIRST = datetime(2000, 1, 10, tzinfo=UTC)  # periods begin in 2000 (domain.periods)


@dataclass(frozen=True, order=True)
class Owner:
    type: OwnerType
    id: str


@dataclass(frozen=True)
class OwedItem:
    """One report owed: for a cadre, per area; for a unit, its own compiled report."""

    kind: str
    period: Period
    owner: Owner
    area_id: str | None
    unit_id: str | None
    deadline: datetime
    reminder: datetime | None = None
    recipients: tuple[str, ...] = ()  # a unit's report: parent first, then copies

    @property
    def key(self) -> tuple[str, Period, Owner, str | None]:
        return (self.kind, self.period, self.owner, self.area_id)


@dataclass(frozen=True)
class Receipt:
    """A report as received: who filed which kind for which period (and area), and when."""

    kind: str
    period: Period
    owner: Owner
    area_id: str | None
    submitted_at: datetime
    # Returned for correction and not yet sent again: it no longer counts as received.
    # A corrected revision is a receipt at the time the report was first sent.
    returned: bool = False

    @property
    def key(self) -> tuple[str, Period, Owner, str | None]:
        return (self.kind, self.period, self.owner, self.area_id)


class Status(StrEnum):
    PENDING = "pending"
    RECEIVED = "received"
    LATE = "late"
    OVERDUE = "overdue"
    RETURNED = "returned"


@dataclass(frozen=True)
class Standing:
    item: OwedItem
    status: Status
    received_at: datetime | None

    def as_record(self) -> dict[str, object]:
        """The shape of CONTRACT's GET /api/v1/obligations entries."""
        item = self.item
        return {
            "kind": item.kind,
            "period": str(item.period),
            "owner": {"type": str(item.owner.type), "id": item.owner.id},
            "area_id": item.area_id,
            "unit_id": item.unit_id,
            "deadline": item.deadline.isoformat(),
            "status": str(self.status),
            "received_at": None if self.received_at is None else self.received_at.isoformat(),
        }


class ObligationEngine:
    """Answers the aggregator, the notifier, the web and the API alike from the same data."""

    def __init__(
        self, chart: OrgChart, obligations: Sequence[Obligation], schedule: Schedule
    ) -> None:
        self.chart = chart
        self.schedule = schedule
        self.obligations = tuple(obligations)
        self._areas: dict[str, dict[str, Obligation]] = {}
        self._units: dict[str, dict[str, Obligation]] = {}
        for kind in {o.kind for o in self.obligations}:
            mine = [(i, o) for i, o in enumerate(self.obligations) if o.kind == kind]
            self._areas[kind] = self._govern_areas([x for x in mine if x[1].owner == "cadre"])
            self._units[kind] = self._govern_units([x for x in mine if x[1].owner == "unit"])

    def with_assignments(self, assignments: Iterable[ChartAssignment]) -> ObligationEngine:
        """The same obligations over the same tree with other assignments: who owes which
        kind where is kept, as assignments do not change it."""
        twin = copy(self)
        twin.chart = self.chart.with_assignments(assignments)
        return twin

    # -- who is governed by which obligation ---------------------------------------------

    def _scope_units(self, obligation: Obligation) -> Iterable[str]:
        if obligation.units:
            return [u for u in obligation.units if u in self.chart.units]
        if obligation.level is not None:
            return self.chart.units_at_level(obligation.level)
        return self.chart.units

    def _govern_areas(self, numbered: list[tuple[int, Obligation]]) -> dict[str, Obligation]:
        best: dict[str, tuple[int, int, int]] = {}
        governs: dict[str, Obligation] = {}
        for index, obligation in numbered:
            reach: dict[str, int] = {}
            if obligation.specificity == 2:
                reach = dict.fromkeys(self.chart.areas, 0)
            else:
                for unit_id in self._scope_units(obligation):
                    for area_id in self.chart.units[unit_id].area_ids:
                        for below, steps in self.chart.below(area_id).items():
                            reach[below] = min(steps, reach.get(below, steps))
            for area_id, steps in reach.items():
                rank = (obligation.specificity, steps, index)
                if area_id not in best or rank < best[area_id]:
                    best[area_id], governs[area_id] = rank, obligation
        return governs

    def _govern_units(self, numbered: list[tuple[int, Obligation]]) -> dict[str, Obligation]:
        governs: dict[str, Obligation] = {}
        for _, obligation in sorted(numbered, key=lambda x: (x[1].specificity, x[0])):
            for unit_id in self._scope_units(obligation):
                governs.setdefault(unit_id, obligation)
        return governs

    def kinds_for_area(self, area_id: str) -> frozenset[str]:
        """The kinds the cadres of an area owe, urgent included: what they may be asked for."""
        return frozenset(k for k, areas in self._areas.items() if area_id in areas)

    def area_rules(self, kind: str) -> list[tuple[Obligation, frozenset[str]]]:
        """The obligations that govern this kind for cadres, each with the areas it governs."""
        grouped: dict[int, tuple[Obligation, set[str]]] = {}
        for area_id, obligation in self._areas.get(kind, {}).items():
            grouped.setdefault(id(obligation), (obligation, set()))[1].add(area_id)
        return [(o, frozenset(areas)) for o, areas in grouped.values()]

    def cadre_deadline(self, kind: str, period: Period, area_id: str) -> datetime | None:
        """When the cadres of this area owe this kind for this period; None if they owe none
        (no obligation reaches the area, an urgent kind, or no date for the period)."""
        obligation = self._areas.get(kind, {}).get(area_id)
        return None if obligation is None else obligation.deadline(period, self.schedule)

    def for_cadre(self, cadre_id: str) -> ObligationEngine:
        """The same engine over one cadre's assignments: what that cadre owes, cheaply."""
        return self.with_assignments(a for a in self.chart.assignments if a.cadre_id == cadre_id)

    def kinds_for_unit(self, unit_id: str) -> frozenset[str]:
        """The kinds a unit owes as its own report, if it has anyone to send it to."""
        if not self.chart.recipients(unit_id):
            return frozenset()
        return frozenset(k for k, units in self._units.items() if unit_id in units)

    # -- what is owed ----------------------------------------------------------------------

    def owed(self, period: Period, kinds: Iterable[str] | None = None,
             owner: OwnerType | None = None) -> list[OwedItem]:
        """Every item owed for this period, for the kinds filed on its cadence (by one type
        of owner if given)."""
        wanted = set(self._areas) if kinds is None else set(kinds)
        items = [item for kind in sorted(wanted & set(self._areas))
                 if REPORT_KIND_CADENCE.get(kind) is period.cadence
                 for item in self._owed(kind, period, owner)]
        return sorted(items, key=_order)

    def _owed(self, kind: str, period: Period,
              owner: OwnerType | None = None) -> Iterator[OwedItem]:
        if owner is not OwnerType.UNIT:
            yield from self._owed_by_cadres(kind, period)
        if owner is not OwnerType.CADRE:
            yield from self._owed_by_units(kind, period)

    def _owed_by_cadres(self, kind: str, period: Period) -> Iterator[OwedItem]:
        areas = self._areas[kind]
        for obligation in {id(o): o for o in areas.values()}.values():
            due = obligation.deadline(period, self.schedule)
            if due is None:
                continue
            for a in self.chart.active_at(due):
                if areas.get(a.area_id) is obligation:
                    yield OwedItem(kind, period, Owner(OwnerType.CADRE, a.cadre_id), a.area_id,
                                   self.chart.unit_for_area(a.area_id), due,
                                   obligation.reminder(due))

    def _owed_by_units(self, kind: str, period: Period) -> Iterator[OwedItem]:
        for unit_id, obligation in self._units[kind].items():
            due = obligation.deadline(period, self.schedule)
            recipients = self.chart.recipients(unit_id)
            if due is not None and recipients:
                yield OwedItem(kind, period, Owner(OwnerType.UNIT, unit_id), None, unit_id, due,
                               obligation.reminder(due), recipients)

    def _periods(self, kind: str, start: datetime, end: datetime) -> list[Period]:
        cadence = REPORT_KIND_CADENCE.get(kind)
        if cadence is None:  # urgent: nothing is ever owed on a date
            return []
        early = max(start - _LOOKBACK.get(cadence, _LOOKBACK_LONG), _FIRST)
        return self.schedule.periods_between(cadence, early, end)

    def _deadlines(self, kind: str, period: Period) -> set[datetime]:
        governing = [*self._areas[kind].values(), *self._units[kind].values()]
        dues = {o.deadline(period, self.schedule) for o in {id(o): o for o in governing}.values()}
        return {due for due in dues if due is not None}

    def due_between(self, start: datetime, end: datetime) -> list[OwedItem]:
        """Every item whose deadline falls in [start, end): for reminders and overdue sweeps."""
        items: list[OwedItem] = []
        for kind in sorted(self._areas):
            for period in self._periods(kind, start, end):
                # Assignments are scanned only for periods that fall due in the window.
                if any(start <= due < end for due in self._deadlines(kind, period)):
                    items.extend(i for i in self._owed(kind, period) if start <= i.deadline < end)
        return sorted(items, key=_order)

    def open_at(self, at: datetime) -> list[OwedItem]:
        """Items of the periods running at `at`, and of earlier ones not yet due."""
        items: list[OwedItem] = []
        for kind in sorted(self._areas):
            for period in self._periods(kind, at, at + timedelta(microseconds=1)):
                begins, ends = self.schedule.bounds(period)
                if begins > at:
                    continue
                running = at < ends
                if running or any(at < due for due in self._deadlines(kind, period)):
                    items.extend(i for i in self._owed(kind, period)
                                 if running or at < i.deadline)
        return sorted(items, key=_order)

    # -- how each item stands ----------------------------------------------------------------

    def standing(
        self, items: Iterable[OwedItem], receipts: Iterable[Receipt], at: datetime
    ) -> list[Standing]:
        """Each item's status at `at`, judged by the first receipt of it made by then; an
        item whose only receipts stand returned for correction is `returned`."""
        first: dict[tuple[str, Period, Owner, str | None], datetime] = {}
        returned: set[tuple[str, Period, Owner, str | None]] = set()
        for receipt in receipts:
            if receipt.submitted_at > at:
                continue
            if receipt.returned:
                returned.add(receipt.key)
                continue
            known = first.get(receipt.key)
            if known is None or receipt.submitted_at < known:
                first[receipt.key] = receipt.submitted_at
        out: list[Standing] = []
        for item in items:
            got = first.get(item.key)
            if got is not None:
                status = Status.RECEIVED if got < item.deadline else Status.LATE
            elif item.key in returned:
                status = Status.RETURNED
            else:
                status = Status.OVERDUE if at >= item.deadline else Status.PENDING
            out.append(Standing(item, status, got))
        return out


def _order(item: OwedItem) -> tuple[datetime, str, str, str, str]:
    owner = item.owner
    return (item.deadline, item.kind, owner.type.value, owner.id, item.area_id or "")
