"""Unit report use cases: draft (prefilled from the rollup and last period's report), revise,
send or resend with a document number, receive, return for correction, read and list.

Every command checks who asks first (a report the caller may not read is 404, as
elsewhere), takes an Idempotency-Key (same key and body: the current state, nothing
recorded; another body: 409), and records nothing when it refuses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import anyio.to_thread
import structlog
from eventsourcing.persistence import IntegrityError

from domain.access import network_wide, readable_units
from domain.account import Role
from domain.clock import VN, Clock
from domain.document_number import DocumentNumber, format_number, unit_code
from domain.errors import Busy, Conflict, DomainError, Forbidden, InvalidInput, NotFound
from domain.idempotency import checked_key
from domain.ids import unit_report_id
from domain.obligation_engine import Status
from domain.obligations import OwnerType
from domain.periods import Period
from domain.unit_report import UnitReport, UnitReportStatus
from domain.unit_report_content import (
    DEFAULT_TITLE,
    content_of,
    parse_reason,
    parse_unit_draft,
)
from services.common.store import Store
from services.intake.directory import AccountView, Directory
from services.intake.ports import Aggregator
from services.intake.unit_report_index import UnitReportEntry, unit_receipts

log = structlog.get_logger(__name__)

_SAVE_ATTEMPTS = 20
BOXES = ("sent", "received")
# What a draft keeps of the rollup: the figures, hot spots and silent areas a leader
# compiles from (the aggregator bounds each list).
PREFILL_KEYS = ("expected", "received", "on_time", "late", "completeness", "assessment",
                "assessments", "counts", "urgent", "hot_spot_count", "hot_spots", "missing",
                "missing_count", "children", "start", "end")


@dataclass(frozen=True)
class Outcome:
    """A command's answer: 201 for a new draft, 200 otherwise; `position` is where its
    write ended (None: nothing recorded)."""

    status: int
    body: dict[str, Any]
    position: int | None
    recordings: tuple[Any, ...] = ()


def _not_found() -> NotFound:
    return NotFound("not_found", "unit report not found", "Không tìm thấy báo cáo của đơn vị")



def _hash(command: str, body: Any) -> str:
    blob = json.dumps([command, body], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _key_conflict() -> Conflict:
    return Conflict("idempotency_conflict",
                    "This Idempotency-Key was already used with a different request",
                    "Khoá chống gửi trùng này đã dùng cho một yêu cầu khác", "Idempotency-Key")


class UnitReports:
    def __init__(self, store: Store, directory: Directory, clock: Clock,
                 aggregator: Aggregator):
        self.store = store
        self.directory = directory
        self.clock = clock
        self.aggregator = aggregator

    # -- who may see and do what ------------------------------------------------------

    def _unit_visible(self, account: AccountView, unit_id: str) -> bool:
        unit = self.directory.unit(unit_id)
        if unit is None or unit.retired:
            return False
        readable = readable_units(account, self.directory.view)
        return readable is None or unit_id in readable

    def _may_read(self, account: AccountView, unit_id: str, sent: bool,
                  recipients: tuple[str, ...] | list[str]) -> bool:
        """Drafts: the drafting unit only. Once sent: also every recipient, the units above
        the drafting unit in its line, and auditors and admins without a unit."""
        if account.unit_id is None:
            return sent and network_wide(account)
        if account.unit_id == unit_id:
            return True
        if not sent:
            return False
        return (account.unit_id in recipients
                or unit_id in self.directory.view.unit_subtree(account.unit_id))

    def _may_read_entry(self, account: AccountView) -> Callable[[UnitReportEntry], bool]:
        return lambda e: self._may_read(account, e.unit_id, e.number is not None, e.recipients)

    @staticmethod
    def _is_leader_of(account: AccountView, unit_id: str) -> bool:
        return account.role == Role.LEADER and account.active and account.unit_id == unit_id

    def _load(self, account: AccountView, raw_id: str) -> UnitReport:
        try:
            rid = UUID(raw_id)
        except ValueError:
            raise _not_found() from None
        self.directory.refresh()
        report: UnitReport | None = self.store.find(rid)
        if report is None or not self._may_read(account, report.unit_id,
                                                report.number is not None, report.recipients):
            raise _not_found()
        return report

    def _recipients(self, unit_id: str) -> list[str]:
        """The unit's parent first, then its copy recipients (live units only)."""
        unit = self.directory.unit(unit_id)
        if unit is None:
            return []
        named = ([unit.parent] if unit.parent else []) + [
            c for c in unit.copies_to if c != unit.parent]
        live = [u for u in dict.fromkeys(named)
                if (r := self.directory.unit(u)) is not None and not r.retired]
        if not live:
            raise Conflict("no_recipients", f"Unit {unit_id} has no unit to report to",
                           "Đơn vị không có nơi nhận báo cáo (cấp trên hoặc nơi nhận)")
        return live

    # -- drafting ---------------------------------------------------------------------

    async def draft(self, account: AccountView, unit_id: str, key: str | None,
                    body: object) -> Outcome:
        """A new draft for `unit_id`, prefilled from the rollup of its period (asked of the
        aggregator: a draft is still made, without figures, when it does not answer)."""
        prepared = await anyio.to_thread.run_sync(self._prepare_draft, account, unit_id, key,
                                                  body)
        if isinstance(prepared, Outcome):
            return prepared
        rollup: dict[str, Any] | None = None
        unavailable: str | None = None
        if prepared["period"] is not None:
            try:
                reply = await self.aggregator.rollup(account.id, unit_id, prepared["period"])
                rollup = {k: reply.get("body", {}).get(k) for k in PREFILL_KEYS}
            except DomainError as err:
                unavailable = err.code
        prepared["prefill"]["rollup"] = rollup
        if unavailable is not None:
            prepared["prefill"]["rollup_unavailable"] = unavailable
        return await anyio.to_thread.run_sync(self._save_draft, account, prepared)

    def _prepare_draft(self, account: AccountView, unit_id: str, key: str | None,
                       body: object) -> Outcome | dict[str, Any]:
        key = checked_key(key)
        draft = parse_unit_draft(body)
        body_hash = _hash("draft", [unit_id, json.loads(json.dumps(body))])
        rid = unit_report_id(account.id, key)
        existing: UnitReport | None = self.store.find(rid)
        if existing is not None:
            if existing.body_hash != body_hash:
                raise _key_conflict()
            return Outcome(200, existing.as_dict(), None)
        self.directory.refresh()
        if not self._unit_visible(account, unit_id):
            raise NotFound("not_found", f"unit {unit_id[:64]!r} not found",
                           "Không tìm thấy đơn vị", "unit_id")
        if not self._is_leader_of(account, unit_id):
            raise Forbidden("not_a_leader_of_unit",
                            "Only the unit's leaders draft its report",
                            "Chỉ lãnh đạo của đơn vị mới được lập báo cáo của đơn vị")
        self._recipients(unit_id)
        assert draft.kind is not None
        period = None if draft.period is None else str(draft.period)
        index = self.directory.unit_reports
        if period is not None:
            for entry in index.entries():
                if (entry.unit_id, entry.kind, entry.period) == (unit_id, draft.kind, period):
                    raise Conflict("already_drafted",
                                   f"Unit {unit_id} already has a {draft.kind} report for "
                                   f"{period}: {entry.unit_report_id}",
                                   f"Đơn vị đã có báo cáo kỳ {period} "
                                   f"(mã {entry.unit_report_id}); hãy sửa báo cáo đó", "period")
        previous = self._previous(unit_id, draft.kind, draft.period)
        base = None if previous is None else {"summary": previous.content["summary"],
                                              "sections": previous.content["sections"]}
        content = content_of(draft, base)
        unit = self.directory.unit(unit_id)
        assert unit is not None
        signer = draft.signer or {"title": DEFAULT_TITLE.get(unit.kind or "", "TRƯỞNG BAN"),
                                  "name": account.name}
        prefill: dict[str, Any] = {"previous": None if previous is None else {
            "unit_report_id": str(previous.id), "period": previous.period,
            "number": previous.number}}
        return {"rid": rid, "key": key, "body_hash": body_hash, "unit_id": unit_id,
                "kind": draft.kind, "period": period, "content": content, "signer": signer,
                "prefill": prefill}

    def _previous(self, unit_id: str, kind: str, period: Period | None) -> UnitReport | None:
        if period is None:
            return None
        before = str(period.previous())
        found = [e for e in self.directory.unit_reports.entries()
                 if (e.unit_id, e.kind, e.period) == (unit_id, kind, before)]
        if not found:
            return None
        report: UnitReport | None = self.store.find(found[-1].unit_report_id)
        return report

    def _save_draft(self, account: AccountView, p: dict[str, Any]) -> Outcome:
        report = UnitReport(unit_id=p["unit_id"], kind=p["kind"], period=p["period"],
                            revision=1, content=p["content"], signer=p["signer"],
                            prefill=p["prefill"], drafted_by=str(account.id),
                            drafted_at=self.clock.now(), idempotency_key=p["key"],
                            body_hash=p["body_hash"])
        try:
            recordings = self.store.save(report)
        except IntegrityError:
            # The same key raced itself: the first one won, this is its replay.
            winner: UnitReport | None = self.store.find(p["rid"])
            if winner is None:
                raise
            if winner.body_hash != p["body_hash"]:
                raise _key_conflict() from None
            return Outcome(200, winner.as_dict(), None)
        log.info("unit_report_drafted", unit_report_id=str(report.id), unit_id=report.unit_id,
                 kind=report.kind, period=report.period)
        return Outcome(201, report.as_dict(), recordings[-1].notification.id,
                       tuple(recordings))

    # -- commands on an existing report -------------------------------------------------

    def _command(self, account: AccountView, raw_id: str, key: str | None, name: str,
                 body: Any, act: Callable[[UnitReport, str, str], list[Any] | None],
                 answer: Callable[[UnitReport], dict[str, Any]]) -> Outcome:
        """Load (404), replay a known key, then `act` (which checks who may, changes the
        report and returns what else to save, or None when nothing changes); saved at once."""
        key = checked_key(key)
        body_hash = _hash(name, body)
        marker = f"{account.id}:{key}"
        for _attempt in range(_SAVE_ATTEMPTS):
            report = self._load(account, raw_id)
            known = report.keys.get(marker)
            if known is not None:
                if known != body_hash:
                    raise _key_conflict()
                return Outcome(200, answer(report), None)
            others = act(report, marker, body_hash)
            if others is None:
                return Outcome(200, answer(report), None)
            try:
                recordings = self.store.save(report, *others)
            except IntegrityError:
                continue  # another writer changed the report or took the number: again
            log.info(f"unit_report_{name}", unit_report_id=str(report.id),
                     unit_id=report.unit_id, revision=report.revision, by=str(account.id))
            return Outcome(200, answer(report), recordings[-1].notification.id,
                           tuple(recordings))
        raise Busy("The report could not be saved yet, please retry",
                   "Chưa lưu được báo cáo, vui lòng thử lại sau giây lát")

    def _must_lead_drafting_unit(self, account: AccountView, report: UnitReport) -> None:
        if not self._is_leader_of(account, report.unit_id):
            raise Forbidden("not_a_leader_of_unit",
                            "Only the drafting unit's leaders change or send its report",
                            "Chỉ lãnh đạo đơn vị lập báo cáo mới được sửa hoặc gửi báo cáo")

    def revise(self, account: AccountView, raw_id: str, key: str | None,
               body: object) -> Outcome:
        draft = parse_unit_draft(body, revision=True)

        def act(report: UnitReport, marker: str, body_hash: str) -> list[Any] | None:
            self._must_lead_drafting_unit(account, report)
            if draft.kind is not None and draft.kind != report.kind:
                raise InvalidInput("not_this_report", "kind cannot change in a revision",
                                   "Không được đổi loại báo cáo khi chỉnh sửa", "kind")
            if draft.period is not None and str(draft.period) != report.period:
                raise InvalidInput("not_this_report", "period cannot change in a revision",
                                   "Không được đổi kỳ báo cáo khi chỉnh sửa", "period")
            content = content_of(draft, report.content)
            signer = draft.signer or report.signer
            if report.status != UnitReportStatus.SENT and (
                    content, signer) == (report.content, report.signer):
                return None
            report.revise(content, signer, str(account.id), self.clock.now(), marker,
                          body_hash)
            return []
        return self._command(account, raw_id, key, "revised", body, act,
                             lambda r: r.as_dict())

    def send(self, account: AccountView, raw_id: str, key: str | None) -> Outcome:
        """Send a draft (it takes the unit's next number) or, after a return and a
        correction, send it again under the same number."""
        def act(report: UnitReport, marker: str, body_hash: str) -> list[Any] | None:
            self._must_lead_drafting_unit(account, report)
            recipients = self._recipients(report.unit_id)
            now = self.clock.now()
            if report.status == UnitReportStatus.RETURNED:
                report.resend(recipients, str(account.id), now, marker, body_hash)
                return []
            report.check_draft()
            deadline = self.deadline(report.unit_id, report.kind, report.period)
            year = now.astimezone(VN).year
            sequence = self.directory.unit_reports.last_sequence(report.unit_id, year) + 1
            unit = self.directory.unit(report.unit_id)
            assert unit is not None
            number = format_number(sequence, unit.kind, unit_code(unit.id, unit.code))
            report.send(number, recipients, str(account.id), now, deadline,
                        deadline is None or now < deadline, marker, body_hash)
            return [DocumentNumber(unit_id=unit.id, year=year, sequence=sequence,
                                   number=number, unit_report_id=str(report.id))]
        return self._command(account, raw_id, key, "sent", {}, act, _sent_answer)

    def receive(self, account: AccountView, raw_id: str, key: str | None) -> Outcome:
        def act(report: UnitReport, marker: str, body_hash: str) -> list[Any] | None:
            if (account.role != Role.LEADER or account.unit_id is None
                    or account.unit_id not in report.recipients):
                raise Forbidden("not_a_recipient",
                                "Only leaders of a receiving unit acknowledge receipt",
                                "Chỉ lãnh đạo đơn vị nhận báo cáo mới được xác nhận đã nhận")
            changed = report.receive(account.unit_id, str(account.id), self.clock.now(),
                                     marker, body_hash)
            return [] if changed else None
        return self._command(account, raw_id, key, "received", {}, act,
                             lambda r: {"unit_report_id": str(r.id), "status": r.status,
                                        "received_by": dict(r.received_by)})

    def return_for_correction(self, account: AccountView, raw_id: str, key: str | None,
                              body: object) -> Outcome:
        reason = parse_reason(body)

        def act(report: UnitReport, marker: str, body_hash: str) -> list[Any] | None:
            parent = report.recipients[0] if report.recipients else None
            if account.role != Role.LEADER or account.unit_id is None or (
                    account.unit_id != parent):
                if account.unit_id in report.recipients:
                    raise Forbidden("copy_recipient",
                                    "A copy recipient reads the report; only the unit it "
                                    "reports to returns it",
                                    "Nơi nhận để biết chỉ được xem; chỉ đơn vị cấp trên trực "
                                    "tiếp mới được trả lại báo cáo")
                raise Forbidden("not_the_parent",
                                "Only leaders of the unit this report goes to return it",
                                "Chỉ lãnh đạo đơn vị cấp trên trực tiếp mới được trả lại "
                                "báo cáo")
            changed = report.return_for_correction(account.unit_id, str(account.id), reason,
                                                   self.clock.now(), marker, body_hash)
            return [] if changed else None
        return self._command(account, raw_id, key, "returned", {"reason": reason}, act,
                             lambda r: {"unit_report_id": str(r.id), "status": r.status,
                                        "revision": r.revision, "reason": r.return_reason})

    # -- reading -----------------------------------------------------------------------

    def get(self, account: AccountView, raw_id: str) -> dict[str, Any]:
        report = self._load(account, raw_id)
        out = report.as_dict()
        unit = self.directory.unit(report.unit_id)
        out["unit"] = None if unit is None else {
            "unit_id": unit.id, "name": unit.name, "kind": unit.kind, "place": unit.place,
            "code": unit.code, "superior": unit.superior}
        out["recipient_units"] = [
            {"unit_id": u, "name": r.name if (r := self.directory.unit(u)) else u,
             "role": "parent" if i == 0 else "copy"}
            for i, u in enumerate(report.recipients)]
        return out

    def list_reports(self, account: AccountView, unit_id: str | None, period: str | None,
                     box: str | None, limit: int = 100) -> list[dict[str, Any]]:
        if period is not None:
            Period.parse(period)
        if box is not None and box not in BOXES:
            raise InvalidInput("invalid_field", "box must be sent or received",
                               "box phải là sent (đã gửi) hoặc received (đã nhận)", "box")
        self.directory.refresh()
        if unit_id is not None and not self._unit_visible(account, unit_id):
            raise NotFound("not_found", f"unit {unit_id[:64]!r} not found",
                           "Không tìm thấy đơn vị", "unit_id")
        own = unit_id or account.unit_id
        readable = self._may_read_entry(account)
        found = []
        for entry in reversed(self.directory.unit_reports.entries()):
            if period is not None and entry.period != period:
                continue
            if box == "sent" and entry.unit_id != own:
                continue
            if box == "received" and (entry.number is None or own not in entry.recipients):
                continue
            if box is None and unit_id is not None and entry.unit_id != unit_id:
                continue
            if not readable(entry):
                continue
            found.append(self._summary(entry))
            if len(found) >= limit:
                break
        return found

    def _summary(self, entry: UnitReportEntry) -> dict[str, Any]:
        unit = self.directory.unit(entry.unit_id)
        return {"unit_report_id": str(entry.unit_report_id), "unit_id": entry.unit_id,
                "unit_name": None if unit is None else unit.name, "kind": entry.kind,
                "period": entry.period, "status": entry.status, "number": entry.number,
                "recipients": list(entry.recipients), "first_sent_at": _iso(entry.first_sent_at),
                "deadline": _iso(entry.deadline), "on_time": entry.on_time,
                "received_by": sorted(entry.received_by)}

    # -- obligations ------------------------------------------------------------------

    def deadline(self, unit_id: str, kind: str, period: str | None) -> datetime | None:
        """When the unit owes this report, from the one obligation engine (None: not owed
        on a date, as an urgent report)."""
        if period is None:
            return None
        items = self.directory.view.engine().owed(Period.parse(period), kinds=[kind],
                                                  owner=OwnerType.UNIT)
        return next((i.deadline for i in items if i.owner.id == unit_id), None)

    def children_standing(self, account: AccountView, unit_id: str, period: str,
                          at: datetime | None = None) -> list[dict[str, Any]]:
        """How each child unit's own report for `period` stands for `unit_id`'s leaders:
        sent on time (`received`), `late`, `returned`, or missing (`pending` or `overdue`),
        with the report's id and number once sent."""
        wanted = Period.parse(period)
        instant = at or self.clock.now()
        self.directory.refresh()
        if not self._unit_visible(account, unit_id):
            raise NotFound("not_found", f"unit {unit_id[:64]!r} not found",
                           "Không tìm thấy đơn vị", "unit_id")
        children = set(self.directory.unit_children().get(unit_id, []))
        engine = self.directory.view.engine()
        items = [i for i in engine.owed(wanted, owner=OwnerType.UNIT) if i.unit_id in children]
        asked = {(i.kind, str(wanted)) for i in items}
        receipts = unit_receipts(self.directory.unit_reports, asked)
        standings = engine.standing(items, receipts, instant)
        sent = {(e.unit_id, e.kind, e.period): e for e in self.directory.unit_reports.entries()
                if e.number is not None}
        out = []
        for s in standings:
            entry = sent.get((s.item.unit_id or "", s.item.kind, str(wanted)))
            unit = self.directory.unit(s.item.unit_id or "")
            out.append({**s.as_record(), "unit_name": None if unit is None else unit.name,
                        "unit_report_id": None if entry is None else str(entry.unit_report_id),
                        "number": None if entry is None else entry.number,
                        "missing": s.status in (Status.PENDING, Status.OVERDUE)})
        return out


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _sent_answer(report: UnitReport) -> dict[str, Any]:
    return {"unit_report_id": str(report.id), "status": report.status,
            "number": report.number, "recipients": list(report.recipients),
            "revision": report.revision, "deadline": _iso(report.deadline),
            "on_time": report.on_time}
