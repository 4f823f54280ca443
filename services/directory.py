"""The directory: who and what exists now, projected in memory from the event store."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.account import Account
from domain.assignment import Assignment
from domain.assignment import covers as assignment_covers
from domain.network import Network
from domain.report import Report
from domain.schedule import Schedule
from services.store import Store

_BATCH = 2000


@dataclass(frozen=True)
class AccountView:
    id: UUID
    username: str
    name: str
    role: str
    unit_id: str | None
    cadre_id: str | None
    password_hash: str
    active: bool


@dataclass(frozen=True)
class AssignmentView:
    id: UUID
    cadre_id: str
    area_id: str
    valid_from: datetime
    valid_until: datetime | None

    def covers(self, at: datetime) -> bool:
        return assignment_covers(self.valid_from, self.valid_until, at)


@dataclass(frozen=True)
class ReportIndexEntry:
    report_id: UUID
    kind: str
    period: str | None
    area_id: str
    cadre_id: str
    submitted_at: datetime
    position: int


@dataclass
class _State:
    network: Network | None = None
    accounts: dict[UUID, AccountView] = field(default_factory=dict)
    usernames: dict[str, UUID] = field(default_factory=dict)
    assignments: dict[UUID, AssignmentView] = field(default_factory=dict)
    by_cadre: dict[str, set[UUID]] = field(default_factory=lambda: defaultdict(set))
    reports: list[ReportIndexEntry] = field(default_factory=list)


class Directory:
    """Follows the store's notification log; every read first catches up with it."""

    def __init__(self, store: Store):
        self.store = store
        self.position = 0
        self._lock = threading.Lock()
        self._s = _State()
        self._derived: dict[str, Any] = {}

    # -- catching up ---------------------------------------------------------------
    def refresh(self) -> int:
        with self._lock:
            while True:
                batch = self.store.notifications_after(self.position, _BATCH)
                if not batch:
                    return self.position
                network_changed = False
                accounts: set[UUID] = set()
                assignments: set[UUID] = set()
                for n in batch:
                    prefix = n.topic.split(":", 1)[1].split(".", 1)[0]
                    if prefix == Network.__name__:
                        network_changed = True
                    elif prefix == Account.__name__:
                        accounts.add(UUID(str(n.originator_id)))
                    elif prefix == Assignment.__name__:
                        assignments.add(UUID(str(n.originator_id)))
                    elif prefix == Report.__name__:
                        event = self.store.mapper.to_domain_event(n)
                        self._s.reports.append(ReportIndexEntry(
                            report_id=event.originator_id,
                            kind=event.kind,  # type: ignore[attr-defined]
                            period=event.period,  # type: ignore[attr-defined]
                            area_id=event.area_id,  # type: ignore[attr-defined]
                            cadre_id=event.cadre_id,  # type: ignore[attr-defined]
                            submitted_at=event.submitted_at,  # type: ignore[attr-defined]
                            position=n.id,
                        ))
                upto = batch[-1].id
                if network_changed:
                    # Latest state, possibly past `upto`; the next refresh reloads it anyway.
                    self._s.network = self.store.repository.get(Network.create_id())
                    self._derived = {}
                for account_id in accounts:
                    self._load_account(account_id)
                for assignment_id in assignments:
                    self._load_assignment(assignment_id)
                self.position = upto

    def _load_account(self, account_id: UUID) -> None:
        account: Account = self.store.repository.get(account_id)
        self._s.accounts[account_id] = AccountView(
            id=account.id, username=account.username, name=account.name, role=account.role,
            unit_id=account.unit_id, cadre_id=account.cadre_id,
            password_hash=account.password_hash, active=account.active,
        )
        self._s.usernames[account.username] = account.id

    def _load_assignment(self, assignment_id: UUID) -> None:
        a: Assignment = self.store.repository.get(assignment_id)
        self._s.assignments[assignment_id] = AssignmentView(
            id=a.id, cadre_id=a.cadre_id, area_id=a.area_id,
            valid_from=a.valid_from, valid_until=a.valid_until,
        )
        self._s.by_cadre[a.cadre_id].add(assignment_id)

    # -- the network -------------------------------------------------------------
    @property
    def network(self) -> Network | None:
        return self._s.network

    def _net(self) -> Network:
        if self._s.network is None:
            raise LookupError("no network has been loaded")
        return self._s.network

    def has_network(self) -> bool:
        return self._s.network is not None

    def schedule(self) -> Schedule:
        net = self._s.network
        if net is None or not net.schedule:
            return Schedule()
        return Schedule.from_mapping(net.schedule)

    def area(self, area_id: str) -> dict[str, Any] | None:
        return self._net().areas.get(area_id) if self._s.network else None

    def unit(self, unit_id: str) -> dict[str, Any] | None:
        return self._net().units.get(unit_id) if self._s.network else None

    def cadre(self, cadre_id: str) -> dict[str, Any] | None:
        return self._net().cadres.get(cadre_id) if self._s.network else None

    def units(self) -> list[dict[str, Any]]:
        if self._s.network is None:
            return []
        return [u for u in self._s.network.units.values() if not u.get("retired")]

    def area_path(self, area_id: str) -> list[str]:
        """Ids from the root area down to `area_id`."""
        areas = self._net().areas
        path: list[str] = []
        current: str | None = area_id
        while current is not None and current in areas and len(path) < 64:
            path.append(current)
            current = areas[current].get("parent")
        return list(reversed(path))

    def _cached(self, key: str, build: Any) -> Any:
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def area_children(self) -> dict[str, list[str]]:
        def build() -> dict[str, list[str]]:
            children: dict[str, list[str]] = defaultdict(list)
            for area in self._net().areas.values():
                if area.get("parent") and not area.get("retired"):
                    children[area["parent"]].append(area["id"])
            return dict(children)
        result: dict[str, list[str]] = self._cached("area_children", build)
        return result

    def unit_children(self) -> dict[str, list[str]]:
        def build() -> dict[str, list[str]]:
            children: dict[str, list[str]] = defaultdict(list)
            for unit in self.units():
                if unit.get("parent"):
                    children[unit["parent"]].append(unit["id"])
            return dict(children)
        result: dict[str, list[str]] = self._cached("unit_children", build)
        return result

    def area_descendants(self, area_id: str) -> set[str]:
        children = self.area_children()
        seen = {area_id}
        stack = [area_id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def unit_subtree(self, unit_id: str) -> set[str]:
        """The unit and every unit that rolls up to it."""
        children = self.unit_children()
        seen = {unit_id}
        stack = [unit_id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def unit_scope(self, unit_id: str) -> set[str]:
        """What a unit's leaders may read: its rollup subtree and the subtrees copied to it."""
        def build() -> set[str]:
            scope = self.unit_subtree(unit_id)
            for unit in self.units():
                if unit_id in unit.get("copies_to", []):
                    scope |= self.unit_subtree(unit["id"])
            return scope
        result: set[str] = self._cached(f"scope:{unit_id}", build)
        return result

    def visible_areas(self, unit_id: str) -> set[str]:
        def build() -> set[str]:
            areas: set[str] = set()
            for uid in self.unit_scope(unit_id):
                unit = self.unit(uid)
                for area_id in (unit or {}).get("area_ids", []):
                    areas |= self.area_descendants(area_id)
            return areas
        result: set[str] = self._cached(f"areas:{unit_id}", build)
        return result

    def unit_for_area(self, area_id: str) -> str | None:
        """The lowest unit that covers the area directly (a village's chi hội)."""
        def build() -> dict[str, str]:
            best: dict[str, tuple[int, str]] = {}
            for unit in self.units():
                for aid in unit.get("area_ids", []):
                    depth = len(self.area_path(aid))
                    if aid not in best or depth > best[aid][0]:
                        best[aid] = (depth, unit["id"])
            return {aid: uid for aid, (_, uid) in best.items()}
        table: dict[str, str] = self._cached("unit_for_area", build)
        path = self.area_path(area_id)
        for aid in reversed(path):
            if aid in table:
                return table[aid]
        return None

    # -- accounts and assignments -----------------------------------------------------
    def account(self, account_id: UUID) -> AccountView | None:
        return self._s.accounts.get(account_id)

    def account_by_username(self, username: str) -> AccountView | None:
        account_id = self._s.usernames.get(username)
        return None if account_id is None else self._s.accounts.get(account_id)

    def accounts(self) -> list[AccountView]:
        return list(self._s.accounts.values())

    def assignments(self) -> list[AssignmentView]:
        return list(self._s.assignments.values())

    def assignments_of(self, cadre_id: str) -> list[AssignmentView]:
        return [self._s.assignments[i] for i in self._s.by_cadre.get(cadre_id, ())]

    def assignment_at(self, cadre_id: str, area_id: str, at: datetime) -> AssignmentView | None:
        for a in self.assignments_of(cadre_id):
            if a.area_id == area_id and a.covers(at):
                return a
        return None

    def assigned_areas(self, cadre_id: str, at: datetime) -> list[str]:
        return sorted({a.area_id for a in self.assignments_of(cadre_id) if a.covers(at)})

    # -- reports ------------------------------------------------------------------------
    def reports(self) -> list[ReportIndexEntry]:
        return list(self._s.reports)
