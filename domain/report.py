"""Reports: a submission with the same key is the same report; a leader above may return it
for correction, and its author corrects it as the next revision of the same report."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict
from domain.ids import report_id
from domain.report_content import clean_text

MAX_RETURN_REASON = 1000
SUBMITTED, RETURNED, CORRECTED = "submitted", "returned", "corrected"


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
        self.revision = 1
        self.status = SUBMITTED
        self.revised_at = submitted_at
        # Per revision: its content, and the key and body hash it was sent with.
        self.revisions: dict[int, dict[str, Any]] = {1: {
            "content": content, "idempotency_key": idempotency_key, "body_hash": body_hash,
            "case_ids": list(case_ids)}}
        self.returns: dict[int, dict[str, Any]] = {}
        self._history: list[dict[str, Any]] = [
            {"action": SUBMITTED, "revision": 1, "at": submitted_at, "by": cadre_id}]

    # -- return for correction ----------------------------------------------------------
    def return_for_correction(self, reason: str, returned_by: str, returned_by_unit: str,
                              at: datetime, idempotency_key: str | None = None) -> None:
        """A leader above the cadre sends the latest revision back, saying why."""
        reason = clean_text(reason, "reason", max_len=MAX_RETURN_REASON, required=True)
        if self.status == RETURNED:
            raise Conflict("not_returnable",
                           f"Revision {self.revision} was already returned for correction",
                           f"Báo cáo (lần {self.revision}) đã bị trả lại để sửa, đang chờ "
                           "cán bộ gửi lại", "reason")
        self._returned(kind=self.kind, period=self.period, area_id=self.area_id,
                       cadre_id=self.cadre_id, unit_id=self.unit_id, revision=self.revision,
                       reason=reason, returned_by=returned_by,
                       returned_by_unit=returned_by_unit, returned_at=at,
                       idempotency_key=idempotency_key)

    @event("Returned")
    def _returned(self, kind: str, period: str | None, area_id: str, cadre_id: str,
                  unit_id: str | None, revision: int, reason: str, returned_by: str,
                  returned_by_unit: str, returned_at: datetime,
                  idempotency_key: str | None) -> None:
        self.status = RETURNED
        self.returns[revision] = {"reason": reason, "by": returned_by,
                                  "by_unit": returned_by_unit, "at": returned_at,
                                  "idempotency_key": idempotency_key}
        self._history.append({"action": RETURNED, "revision": revision, "at": returned_at,
                              "by": returned_by, "by_unit": returned_by_unit,
                              "reason": reason})

    # -- correction ---------------------------------------------------------------------
    def correct(self, idempotency_key: str, body_hash: str, content: dict[str, Any],
                at: datetime, case_ids: list[str]) -> None:
        """The author sends the returned report again: the next revision, same report."""
        if self.status != RETURNED:
            raise Conflict("not_returned", "Only a report returned for correction can be "
                           "corrected", "Chỉ sửa và gửi lại được báo cáo đã bị trả lại")
        self._corrected(kind=self.kind, period=self.period, area_id=self.area_id,
                        cadre_id=self.cadre_id, unit_id=self.unit_id,
                        revision=self.revision + 1, idempotency_key=idempotency_key,
                        body_hash=body_hash, content=content, corrected_at=at,
                        first_submitted_at=self.submitted_at, case_ids=case_ids)

    @event("Corrected")
    def _corrected(self, kind: str, period: str | None, area_id: str, cadre_id: str,
                   unit_id: str | None, revision: int, idempotency_key: str, body_hash: str,
                   content: dict[str, Any], corrected_at: datetime,
                   first_submitted_at: datetime, case_ids: list[str]) -> None:
        self.status = CORRECTED
        self.revision = revision
        self.content = content
        self.case_ids = case_ids
        self.revised_at = corrected_at
        self.revisions[revision] = {"content": content, "idempotency_key": idempotency_key,
                                    "body_hash": body_hash, "case_ids": list(case_ids)}
        self._history.append({"action": CORRECTED, "revision": revision, "at": corrected_at,
                              "by": cadre_id})

    # -- reading ------------------------------------------------------------------------
    def revision_with_key(self, idempotency_key: str) -> int | None:
        """The correction sent with this key, if any."""
        return next((n for n, r in self.revisions.items()
                     if n > 1 and r["idempotency_key"] == idempotency_key), None)

    def return_with_key(self, idempotency_key: str) -> tuple[int, dict[str, Any]] | None:
        return next(((n, r) for n, r in self.returns.items()
                     if r["idempotency_key"] == idempotency_key), None)

    def revision_content(self, revision: int) -> dict[str, Any]:
        return dict(self.revisions[revision]["content"])

    def history(self) -> list[dict[str, Any]]:
        return [{**h, "at": h["at"].isoformat()} for h in self._history]

    def as_dict(self) -> dict[str, Any]:
        shown = {
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
            "revision": self.revision,
            "status": self.status,
            "revised_at": self.revised_at.isoformat(),
            "history": self.history(),
        }
        if self.status == RETURNED:
            last = self.returns[self.revision]
            shown.update(return_reason=last["reason"], returned_at=last["at"].isoformat(),
                         returned_by_unit=last["by_unit"])
        return shown
