"""Returning a cadre's report for correction, and the cadre's corrected revision."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError

from domain.access import may_act, may_read
from domain.account import Role
from domain.clock import Clock
from domain.errors import Busy, Conflict, Forbidden, InvalidInput, NotFound
from domain.idempotency import checked_key
from domain.report import MAX_RETURN_REASON, RETURNED, Report
from domain.report_content import clean_text, parse_submission
from services.common.store import Store
from services.intake.cases import CaseService
from services.intake.directory import AccountView, Directory
from services.intake.service import Outcome

log = structlog.get_logger(__name__)

_SAVE_ATTEMPTS = 5
_FIXED = ("kind", "period", "area_id")  # a correction is of the same report: these stay


def _not_found() -> NotFound:
    return NotFound("not_found", "report not found", "Không tìm thấy báo cáo")


def _idempotency_conflict() -> Conflict:
    return Conflict("idempotency_conflict",
                    "This Idempotency-Key was already used with a different request",
                    "Khoá chống gửi trùng này đã dùng cho một yêu cầu khác", "Idempotency-Key")



class Corrections:
    def __init__(self, store: Store, directory: Directory, clock: Clock, cases: CaseService):
        self.store = store
        self.directory = directory
        self.clock = clock
        self.cases = cases

    def _readable(self, account: AccountView, raw_id: str) -> Report:
        try:
            rid = UUID(raw_id)
        except ValueError:
            raise _not_found() from None
        self.directory.refresh()
        report: Report | None = self.store.find(rid)
        if report is None or not may_read(account, self.directory.view, report.area_id,
                                          at=self.clock.now(), cadre_id=report.cadre_id):
            raise _not_found()
        return report

    # -- return -------------------------------------------------------------------------
    def return_report(self, account: AccountView, raw_id: str, idempotency_key: str | None,
                      body: object) -> Outcome:
        """A leader of the cadre's unit or of a unit above it in the line sends the latest
        revision back with a reason. Copy recipients read; they do not return (403)."""
        report = self._readable(account, raw_id)
        if not may_act(account, self.directory.view, report.area_id):
            raise Forbidden("not_above", "Only leaders of the units above this cadre may "
                            "return the report", "Chỉ lãnh đạo đơn vị cấp trên trực tiếp "
                            "quản lý cán bộ này mới được trả lại báo cáo")
        key = checked_key(idempotency_key)
        if not isinstance(body, dict):
            raise InvalidInput("invalid_json", "The body must be a JSON object",
                               "Nội dung gửi lên phải là một đối tượng JSON", "body")
        raw = body.get("reason", "")
        if isinstance(raw, str) and not raw.strip():
            raise InvalidInput("missing_field", "A reason is required to return a report",
                               "Cần ghi rõ lý do trả lại báo cáo", "reason")
        reason = clean_text(raw, "reason", max_len=MAX_RETURN_REASON, required=True)
        marker = f"{account.id}:{key}"
        for _attempt in range(_SAVE_ATTEMPTS):
            known = report.return_with_key(marker)
            if known is not None:
                if known[1]["reason"] != reason:
                    raise _idempotency_conflict()
                return Outcome(200, _returned(report, known[0]), None)
            if report.status == RETURNED and report.returns[report.revision]["reason"] == reason:
                return Outcome(200, _returned(report, report.revision), None)
            report.return_for_correction(reason=reason, returned_by=str(account.id),
                                         returned_by_unit=account.unit_id or "",
                                         at=self.clock.now(), idempotency_key=marker)
            try:
                recordings = self.store.save(report)
            except IntegrityError:
                # Someone else changed the report meanwhile: judge again on what it is now.
                report = self._readable(account, raw_id)
                continue
            log.info("report_returned", report_id=raw_id, revision=report.revision,
                     by_unit=account.unit_id)
            return Outcome(200, _returned(report, report.revision),
                           recordings[-1].notification.id, tuple(recordings))
        raise Busy("The report could not be returned yet, please retry",
                   "Chưa trả lại được báo cáo, vui lòng thử lại sau giây lát")

    # -- correction ---------------------------------------------------------------------
    def correct(self, account: AccountView, raw_id: str, idempotency_key: str | None,
                body: object) -> Outcome:
        """The author's corrected revision of a returned report: same report, next revision."""
        key = checked_key(idempotency_key)
        submission = parse_submission(body)
        body_hash = submission.body_hash()
        report = self._readable(account, raw_id)
        if account.role != Role.CADRE or report.account_id != account.id:
            raise Forbidden("not_author", "Only the report's author may correct it",
                            "Chỉ cán bộ đã gửi báo cáo mới được sửa và gửi lại")
        for _attempt in range(_SAVE_ATTEMPTS):
            replay = self._replay(report, key, body_hash)
            if replay is not None:
                return replay
            if report.status != RETURNED:
                raise Conflict("not_returned", "Only a report returned for correction can be "
                               "corrected", "Chỉ sửa và gửi lại được báo cáo đã bị trả lại")
            for field in _FIXED:
                given = submission.area_id if field == "area_id" else (
                    submission.kind if field == "kind" else
                    None if submission.period is None else str(submission.period))
                if given != getattr(report, field):
                    raise InvalidInput("fixed_field", f"{field} of a correction must stay "
                                       f"{getattr(report, field)!r}",
                                       "Báo cáo sửa phải giữ nguyên loại, kỳ và địa bàn của "
                                       "báo cáo gốc", field)
            now = self.clock.now()
            if self.directory.assignment_at(report.cadre_id, report.area_id, now) is None:
                raise Forbidden("not_assigned",
                                f"You are not assigned to area {report.area_id} at this time",
                                "Đồng chí không còn được phân công phụ trách địa bàn này",
                                "area_id")
            spots = submission.content["hot_spots"]
            with self.cases.numbering(spots):
                cases = self.cases.for_report(account, report.id, report.area_id,
                                              report.unit_id, spots, now)
                report.correct(idempotency_key=key, body_hash=body_hash,
                               content=submission.content, at=now, case_ids=cases.numbers)
                try:
                    recordings = self.store.save(report, *cases.aggregates)
                except IntegrityError:
                    report = self._readable(account, raw_id)
                    continue
            log.info("report_corrected", report_id=raw_id, revision=report.revision)
            return Outcome(201, report.as_dict(), recordings[-1].notification.id,
                           tuple(recordings))
        raise Busy("The correction could not be saved yet, please retry",
                   "Chưa lưu được báo cáo sửa, vui lòng gửi lại sau giây lát")

    def _replay(self, report: Report, key: str, body_hash: str) -> Outcome | None:
        if key == report.idempotency_key:
            raise _idempotency_conflict()  # the key of the original submission
        revision = report.revision_with_key(key)
        if revision is None:
            return None
        if report.revisions[revision]["body_hash"] != body_hash:
            raise _idempotency_conflict()
        return Outcome(200, report.as_dict(), None)

    def revision(self, account: AccountView, raw_id: str, revision: int) -> dict[str, Any]:
        """One revision's content, for the author's correction form."""
        report = self._readable(account, raw_id)
        if revision not in report.revisions:
            raise _not_found()
        return {"revision": revision, **report.revision_content(revision),
                "case_ids": list(report.revisions[revision]["case_ids"])}


def _returned(report: Report, revision: int) -> dict[str, Any]:
    return {"report_id": str(report.id), "status": "returned", "revision": revision}
