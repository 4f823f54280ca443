"""The intake's directory: the network view, password hashes and a report index, from the store."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.network_records import Area, AssignmentRecord, Cadre, Unit
from services.common import wire
from services.common.network_view import NetworkView
from services.common.store import Store
from services.intake.unit_report_index import UnitReportIndex

_BATCH = 2000
# Events that set a password on its owner's behalf; AccountOpened says whether it did.
_SETS_A_PASSWORD = frozenset({"AccountOpened", "AccountPasswordReset"})

__all__ = ["AccountView", "CaseIndexEntry", "Directory", "ReportIndexEntry"]


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
    # Its password was set by someone else (an admin, a plan file): until its owner
    # changes it, the account may do nothing else (service.authenticate, the web's viewer).
    must_change_password: bool = False


@dataclass(frozen=True)
class CaseIndexEntry:
    id: UUID
    tracking_number: str
    area_id: str


@dataclass(frozen=True)
class ReportIndexEntry:
    report_id: UUID
    kind: str
    period: str | None
    area_id: str
    cadre_id: str
    submitted_at: datetime
    position: int
    # Returned for correction and not yet corrected: its pair stands `returned`.
    returned: bool = False
    revision: int = 1


class Directory:
    """Follows the store's notification log; reads catch up with it first (`refresh`)."""

    def __init__(self, store: Store):
        self.store = store
        self.position = 0
        self.view = NetworkView()
        self._hashes: dict[UUID, str] = {}
        self._must_change: set[UUID] = set()
        self._reports: list[ReportIndexEntry] = []
        self._report_index: dict[UUID, int] = {}  # report id → its place in _reports
        self._cases: dict[str, CaseIndexEntry] = {}
        self._case_sequence: dict[int, int] = {}
        self._reads: dict[UUID, list[dict[str, Any]]] = {}
        self.unit_reports = UnitReportIndex()
        self._lock = threading.Lock()
        self._begun = 0  # refreshes begun so far (under _lock)

    def refresh(self) -> int:
        """Catch up with the log. Concurrent callers share one read: a refresh that began
        after this call did reads everything committed before it, so waiting for it is enough."""
        seen = self._begun
        with self._lock:
            if self._begun != seen:
                return self.position
            self._begun += 1
            while True:
                batch = self.store.notifications_after(self.position, _BATCH)
                if not batch:
                    return self.position
                for n in batch:
                    self._apply(n)
                self.position = batch[-1].id

    def _apply(self, notification: Any) -> None:
        event = self.store.mapper.to_domain_event(notification)
        type_ = wire.event_type(notification.topic)
        data = vars(event)
        aggregate_id = UUID(str(notification.originator_id))
        if self.view.apply(type_, aggregate_id, data):
            if "password_hash" in data:
                self._hashes[aggregate_id] = str(data["password_hash"])
            if type_ in _SETS_A_PASSWORD and data.get("must_change_password", True):
                self._must_change.add(aggregate_id)
            elif type_ in _SETS_A_PASSWORD or type_ == "AccountPasswordChanged":
                self._must_change.discard(aggregate_id)
        elif type_ == "ReportSubmitted":
            self._report_index[aggregate_id] = len(self._reports)
            self._reports.append(ReportIndexEntry(
                report_id=aggregate_id, kind=data["kind"], period=data["period"],
                area_id=data["area_id"], cadre_id=data["cadre_id"],
                submitted_at=data["submitted_at"], position=notification.id,
            ))
        elif type_ in ("ReportReturned", "ReportCorrected"):
            # The entry keeps the first submission's time: timeliness is judged by it.
            place = self._report_index.get(aggregate_id)
            if place is not None:
                self._reports[place] = replace(self._reports[place],
                                               returned=type_ == "ReportReturned",
                                               revision=int(data["revision"]))
        elif type_ == "CaseOpened":
            number = str(data["tracking_number"])
            self._cases[number] = CaseIndexEntry(aggregate_id, number, str(data["area_id"]))
            year, sequence = int(number[3:7]), int(number[8:])
            self._case_sequence[year] = max(self._case_sequence.get(year, 0), sequence)
        elif self.unit_reports.apply(type_, aggregate_id, data, notification.id):
            pass
        elif type_ == "AuditReadRecorded":
            self._reads.setdefault(data["case_id"], []).append({
                "account_id": data["account_id"], "what": data["what"],
                "at": data["at"].isoformat(), "position": notification.id})

    # -- accounts, with the secrets only the intake holds ------------------------------
    def account(self, account_id: UUID) -> AccountView | None:
        info = self.view.accounts.get(account_id)
        if info is None:
            return None
        return AccountView(info.id, info.username, info.name, info.role, info.unit_id,
                           info.cadre_id, self._hashes.get(account_id, ""), info.active,
                           account_id in self._must_change)

    def account_by_username(self, username: str) -> AccountView | None:
        account_id = self.view.usernames.get(username)
        return None if account_id is None else self.account(account_id)

    def accounts(self) -> list[AccountView]:
        return [a for a in map(self.account, self.view.accounts) if a is not None]

    # -- reports ------------------------------------------------------------------------
    def reports(self) -> list[ReportIndexEntry]:
        return list(self._reports)

    # -- cases ------------------------------------------------------------------------------
    def case(self, tracking_number: str) -> CaseIndexEntry | None:
        return self._cases.get(tracking_number)

    def cases(self) -> list[CaseIndexEntry]:
        return list(self._cases.values())

    def last_case_sequence(self, year: int) -> int:
        return self._case_sequence.get(year, 0)

    def case_reads(self, case_id: UUID) -> list[dict[str, Any]]:
        return list(self._reads.get(case_id, []))

    # -- the network (delegated, so that one piece of code answers for every service) ----
    def has_network(self) -> bool:
        return self.view.loaded

    def schedule(self) -> Any:
        return self.view.schedule()

    def area(self, area_id: str) -> Area | None:
        return self.view.areas.get(area_id)

    def unit(self, unit_id: str) -> Unit | None:
        return self.view.units.get(unit_id)

    def cadre(self, cadre_id: str) -> Cadre | None:
        return self.view.cadres.get(cadre_id)

    def units(self) -> list[Unit]:
        return self.view.live_units()

    def assignments(self) -> list[AssignmentRecord]:
        return list(self.view.assignments.values())

    def assignment(self, assignment_id: UUID) -> AssignmentRecord | None:
        return self.view.assignments.get(assignment_id)

    def area_path(self, area_id: str) -> list[str]:
        return self.view.area_path(area_id)

    def unit_children(self) -> dict[str, list[str]]:
        return self.view.unit_children()

    def unit_scope(self, unit_id: str) -> set[str]:
        return self.view.unit_scope(unit_id)

    def visible_areas(self, unit_id: str) -> set[str]:
        return self.view.visible_areas(unit_id)

    def unit_for_area(self, area_id: str) -> str | None:
        return self.view.unit_for_area(area_id)

    def assignment_at(self, cadre_id: str, area_id: str, at: datetime) -> AssignmentRecord | None:
        return self.view.assignment_at(cadre_id, area_id, at)

    def assigned_areas(self, cadre_id: str, at: datetime) -> list[str]:
        return self.view.assigned_areas(cadre_id, at)
