"""The network as it stands, projected from events — shared by every service.

Fed either from the store (the intake's directory) or from JetStream envelopes
(the aggregator, the notifier): `apply(type, aggregate_id, data)` takes the
event type of the wire format (``NetworkAreaDefined``, ``AssignmentEnded`` …)
and the event's fields, with times as datetimes or ISO strings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from domain import access
from domain.account import Role
from domain.clock import as_instant
from domain.expectation import expected_at
from domain.network_records import AccountRecord, Area, AssignmentRecord, Cadre, Level, Unit
from domain.obligation_engine import ObligationEngine
from domain.obligations import Obligation, from_schedule
from domain.org_chart import ChartArea, ChartAssignment, ChartUnit, OrgChart
from domain.schedule import Schedule

Record = dict[str, Any]
_T = TypeVar("_T")


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


# Each kind of network record: the table it goes to and how its event payload is read.
_NETWORK_RECORDS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
    "Level": ("levels", Level.from_record), "Area": ("areas", Area.from_record),
    "Unit": ("units", Unit.from_record), "Cadre": ("cadres", Cadre.from_record)}


class NetworkView:
    """Levels, areas, units, cadres, schedule, accounts and assignments; no secrets."""

    def __init__(self) -> None:
        self.name = ""
        self.loaded = False
        self.levels: dict[str, Level] = {}
        self.areas: dict[str, Area] = {}
        self.units: dict[str, Unit] = {}
        self.cadres: dict[str, Cadre] = {}
        self.schedule_record: Record = {}
        self.escalation: Record = {}
        self.obligation_records: list[Record] = []
        self.accounts: dict[UUID, AccountRecord] = {}
        self.usernames: dict[str, UUID] = {}
        self.assignments: dict[UUID, AssignmentRecord] = {}
        self._by_cadre: dict[str, set[UUID]] = defaultdict(set)
        self._by_area: dict[str, set[UUID]] = defaultdict(set)
        self._derived: dict[str, Any] = {}
        self._governance: ObligationEngine | None = None
        self._engine: ObligationEngine | None = None

    # -- applying events -------------------------------------------------------------
    def apply(self, type_: str, aggregate_id: UUID | str, data: Mapping[str, Any]) -> bool:
        """Apply one event; False if it is not about the network."""
        if type_.startswith("Network"):
            self._governance = None
        if type_.startswith(("Network", "Assignment")):
            self._engine = None  # its chart holds the tree and the assignments
        if type_.startswith("Network"):
            self._apply_network(type_[len("Network"):], data)
            self._derived = {}
            return True
        if type_.startswith("Account"):
            self._apply_account(type_[len("Account"):], _uuid(aggregate_id), data)
            return True
        if type_.startswith("Assignment"):
            self._apply_assignment(type_[len("Assignment"):], _uuid(aggregate_id), data)
            return True
        return False

    def _apply_network(self, what: str, data: Mapping[str, Any]) -> None:
        if what == "Created":
            self.loaded = True
            self.name = str(data["name"])
        elif what == "Renamed":
            self.name = str(data["name"])
        elif what == "ScheduleDefined":
            self.schedule_record = dict(data["schedule"])
        elif what == "EscalationDefined":
            self.escalation = dict(data["escalation"])
        elif what == "ObligationsDefined":
            self.obligation_records = [dict(o) for o in data["obligations"]]
        elif what.endswith("Defined"):
            kind = what[: -len("Defined")]
            table, read = _NETWORK_RECORDS[kind]
            record = read(data[kind.lower()])
            getattr(self, table)[record.id] = record
        elif what.endswith("Retired"):
            kind = what[: -len("Retired")]
            records = getattr(self, _NETWORK_RECORDS[kind][0])
            key = str(data[f"{kind.lower()}_id"])
            # Kept, marked: old events still name it, and history must resolve.
            if key in records:
                records[key] = records[key].retire()

    def _apply_account(self, what: str, account_id: UUID, data: Mapping[str, Any]) -> None:
        current = self.accounts.get(account_id)
        if what == "Opened":
            info = AccountRecord(account_id, str(data["username"]), str(data["name"]),
                                 str(data["role"]), data.get("unit_id"), data.get("cadre_id"), True)
        elif current is None:
            return
        elif what == "Updated":
            info = AccountRecord(account_id, current.username, str(data["name"]),
                                 str(data["role"]), data.get("unit_id"), data.get("cadre_id"),
                                 current.active)
        elif what in ("Disabled", "Enabled"):
            info = AccountRecord(current.id, current.username, current.name, current.role,
                                 current.unit_id, current.cadre_id, what == "Enabled")
        else:
            return
        self.accounts[account_id] = info
        self.usernames[info.username] = account_id

    def _apply_assignment(self, what: str, assignment_id: UUID, data: Mapping[str, Any]) -> None:
        if what == "Started":
            valid_from = as_instant(data["valid_from"])
            assert valid_from is not None
            view = AssignmentRecord(assignment_id, str(data["cadre_id"]), str(data["area_id"]),
                                    valid_from, as_instant(data.get("valid_until")))
            self._by_cadre[view.cadre_id].add(assignment_id)
            self._by_area[view.area_id].add(assignment_id)
        elif what in ("Rescheduled", "Ended") and assignment_id in self.assignments:
            old = self.assignments[assignment_id]
            view = AssignmentRecord(old.id, old.cadre_id, old.area_id, old.valid_from,
                                    as_instant(data.get("valid_until")))
        else:
            return
        self.assignments[assignment_id] = view

    # -- the tree --------------------------------------------------------------------
    def schedule(self) -> Schedule:
        """Read once until a network event (every submission and catch-up batch asks)."""
        return self._cached("schedule", lambda: Schedule.from_mapping(self.schedule_record)
                            if self.schedule_record else Schedule())

    def _cached(self, key: str, build: Callable[[], _T]) -> _T:
        if key not in self._derived:
            self._derived[key] = build()
        result: _T = self._derived[key]
        return result

    def live_units(self) -> list[Unit]:
        return [u for u in self.units.values() if not u.retired]

    def area_path(self, area_id: str) -> list[str]:
        """Ids from the root area down to `area_id`."""
        path: list[str] = []
        current: str | None = area_id
        while current is not None and current in self.areas and len(path) < 64:
            path.append(current)
            current = self.areas[current].parent
        return list(reversed(path))

    def area_children(self) -> dict[str, list[str]]:
        def build() -> dict[str, list[str]]:
            children: dict[str, list[str]] = defaultdict(list)
            for area in self.areas.values():
                if area.parent and not area.retired:
                    children[area.parent].append(area.id)
            return dict(children)
        return self._cached("area_children", build)

    def unit_children(self) -> dict[str, list[str]]:
        def build() -> dict[str, list[str]]:
            children: dict[str, list[str]] = defaultdict(list)
            for unit in self.live_units():
                if unit.parent:
                    children[unit.parent].append(unit.id)
            return {k: sorted(v) for k, v in children.items()}
        return self._cached("unit_children", build)

    def area_descendants(self, area_id: str) -> set[str]:
        return _closure(area_id, self.area_children())

    def unit_subtree(self, unit_id: str) -> set[str]:
        """The unit and every unit that rolls up to it."""
        return _closure(unit_id, self.unit_children())

    def unit_scope(self, unit_id: str) -> set[str]:
        """What a unit's leaders may read (`domain.access.unit_scope`), cached."""
        return self._cached(f"scope:{unit_id}", lambda: access.unit_scope(self, unit_id))

    def areas_of_units(self, unit_ids: Iterable[str]) -> set[str]:
        """The areas these units cover, each with every area below it."""
        areas: set[str] = set()
        for uid in unit_ids:
            unit = self.units.get(uid)
            for area_id in () if unit is None else unit.area_ids:
                areas |= self.area_descendants(area_id)
        return areas

    def subtree_areas(self, unit_id: str) -> set[str]:
        """The areas of the unit's rollup subtree: where its leaders act."""
        return self._cached(f"subtree_areas:{unit_id}",
                            lambda: self.areas_of_units(self.unit_subtree(unit_id)))

    def visible_areas(self, unit_id: str) -> set[str]:
        """The areas of everything the unit's leaders may read (`unit_scope`)."""
        return self._cached(f"areas:{unit_id}",
                            lambda: self.areas_of_units(self.unit_scope(unit_id)))

    def unit_for_area(self, area_id: str) -> str | None:
        """The lowest unit that covers the area directly (a village's chi hội)."""
        def build() -> dict[str, str]:
            best: dict[str, tuple[int, str]] = {}
            for unit in self.live_units():
                for aid in unit.area_ids:
                    depth = len(self.area_path(aid))
                    if aid not in best or depth > best[aid][0]:
                        best[aid] = (depth, unit.id)
            return {aid: uid for aid, (_, uid) in best.items()}
        table = self._cached("unit_for_area", build)
        for aid in reversed(self.area_path(area_id)):
            if aid in table:
                return table[aid]
        return None

    def leaders_of(self, unit_id: str) -> list[AccountRecord]:
        return [a for a in self.accounts.values()
                if a.active and a.role == Role.LEADER and a.unit_id == unit_id]

    # -- obligations -----------------------------------------------------------------
    def obligations(self) -> tuple[Obligation, ...]:
        """The recorded obligations; a network that recorded none owes what its schedule says."""
        if not self.obligation_records:
            return from_schedule(self.schedule())
        return tuple(Obligation.from_mapping(r) for r in self.obligation_records)

    def org_chart(self) -> OrgChart:
        """The live levels, areas, units and assignments, as the obligation engine reads them."""
        return self._tree().with_assignments(self._chart_assignments())

    def _tree(self) -> OrgChart:
        live = {k: u for k, u in self.units.items() if not u.retired}
        areas = [ChartArea(a.id, a.level, a.parent) for a in self.areas.values() if not a.retired]
        known = {a.id for a in areas}
        levels = sorted((lv for lv in self.levels.values() if not lv.retired),
                        key=lambda lv: (lv.rank, lv.id))
        units = [ChartUnit(u.id, u.parent if u.parent in live else None,
                           tuple(c for c in u.copies_to if c in live),
                           tuple(a for a in u.area_ids if a in known))
                 for u in live.values()]
        return OrgChart([lv.id for lv in levels], areas, units)

    def _chart_assignments(self) -> list[ChartAssignment]:
        live = {a for a, r in self.areas.items() if not r.retired}
        return [ChartAssignment(a.cadre_id, a.area_id, a.valid_from, a.valid_until)
                for a in self.assignments.values() if a.area_id in live]

    def governance(self) -> ObligationEngine:
        """The engine without assignments: which kinds are owed where and by when. Kept until
        a network event, so a run of assignment changes does not rebuild it."""
        if self._governance is None:
            self._governance = ObligationEngine(self._tree(), self.obligations(),
                                                self.schedule())
        return self._governance

    def engine(self) -> ObligationEngine:
        """The one obligation engine over this network, kept until the network changes."""
        if self._engine is None:
            self._engine = self.governance().with_assignments(self._chart_assignments())
        return self._engine

    # -- people ------------------------------------------------------------------------
    def account_by_username(self, username: str) -> AccountRecord | None:
        account_id = self.usernames.get(username)
        return None if account_id is None else self.accounts.get(account_id)

    def assignments_of(self, cadre_id: str) -> list[AssignmentRecord]:
        return [self.assignments[i] for i in self._by_cadre.get(cadre_id, ())]

    def assignments_in(self, area_id: str) -> list[AssignmentRecord]:
        return [self.assignments[i] for i in self._by_area.get(area_id, ())]

    def assignment_at(self, cadre_id: str, area_id: str, at: datetime) -> AssignmentRecord | None:
        for a in self.assignments_of(cadre_id):
            if a.area_id == area_id and a.covers(at):
                return a
        return None

    def assigned_areas(self, cadre_id: str, at: datetime) -> list[str]:
        return sorted({a.area_id for a in self.assignments_of(cadre_id) if a.covers(at)})

    def expected_at(self, deadline: datetime) -> list[AssignmentRecord]:
        """Every assignment that owes a report due at `deadline` (`domain.expectation`)."""
        return expected_at(deadline, self.assignments.values())


def _closure(start: str, children: Mapping[str, list[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
