"""Where a report lands in time, and which reports a rollup period covers (docs/aggregator.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from domain.periods import REPORT_KIND_CADENCE, URGENT, Cadence, Period
from domain.schedule import Schedule

_KIND_OF_CADENCE = {cadence: kind for kind, cadence in REPORT_KIND_CADENCE.items()}


def stamp(instant: datetime) -> str:
    """A UTC instant as text that sorts like time: the read model's `at` column."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unstamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Slot:
    """One deadline a rollup expects reports for: a kind and its period."""

    kind: str
    period: str
    deadline: datetime


@dataclass(frozen=True)
class Selection:
    """What a rollup period covers: its own periodic slot, the weeks due in it, urgent reports."""

    period: Period
    start: datetime
    end: datetime
    periodic_kind: str | None
    slots: tuple[Slot, ...]

    @property
    def start_at(self) -> str:
        return stamp(self.start)

    @property
    def end_at(self) -> str:
        return stamp(self.end)


class Calendar:
    """The network's schedule with the look-ups a projection repeats, cached."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self._deadlines: dict[tuple[str, str], tuple[str, datetime]] = {}

    def deadline(self, kind: str, period: str) -> tuple[str, datetime]:
        """The deadline of a periodic or weekly report, stamped and as a datetime."""
        key = (kind, period)
        found = self._deadlines.get(key)
        if found is None:
            due = self.schedule.deadline(kind, Period.for_kind(kind, period))
            found = self._deadlines[key] = (stamp(due), due)
        return found

    def place(self, kind: str, period: str | None, submitted_at: str) -> tuple[str, str]:
        """(slot, at): a weekly or periodic report by its period and deadline, urgent by day."""
        if kind != URGENT and period is not None:
            return period, self.deadline(kind, period)[0]
        # Urgent reports are rare; by local day, since period bounds fall on local midnight.
        local = datetime.fromisoformat(submitted_at).astimezone(self.schedule.tz)
        midnight = datetime.combine(local.date(), time(0), tzinfo=self.schedule.tz)
        return local.date().isoformat(), stamp(midnight)

    def selection(self, period: Period) -> Selection:
        start, end = self.schedule.bounds(period)
        slots: list[Slot] = []
        periodic_kind = None
        if period.cadence is not Cadence.WEEK:
            periodic_kind = _KIND_OF_CADENCE[period.cadence]
            slots.append(Slot(periodic_kind, str(period),
                              self.deadline(periodic_kind, str(period))[1]))
        # A week counts where its deadline falls, and a deadline lies in its own week.
        for week in self.schedule.periods_between(Cadence.WEEK, start, end):
            due = self.deadline("weekly", str(week))[1]
            if start <= due < end:
                slots.append(Slot("weekly", str(week), due))
        slots.sort(key=lambda s: (s.deadline, s.kind))
        return Selection(period, start, end, periodic_kind, tuple(slots))
