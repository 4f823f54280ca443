"""Case use cases: open or join from hot spots, act on them, replay their history."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from domain.access import may_act, may_read, reader
from domain.account import Role
from domain.case import (
    MAX_NOTE,
    MAX_REASON,
    STATUSES,
    AuditRead,
    Case,
    case_id,
    parse_tracking_number,
    tracking_number,
)
from domain.clock import VN, Clock
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.idempotency import checked_key
from domain.report_content import clean_text, parse_instant
from services.common import wire
from services.common.store import Store
from services.intake.directory import AccountView, Directory

log = structlog.get_logger(__name__)

_ACTOR_FIELDS = ("at", "by")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _fingerprint(command: dict[str, Any]) -> str:
    blob = json.dumps(command, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _not_found() -> NotFound:
    return NotFound("not_found", "case not found", "Không tìm thấy vụ việc")


@dataclass(frozen=True)
class CaseChanges:
    """The cases a report opens or joins, to be saved with the report itself."""

    aggregates: list[Case]
    numbers: list[str]


class CaseService:
    def __init__(self, store: Store, directory: Directory, clock: Clock):
        self.store = store
        self.directory = directory
        self.clock = clock
        # One intake writes a store (RelayLock), so a lock in this process is enough for
        # numbers without gaps or refusals; several intakes on one store need a sequence in
        # the database instead.
        self._numbering = threading.Lock()

    def numbering(self, hot_spots: list[dict[str, Any]]) -> AbstractContextManager[None]:
        """Held around `for_report` and the save of a report that opens cases: the next
        number is read after the previous holder's commit, so concurrent writers never take
        the same one. Reports that open none do not wait."""
        if all("case_id" in spot for spot in hot_spots):
            return nullcontext()
        return self._numbered()

    @contextmanager
    def _numbered(self) -> Iterator[None]:
        with self._numbering:
            self.directory.refresh()
            yield

    # -- from reports -------------------------------------------------------------------
    def for_report(self, account: AccountView, report_id: UUID, area_id: str,
                   unit_id: str | None, hot_spots: list[dict[str, Any]], at: datetime,
                   sequence_offset: int = 0) -> CaseChanges:
        """New cases for new hot spots; a hot spot naming its case joins it."""
        year = at.astimezone(VN).year
        next_sequence = self.directory.last_case_sequence(year) + 1 + sequence_offset
        by = account.username
        opened: dict[str, Case] = {}
        numbers: list[str] = []
        for index, spot in enumerate(hot_spots):
            if "case_id" in spot:
                number = spot["case_id"]
                case = opened.get(number) or self._joinable(number, area_id, index)
                case.link_report(report_id=report_id, hot_spot_index=index,
                                 severity=spot["severity"], at=at, by=by)
            else:
                number = tracking_number(year, next_sequence)
                next_sequence += 1
                case = Case(tracking_number=number, area_id=area_id, unit_id=unit_id,
                            category=spot["category"], severity=spot["severity"],
                            title=spot["title"], description=spot["description"],
                            report_id=report_id, hot_spot_index=index, at=at, by=by)
            opened[number] = case
            numbers.append(number)
        return CaseChanges(list(opened.values()), numbers)

    def _joinable(self, number: str, area_id: str, index: int) -> Case:
        case: Case | None = self.store.find(case_id(number))
        field = f"hot_spots[{index}].case_id"
        if case is None:
            raise InvalidInput("unknown_case", f"{field}: no case {number}",
                               f"{field}: không có vụ việc {number}", field)
        # A report joins a case of its own area, or of an area above or below it.
        path = self.directory.area_path(area_id)
        if case.area_id not in path and area_id not in self.directory.area_path(case.area_id):
            raise Forbidden("case_out_of_scope", f"{field}: case {number} is in another area",
                            f"{field}: vụ việc {number} thuộc địa bàn khác", field)
        return case

    def _load(self, account: AccountView, number: str) -> Case:
        self.directory.refresh()
        if parse_tracking_number(number) is None:
            raise _not_found()
        case: Case | None = self.store.find(case_id(number))
        if case is None or not may_read(account, self.directory.view, case.area_id,
                                        at=self.clock.now()):
            raise _not_found()
        return case

    def _record_read(self, account: AccountView, case: Case, what: str) -> None:
        if account.role == Role.AUDITOR:
            self.store.save(AuditRead(account_id=str(account.id), case_id=case.id, what=what,
                                      at=self.clock.now()))

    # -- reading ------------------------------------------------------------------------
    def get(self, account: AccountView, number: str) -> dict[str, Any]:
        case = self._load(account, number)
        self._record_read(account, case, "state")
        return case.as_dict()

    def search(self, account: AccountView, status: str | None, query: str | None,
               limit: int = 100) -> list[dict[str, Any]]:
        if status is not None and status not in STATUSES:
            raise InvalidInput("invalid_field", f"status must be one of: {', '.join(STATUSES)}",
                               f"trạng thái phải là một trong: {', '.join(STATUSES)}", "status")
        self.directory.refresh()
        readable = reader(account, self.directory.view, self.clock.now())
        found = []
        for entry in sorted(self.directory.cases(), key=lambda e: e.tracking_number,
                            reverse=True):
            if query and query.strip().upper() not in entry.tracking_number:
                continue
            if not readable(entry.area_id, None):
                continue
            case: Case = self.store.repository.get(entry.id)
            if status is not None and case.status != status:
                continue
            found.append(case.as_dict())
            if len(found) >= limit:
                break
        return found

    def history(self, account: AccountView, number: str,
                as_of: str | None = None) -> dict[str, Any]:
        case = self._load(account, number)
        cutoff = None if as_of is None else parse_instant(as_of, "as_of")
        positions = self.store.positions(case.id)
        events = []
        state_version = None
        state: Any = None
        for event in self.store.events.get(case.id):
            at: datetime = event.at  # type: ignore[attr-defined]
            if cutoff is not None and at > cutoff:
                break
            state_version = event.originator_version
            # The state is rebuilt from these same events, not read from a snapshot.
            state = event.mutate(state)  # type: ignore[attr-defined]
            data = wire.event_data(event)
            data.pop("originator_topic", None)
            changes = {k: _jsonable(v) for k, v in data.items() if k not in _ACTOR_FIELDS}
            events.append({
                "position": positions.get(event.originator_version),
                "version": event.originator_version,
                "type": type(event).__name__.lstrip("_"),
                "at": at.isoformat(),
                "by": data.get("by"),
                "changes": changes,
                "source_report": str(changes["report_id"]) if "report_id" in changes else None,
            })
        if state_version is None:
            raise NotFound("not_yet_opened", f"case {number} did not exist at {as_of}",
                           f"Vụ việc {number} chưa có vào thời điểm {as_of}")
        self._record_read(account, case, "history" if as_of is None else f"history as of {as_of}")
        return {
            "case_id": number,
            "as_of": as_of,
            "state": state.as_dict(),
            "events": events,
            "reads": self.directory.case_reads(case.id),
        }

    # -- acting -------------------------------------------------------------------------
    def _command(self, account: AccountView, number: str, idempotency_key: str | None,
                 apply: Any, command: dict[str, Any]) -> dict[str, Any]:
        if account.role == Role.AUDITOR:
            raise Forbidden("read_only_role", "Auditors read; they do not change cases",
                            "Kiểm tra viên chỉ được xem, không được thay đổi vụ việc")
        case = self._load(account, number)
        if not may_act(account, self.directory.view, case.area_id, case.unit_id):
            raise Forbidden("not_in_subtree", "Only leaders of the units above this area may act",
                            "Chỉ lãnh đạo đơn vị phụ trách địa bàn này mới được xử lý vụ việc")
        idempotency_key = checked_key(idempotency_key)
        # The key is the caller's; the fingerprint of what it asked (the command and its
        # cleaned fields) rides after '#', so the same key with another body is told apart.
        key = f"{account.username}:{idempotency_key}"
        marker = f"{key}#{_fingerprint(command)}"
        for applied in self._applied_keys(case):
            used, _, fingerprint = applied.partition("#")
            if used != key:
                continue
            if fingerprint and applied != marker:  # markers before the fingerprint: a replay
                raise Conflict("idempotency_conflict",
                               "This Idempotency-Key was already used with a different command",
                               "Khoá chống gửi trùng này đã dùng cho một thao tác khác",
                               "Idempotency-Key")
            return case.as_dict()
        apply(case, f"{account.username}", marker)
        self.store.save(case)
        log.info("case_changed", case_id=number, by=account.username, status=case.status)
        return case.as_dict()

    def _applied_keys(self, case: Case) -> set[str]:
        return {str(getattr(e, "by_key", "")) for e in self.store.events.get(case.id)}

    def change_status(self, account: AccountView, number: str, body: dict[str, Any],
                      key: str | None) -> dict[str, Any]:
        status = body.get("status")
        reason = clean_text(body.get("reason", ""), "reason", max_len=MAX_REASON,
                            required=True)
        if not isinstance(status, str):
            raise InvalidInput("missing_field", "status is required", "Cần chọn trạng thái",
                               "status")
        if status not in STATUSES:
            raise InvalidInput("invalid_field", f"status must be one of: {', '.join(STATUSES)}",
                               f"trạng thái phải là một trong: {', '.join(STATUSES)}", "status")
        now = self.clock.now()

        def apply(case: Case, by: str, marker: str) -> None:
            if case.status == status:
                raise Conflict("no_change", f"The case is already {status}",
                               f"Vụ việc đã ở trạng thái '{STATUSES[status]}'", "status")
            case.change_status(status, reason, now, by, by_key=marker)
        return self._command(account, number, key, apply,
                             {"command": "status", "status": status, "reason": reason})

    def assign_handler(self, account: AccountView, number: str, body: dict[str, Any],
                       key: str | None) -> dict[str, Any]:
        handler = clean_text(body.get("handler", ""), "handler", max_len=200, required=True)
        reason = clean_text(body.get("reason", ""), "reason", max_len=MAX_REASON,
                            required=False)
        now = self.clock.now()
        return self._command(account, number, key, lambda case, by, marker: case.assign_handler(
            handler=handler, reason=reason, at=now, by=by, by_key=marker),
            {"command": "handler", "handler": handler, "reason": reason})

    def add_note(self, account: AccountView, number: str, body: dict[str, Any],
                 key: str | None) -> dict[str, Any]:
        text = clean_text(body.get("text", ""), "text", max_len=MAX_NOTE, required=True)
        now = self.clock.now()
        return self._command(account, number, key, lambda case, by, marker: case.add_note(
            text=text, at=now, by=by, by_key=marker), {"command": "notes", "text": text})
