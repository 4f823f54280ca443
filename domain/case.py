"""Cases (vụ việc): a hot spot followed from first report to resolution, every change recorded."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, InvalidInput
from domain.severity import rank

_NS = UUID("0b8f5f3e-5a4c-4d8e-9a0e-7c2f6a1d3b59")
TRACKING_RE = re.compile(r"^VV-(\d{4})-(\d{6})$")



class CaseStatus(StrEnum):
    """Where a case stands; the values are what events and the API carry."""

    RECEIVED = "received"
    VERIFYING = "verifying"
    HANDLING = "handling"
    RESOLVED = "resolved"
    PROLONGED = "prolonged"
    TRANSFERRED = "transferred"


_S = CaseStatus
# status → Vietnamese label; keyed by str, as events carry the plain text.
STATUSES: dict[str, str] = {
    _S.RECEIVED: "tiếp nhận",
    _S.VERIFYING: "đang xác minh",
    _S.HANDLING: "đang xử lý",
    _S.RESOLVED: "đã giải quyết",
    _S.PROLONGED: "tồn đọng kéo dài",
    _S.TRANSFERRED: "chuyển cấp trên",
}
TRANSITIONS: dict[str, set[str]] = {
    _S.RECEIVED: {_S.VERIFYING, _S.HANDLING, _S.RESOLVED, _S.PROLONGED, _S.TRANSFERRED},
    _S.VERIFYING: {_S.HANDLING, _S.RESOLVED, _S.PROLONGED, _S.TRANSFERRED},
    _S.HANDLING: {_S.RESOLVED, _S.PROLONGED, _S.TRANSFERRED},
    _S.PROLONGED: {_S.HANDLING, _S.RESOLVED, _S.TRANSFERRED},
    _S.TRANSFERRED: {_S.HANDLING, _S.RESOLVED},
    _S.RESOLVED: {_S.HANDLING},  # reopened when the matter flares again
}
# How long a case may stay in a status before it is late (None: no deadline).
STATUS_DEADLINE_DAYS: dict[str, int | None] = {
    _S.RECEIVED: 2, _S.VERIFYING: 7, _S.HANDLING: 30, _S.PROLONGED: 30,
    _S.TRANSFERRED: 15, _S.RESOLVED: None,
}
MAX_REASON = 2000
MAX_NOTE = 4000


def tracking_number(year: int, sequence: int) -> str:
    return f"VV-{year:04d}-{sequence:06d}"


def case_id(number: str) -> UUID:
    return uuid5(_NS, number)


def parse_tracking_number(text: str) -> tuple[int, int] | None:
    match = TRACKING_RE.match(text)
    return None if match is None else (int(match[1]), int(match[2]))


def status_deadline(status: str, at: datetime) -> datetime | None:
    days = STATUS_DEADLINE_DAYS.get(status)
    return None if days is None else at + timedelta(days=days)


class Case(Aggregate):
    @staticmethod
    def create_id(tracking_number: str, **_: Any) -> UUID:
        return case_id(tracking_number)

    @event("Opened")
    def __init__(
        self,
        tracking_number: str,
        area_id: str,
        unit_id: str | None,
        category: str,
        severity: str,
        title: str,
        description: str,
        report_id: UUID,
        hot_spot_index: int,
        at: datetime,
        by: str,
    ) -> None:
        self.tracking_number = tracking_number
        self.area_id = area_id
        self.unit_id = unit_id
        self.category = category
        self.severity = severity
        self.title = title
        self.description = description
        self.reports: list[str] = [str(report_id)]
        self.status: str = CaseStatus.RECEIVED
        self.status_deadline = status_deadline(CaseStatus.RECEIVED, at)
        self.handler: str | None = None
        self.notes: list[dict[str, str]] = []
        self.opened_at = at
        self.updated_at = at

    @event("ReportLinked")
    def link_report(self, report_id: UUID, hot_spot_index: int, severity: str,
                    at: datetime, by: str) -> None:
        if str(report_id) not in self.reports:
            self.reports.append(str(report_id))
        # A case is as severe as its worst report.
        if rank(severity) > rank(self.severity):
            self.severity = severity
        self.updated_at = at

    def change_status(self, status: str, reason: str, at: datetime, by: str,
                      by_key: str = "") -> None:
        if status not in STATUSES:
            raise InvalidInput("invalid_field", f"status must be one of: {', '.join(STATUSES)}",
                               f"trạng thái phải là một trong: {', '.join(STATUSES)}", "status")
        if status not in TRANSITIONS[self.status]:
            raise Conflict("invalid_transition",
                           f"A case cannot go from {self.status} to {status}",
                           f"Vụ việc không thể chuyển từ '{STATUSES[self.status]}' sang "
                           f"'{STATUSES[status]}'", "status")
        if not reason.strip():
            raise InvalidInput("missing_field", "A reason is required to change the status",
                               "Cần ghi rõ lý do khi chuyển trạng thái", "reason")
        self._status_changed(from_status=self.status, status=status, reason=reason,
                             deadline=status_deadline(status, at), at=at, by=by, by_key=by_key,
                             report_ids=list(self.reports))

    @event("StatusChanged")
    def _status_changed(self, from_status: str, status: str, reason: str,
                        deadline: datetime | None, at: datetime, by: str, by_key: str,
                        report_ids: list[str]) -> None:
        # report_ids: which reports the case covered then, so that readers of the stream
        # (the notifier) can settle what those reports raised without the case's history.
        self.status = status
        self.status_deadline = deadline
        self.updated_at = at

    @event("HandlerAssigned")
    def assign_handler(self, handler: str, reason: str, at: datetime, by: str,
                       by_key: str = "") -> None:
        self.handler = handler
        self.updated_at = at

    @event("NoteAdded")
    def add_note(self, text: str, at: datetime, by: str, by_key: str = "") -> None:
        self.notes.append({"text": text, "at": at.isoformat(), "by": by})
        self.updated_at = at

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.tracking_number,
            "id": str(self.id),
            "status": self.status,
            "status_vi": STATUSES[self.status],
            "status_deadline": None if self.status_deadline is None
            else self.status_deadline.isoformat(),
            "area_id": self.area_id,
            "unit_id": self.unit_id,
            "category": self.category,
            "severity": self.severity,
            "title": self.title,
            "description": self.description,
            "handler": self.handler,
            "notes": list(self.notes),
            "report_ids": list(self.reports),
            "opened_at": self.opened_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class AuditRead(Aggregate):
    """One read of a case by an auditor (or anyone), itself part of the history."""

    @event("Recorded")
    def __init__(self, account_id: str, case_id: UUID, what: str, at: datetime) -> None:
        self.account_id = account_id
        self.case_id = case_id
        self.what = what
        self.at = at
