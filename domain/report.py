"""Reports: immutable once submitted; a resubmission with the same key is the same report."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import report_id


class Report(Aggregate):
    @staticmethod
    def create_id(account_id: UUID, idempotency_key: str, **_: Any) -> UUID:
        return report_id(account_id, idempotency_key)

    @event("Submitted")
    def __init__(
        self,
        account_id: UUID,
        idempotency_key: str,
        body_hash: str,
        kind: str,
        period: str | None,
        area_id: str,
        cadre_id: str,
        unit_id: str | None,
        content: dict[str, Any],
        submitted_at: datetime,
        device_time: datetime | None,
        deadline: datetime | None,
        on_time: bool,
        case_ids: list[str],
    ) -> None:
        self.account_id = account_id
        self.idempotency_key = idempotency_key
        self.body_hash = body_hash
        self.kind = kind
        self.period = period
        self.area_id = area_id
        self.cadre_id = cadre_id
        self.unit_id = unit_id
        self.content = content
        self.submitted_at = submitted_at
        self.device_time = device_time
        self.deadline = deadline
        self.on_time = on_time
        self.case_ids = case_ids

    def as_dict(self) -> dict[str, Any]:
        return {
            "report_id": str(self.id),
            "kind": self.kind,
            "period": self.period,
            "area_id": self.area_id,
            "cadre_id": self.cadre_id,
            "unit_id": self.unit_id,
            **self.content,
            "submitted_at": self.submitted_at.isoformat(),
            "device_time": None if self.device_time is None else self.device_time.isoformat(),
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
            "on_time": self.on_time,
            "case_ids": list(self.case_ids),
        }
