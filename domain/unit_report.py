"""A unit's own compiled report: drafted, revised, sent up the line, received, returned
for correction and sent again. Every revision and every step is kept (`history`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict
from domain.ids import unit_report_id


class UnitReportStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    RETURNED = "returned"


STATUS_VI: dict[str, str] = {
    UnitReportStatus.DRAFT: "dự thảo",
    UnitReportStatus.SENT: "đã gửi",
    UnitReportStatus.RETURNED: "bị trả lại để chỉnh sửa",
}
_S = UnitReportStatus


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class UnitReport(Aggregate):
    @staticmethod
    def create_id(drafted_by: str, idempotency_key: str, **_: Any) -> UUID:
        return unit_report_id(UUID(drafted_by), idempotency_key)

    @event("Drafted")
    def __init__(self, unit_id: str, kind: str, period: str | None, revision: int,
                 content: dict[str, Any], signer: dict[str, str], prefill: dict[str, Any],
                 drafted_by: str, drafted_at: datetime, idempotency_key: str,
                 body_hash: str) -> None:
        self.unit_id = unit_id
        self.kind = kind
        self.period = period
        self.revision = revision
        self.content = content
        self.signer = signer
        self.prefill = prefill
        self.drafted_by = drafted_by
        self.drafted_at = drafted_at
        self.idempotency_key = idempotency_key
        self.body_hash = body_hash
        self.status: str = _S.DRAFT
        self.number: str | None = None
        self.recipients: list[str] = []
        self.deadline: datetime | None = None
        self.on_time: bool | None = None
        self.first_sent_at: datetime | None = None
        self.sent_at: datetime | None = None
        self.sent_revision: int | None = None  # the revision the recipients hold
        self.returned_revision: int | None = None
        self.return_reason: str | None = None
        self.received_by: dict[str, str] = {}  # unit → when, for the revision last sent
        # Commands already applied, by the caller's key: marker → body hash.
        self.keys: dict[str, str] = {}
        self.revisions: list[dict[str, Any]] = [
            {"revision": revision, "content": content, "signer": signer,
             "by": drafted_by, "at": drafted_at.isoformat()}]
        self.log: list[dict[str, Any]] = [
            {"type": "drafted", "revision": revision, "by": drafted_by,
             "at": drafted_at.isoformat()}]

    # -- commands: each checks the transition, then records its event ---------------------

    def revise(self, content: dict[str, Any], signer: dict[str, str], by: str, at: datetime,
               by_key: str, body_hash: str) -> None:
        if self.status == _S.SENT:
            raise Conflict("not_editable", "A sent report cannot be changed unless it is "
                           "returned for correction",
                           "Báo cáo đã gửi, chỉ được sửa khi bị trả lại để chỉnh sửa")
        self._revised(unit_id=self.unit_id, kind=self.kind, period=self.period,
                      revision=self.revision + 1, content=content, signer=signer,
                      revised_by=by, revised_at=at, by_key=by_key, body_hash=body_hash)

    def send(self, number: str, recipients: list[str], by: str, at: datetime,
             deadline: datetime | None, on_time: bool, by_key: str, body_hash: str) -> None:
        self.check_draft()
        self._sent(unit_id=self.unit_id, kind=self.kind, period=self.period,
                   revision=self.revision, number=number, recipients=recipients, sent_by=by,
                   sent_at=at, deadline=deadline, on_time=on_time, by_key=by_key,
                   body_hash=body_hash)

    def check_draft(self) -> None:
        """Refuse (409 not_a_draft) unless the report is a draft, before a number is taken."""
        if self.status != _S.DRAFT:
            raise Conflict("not_a_draft", "Only a draft can be sent; a returned report is "
                           "sent again once corrected",
                           "Chỉ gửi được báo cáo dự thảo; báo cáo bị trả lại được gửi lại sau "
                           "khi chỉnh sửa")

    def resend(self, recipients: list[str], by: str, at: datetime, by_key: str,
               body_hash: str) -> None:
        if self.status != _S.RETURNED:
            raise Conflict("not_returned", "Only a report returned for correction is sent again",
                           "Chỉ gửi lại báo cáo đã bị trả lại để chỉnh sửa")
        if self.revision == self.returned_revision:
            raise Conflict("not_revised", "Correct the returned report before sending it again",
                           "Cần chỉnh sửa báo cáo bị trả lại trước khi gửi lại")
        assert self.number is not None and self.first_sent_at is not None
        self._resent(unit_id=self.unit_id, kind=self.kind, period=self.period,
                     revision=self.revision, number=self.number, recipients=recipients,
                     sent_by=by, sent_at=at, first_sent_at=self.first_sent_at,
                     deadline=self.deadline, on_time=bool(self.on_time), by_key=by_key,
                     body_hash=body_hash)

    def receive(self, by_unit: str, by_account: str, at: datetime, by_key: str,
                body_hash: str) -> bool:
        """Record a recipient's receipt; False (nothing recorded) if that unit already did."""
        self._must_be_sent()
        if by_unit in self.received_by:
            return False
        self._received(unit_id=self.unit_id, kind=self.kind, period=self.period,
                       revision=self.revision, by_unit=by_unit, by_account=by_account,
                       received_at=at, by_key=by_key, body_hash=body_hash)
        return True

    def return_for_correction(self, by_unit: str, by_account: str, reason: str, at: datetime,
                              by_key: str, body_hash: str) -> bool:
        """Return the revision sent; False (nothing recorded) if it was already returned
        for the same reason."""
        if (self.status == _S.RETURNED and self.returned_revision == self.sent_revision
                and self.return_reason == reason):
            return False
        self._must_be_sent()
        self._returned(unit_id=self.unit_id, kind=self.kind, period=self.period,
                       revision=self.revision, by_unit=by_unit, by_account=by_account,
                       reason=reason, returned_at=at, by_key=by_key, body_hash=body_hash)
        return True

    def _must_be_sent(self) -> None:
        if self.status != _S.SENT:
            raise Conflict("not_sent", "The report is not sent (a draft, or returned and not "
                           "yet sent again)",
                           "Báo cáo chưa được gửi (còn là dự thảo hoặc đang bị trả lại)")

    # -- events ------------------------------------------------------------------------

    @event("Revised")
    def _revised(self, unit_id: str, kind: str, period: str | None, revision: int,
                 content: dict[str, Any], signer: dict[str, str], revised_by: str,
                 revised_at: datetime, by_key: str, body_hash: str) -> None:
        self.revision = revision
        self.content = content
        self.signer = signer
        self.keys[by_key] = body_hash
        self.revisions.append({"revision": revision, "content": content, "signer": signer,
                               "by": revised_by, "at": revised_at.isoformat()})
        self.log.append({"type": "revised", "revision": revision, "by": revised_by,
                         "at": revised_at.isoformat()})

    @event("Sent")
    def _sent(self, unit_id: str, kind: str, period: str | None, revision: int, number: str,
              recipients: list[str], sent_by: str, sent_at: datetime,
              deadline: datetime | None, on_time: bool, by_key: str, body_hash: str) -> None:
        self.status = _S.SENT
        self.number = number
        self.recipients = list(recipients)
        self.deadline = deadline
        self.on_time = on_time
        self.first_sent_at = self.sent_at = sent_at
        self.sent_revision = revision
        self.keys[by_key] = body_hash
        self.log.append({"type": "sent", "revision": revision, "by": sent_by,
                         "at": sent_at.isoformat(), "number": number,
                         "recipients": list(recipients), "on_time": on_time})

    @event("Received")
    def _received(self, unit_id: str, kind: str, period: str | None, revision: int,
                  by_unit: str, by_account: str, received_at: datetime, by_key: str,
                  body_hash: str) -> None:
        self.received_by[by_unit] = received_at.isoformat()
        self.keys[by_key] = body_hash
        self.log.append({"type": "received", "revision": revision, "by": by_account,
                         "by_unit": by_unit, "at": received_at.isoformat()})

    @event("Returned")
    def _returned(self, unit_id: str, kind: str, period: str | None, revision: int,
                  by_unit: str, by_account: str, reason: str, returned_at: datetime,
                  by_key: str, body_hash: str) -> None:
        self.status = _S.RETURNED
        self.returned_revision = revision
        self.return_reason = reason
        self.keys[by_key] = body_hash
        self.log.append({"type": "returned", "revision": revision, "by": by_account,
                         "by_unit": by_unit, "at": returned_at.isoformat(), "reason": reason})

    @event("Resent")
    def _resent(self, unit_id: str, kind: str, period: str | None, revision: int, number: str,
                recipients: list[str], sent_by: str, sent_at: datetime,
                first_sent_at: datetime, deadline: datetime | None, on_time: bool,
                by_key: str, body_hash: str) -> None:
        self.status = _S.SENT
        self.recipients = list(recipients)
        self.sent_at = sent_at
        self.sent_revision = revision
        self.received_by = {}  # a new revision: each recipient acknowledges it afresh
        self.keys[by_key] = body_hash
        self.log.append({"type": "resent", "revision": revision, "by": sent_by,
                         "at": sent_at.isoformat(), "number": number,
                         "recipients": list(recipients), "on_time": on_time})

    # -- reading -----------------------------------------------------------------------

    def history(self) -> list[dict[str, Any]]:
        """Every step, oldest first: who, when, which revision, and why for a return."""
        return [dict(step) for step in self.log]

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_report_id": str(self.id),
            "unit_id": self.unit_id,
            "kind": self.kind,
            "period": self.period,
            "revision": self.revision,
            "status": self.status,
            "status_vi": STATUS_VI[self.status],
            "number": self.number,
            "content": self.content,
            "signer": self.signer,
            "prefill": self.prefill,
            "recipients": list(self.recipients),
            "received_by": dict(self.received_by),
            "deadline": _iso(self.deadline),
            "on_time": self.on_time,
            "drafted_by": self.drafted_by,
            "drafted_at": self.drafted_at.isoformat(),
            "sent_at": _iso(self.sent_at),
            "first_sent_at": _iso(self.first_sent_at),
            "return_reason": self.return_reason if self.status == _S.RETURNED else None,
            "revisions": [dict(r) for r in self.revisions],
            "history": self.history(),
        }
