"""The network as the obligation engine reads it: plain frozen records, built by the caller.

A plan file or the projected network view is turned into these; nothing here knows
about events, stores or retired records (leave retired ones out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime

from domain.assignment import covers


@dataclass(frozen=True)
class ChartArea:
    id: str
    level: str
    parent: str | None = None


@dataclass(frozen=True)
class ChartUnit:
    """A reporting unit: its one rollup `parent`, its copy recipients, the areas it covers."""

    id: str
    parent: str | None = None
    copies_to: tuple[str, ...] = ()
    area_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartAssignment:
    """A cadre watching an area over the half-open span [valid_from, valid_until)."""

    cadre_id: str
    area_id: str
    valid_from: datetime
    valid_until: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return covers(self.valid_from, self.valid_until, at)


class OrgChart:
    """Levels (top down), areas, units and assignments, with the questions obligations ask."""

    def __init__(
        self,
        levels: Sequence[str],
        areas: Iterable[ChartArea],
        units: Iterable[ChartUnit],
        assignments: Iterable[ChartAssignment] = (),
    ) -> None:
        self.levels = tuple(levels)
        self.areas = {a.id: a for a in areas}
        self.units = {u.id: u for u in units}
        self.assignments = tuple(assignments)
        self._rank = {level: rank for rank, level in enumerate(self.levels)}
        self._children: dict[str, list[str]] = defaultdict(list)
        for area in self.areas.values():
            if area.parent is not None:
                self._children[area.parent].append(area.id)
        # Several units may name one area (a town's association and its party board):
        # the first listed answers for it, as in the network view.
        self._unit_of_area: dict[str, str] = {}
        for unit in self.units.values():
            for area_id in unit.area_ids:
                self._unit_of_area.setdefault(area_id, unit.id)

    def with_assignments(self, assignments: Iterable[ChartAssignment]) -> OrgChart:
        """The same tree with other assignments, without indexing it again."""
        twin = copy(self)
        twin.assignments = tuple(assignments)
        return twin

    def depth(self, area_id: str) -> int:
        """0 for the root area, one more per step down."""
        steps, current = 0, self.areas[area_id].parent
        while current is not None and steps < len(self.areas):
            steps, current = steps + 1, self.areas[current].parent
        return steps

    def below(self, area_id: str) -> dict[str, int]:
        """The area and every area under it, each with how many steps down it lies."""
        found = {area_id: 0}
        stack = [area_id]
        while stack:
            current = stack.pop()
            for child in self._children.get(current, ()):
                if child not in found:
                    found[child] = found[current] + 1
                    stack.append(child)
        return found

    def level_of_unit(self, unit_id: str) -> str | None:
        """The highest level among the unit's areas; None for a unit that covers no area."""
        ranked = [self.areas[a].level for a in self.units[unit_id].area_ids if a in self.areas]
        return min(ranked, key=lambda level: self._rank.get(level, len(self._rank)), default=None)

    def units_at_level(self, level: str) -> tuple[str, ...]:
        return tuple(u for u in self.units if self.level_of_unit(u) == level)

    def unit_for_area(self, area_id: str) -> str | None:
        """The lowest unit covering the area itself or the nearest area above it."""
        current: str | None = area_id
        while current is not None and current in self.areas:
            if current in self._unit_of_area:
                return self._unit_of_area[current]
            current = self.areas[current].parent
        return None

    def recipients(self, unit_id: str) -> tuple[str, ...]:
        """Who receives the unit's own report: its parent first, then its copy recipients."""
        unit = self.units[unit_id]
        head = (unit.parent,) if unit.parent is not None else ()
        return head + tuple(c for c in unit.copies_to if c != unit.parent)

    def active_at(self, at: datetime) -> list[ChartAssignment]:
        return [a for a in self.assignments if a.covers(at)]
