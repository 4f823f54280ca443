"""The NetworkView with the look-ups rollups repeat, cached until the network changes."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from domain.network_records import Area, Cadre, Unit
from services.aggregator.calendar import Calendar
from services.common.network_view import NetworkView

Pair = tuple[str, str]  # (cadre_id, area_id)


class NetworkIndex:
    """Ancestors of areas, the areas a unit covers, and the pairs owing a kind at an instant."""

    def __init__(self, view: NetworkView | None = None):
        self.view = view or NetworkView()
        self.version = 0
        self._calendar: Calendar | None = None
        self._ancestors: dict[str, tuple[str, ...]] = {}
        self._tops: dict[str, tuple[str, ...]] = {}
        self._instants: list[datetime] | None = None
        self._epochs: dict[tuple[int, str], dict[str, list[Pair]]] = {}
        self._expected: dict[int, set[Pair]] = {}
        self._owing: dict[str, frozenset[str]] = {}

    def apply(self, type_: str, aggregate_id: UUID | str, data: Mapping[str, Any]) -> bool:
        if not self.view.apply(type_, aggregate_id, data):
            return False
        # Obligations decide which kinds are expected, as the schedule decides when.
        self.changed(schedule=type_ in ("NetworkScheduleDefined", "NetworkObligationsDefined"))
        return True

    def changed(self, *, schedule: bool = False) -> None:
        self.version += 1
        if schedule:
            self._calendar = None
        self._ancestors = {}
        self._tops = {}
        self._instants = None
        self._epochs = {}
        self._expected = {}
        self._owing = {}

    @property
    def calendar(self) -> Calendar:
        if self._calendar is None:
            self._calendar = Calendar(self.view.schedule())
        return self._calendar

    # -- areas and units ---------------------------------------------------------------
    def ancestors(self, area_id: str) -> tuple[str, ...]:
        """The area and every area above it; an unknown area is its own only ancestor."""
        found = self._ancestors.get(area_id)
        if found is None:
            found = tuple(self.view.area_path(area_id)) or (area_id,)
            self._ancestors[area_id] = found
        return found

    def tops(self, unit_id: str) -> tuple[str, ...]:
        """The fewest areas whose subtrees hold every area of the unit's rollup subtree."""
        found = self._tops.get(unit_id)
        if found is None:
            areas: set[str] = set()
            for uid in self.view.unit_subtree(unit_id):
                unit = self.view.units.get(uid)
                areas.update(() if unit is None else unit.area_ids)
            found = tuple(sorted(a for a in areas
                                 if not any(up in areas for up in self.ancestors(a)[:-1])))
            self._tops[unit_id] = found
        return found

    def unit(self, unit_id: str) -> Unit | None:
        unit = self.view.units.get(unit_id)
        return None if unit is None or unit.retired else unit

    def children(self, unit_id: str) -> list[str]:
        return self.view.unit_children().get(unit_id, [])

    def name(self, table: Literal["areas", "units", "cadres"], key: str) -> str:
        """The record's name; its id when the network does not know it."""
        records: Mapping[str, Area | Unit | Cadre] = getattr(self.view, table)
        record = records.get(key)
        return key if record is None else record.name

    # -- expectations --------------------------------------------------------------------
    def owes(self, area_id: str, kind: str) -> bool:
        """Whether the cadres of the area owe this kind (the one obligation engine)."""
        found = self._owing.get(area_id)
        if found is None:
            found = self._owing[area_id] = self.view.governance().kinds_for_area(area_id)
        return kind in found

    def is_expected(self, cadre_id: str, area_id: str, at: datetime, kind: str) -> bool:
        """Whether the area's cadres owe the kind and the cadre was assigned to it at the
        deadline `at`."""
        if not self.owes(area_id, kind):
            return False
        epoch = self._epoch(at)
        found = self._expected.get(epoch)
        if found is None:
            found = self._expected[epoch] = {
                (a.cadre_id, a.area_id) for a in self.view.expected_at(at)}
        return (cadre_id, area_id) in found

    def _epoch(self, at: datetime) -> int:
        # Between two consecutive assignment start/end instants the active set is constant.
        if self._instants is None:
            instants: set[datetime] = set()
            for a in self.view.assignments.values():
                instants.add(a.valid_from)
                if a.valid_until is not None:
                    instants.add(a.valid_until)
            self._instants = sorted(instants)
        return bisect_right(self._instants, at)

    def _expected_by_area(self, at: datetime, kind: str) -> dict[str, list[Pair]]:
        key = (self._epoch(at), kind)
        found = self._epochs.get(key)
        if found is None:
            found = {}
            pairs = sorted({(a.cadre_id, a.area_id) for a in self.view.expected_at(at)
                            if self.owes(a.area_id, kind)})
            for pair in pairs:
                for area_id in self.ancestors(pair[1]):
                    found.setdefault(area_id, []).append(pair)
            self._epochs[key] = found
        return found

    def expected_pairs(self, at: datetime, tops: tuple[str, ...], kind: str) -> list[Pair]:
        """The (cadre, area) pairs owing a report of this kind due at `at`, within `tops`."""
        by_area = self._expected_by_area(at, kind)
        return [pair for top in tops for pair in by_area.get(top, ())]

    def expected_count(self, at: datetime, tops: tuple[str, ...], kind: str) -> int:
        by_area = self._expected_by_area(at, kind)
        return sum(len(by_area.get(top, ())) for top in tops)
