"""Intake use cases: sign in, submit, read; every one checks who asks and what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError

from domain.access import may_read, readable_units, reader
from domain.account import Role
from domain.clock import Clock
from domain.errors import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from domain.idempotency import checked_key
from domain.ids import report_id
from domain.network_records import Unit
from domain.periods import Period
from domain.report import Report
from domain.report_content import check_device_time, parse_submission
from services.common.store import Store
from services.intake.cases import CaseService
from services.intake.directory import AccountView, Directory
from services.intake.passwords import verify_password, verify_unknown
from services.intake.ratelimit import SignInLimiter
from services.intake.tokens import TokenService, password_stamp

log = structlog.get_logger(__name__)

_SAVE_ATTEMPTS = 5
MAX_USERNAME = 64
MAX_PASSWORD = 256


@dataclass(frozen=True)
class Outcome:
    """A submission's answer: 201 for a new report, 200 for a replay of the same one."""

    status: int
    report: dict[str, Any]
    position: int | None
    recordings: tuple[Any, ...] = ()


class _Replayed(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def password_change_required() -> Forbidden:
    return Forbidden("password_change_required",
                     "The password was set by someone else: change it first "
                     "(POST /api/v1/auth/password)",
                     "Đồng chí cần đổi mật khẩu do người khác cấp (hoặc đặt lại) trước khi "
                     "làm việc khác.")


def _not_found(what: str, what_vi: str) -> NotFound:
    return NotFound("not_found", f"{what} not found", f"Không tìm thấy {what_vi}")


class IntakeService:
    def __init__(self, store: Store, directory: Directory, tokens: TokenService, clock: Clock,
                 cases: CaseService, limiter: SignInLimiter):
        self.cases = cases
        self.store = store
        self.directory = directory
        self.tokens = tokens
        self.clock = clock
        # The one limiter of the intake (bootstrap): password changes count toward it too.
        self.limiter = limiter

    # -- identity -------------------------------------------------------------------
    def sign_in(self, username: object, password: object,
                client: str | None = None) -> dict[str, Any]:
        """A bearer token for a right password; throttled per username and per `client`
        address (`services/intake/ratelimit.py`), before the password is even looked at."""
        refused = Unauthenticated("invalid_credentials", "Wrong username or password",
                                  "Sai tên đăng nhập hoặc mật khẩu")
        name = username.strip().lower()[:MAX_USERNAME + 1] if isinstance(username, str) else ""
        try:
            attempt = self.limiter.admit(name, client)
        except DomainError:
            log.warning("sign_in_throttled", username=name, client=client)
            raise
        if not isinstance(username, str) or not isinstance(password, str):
            raise refused
        if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            raise refused
        self.directory.refresh()
        account = self.directory.account_by_username(name)
        if account is None or not account.active:
            verify_unknown(password)  # the same work: timing tells nothing
            raise refused
        if not verify_password(account.password_hash, password):
            raise refused
        self.limiter.succeeded(name, client, attempt)
        log.info("signed_in", account_id=str(account.id), role=account.role)
        return {
            "access_token": self.tokens.issue(account.id, account.password_hash),
            "token_type": "bearer",
            "expires_in": self.tokens.ttl,
            # Issued all the same: it is what the password change is called with.
            "password_change_required": account.must_change_password,
        }

    def authenticate(self, token: str) -> AccountView:
        """The account a token speaks for, which may act: 401 for a void token, 403
        `password_change_required` while its password is one someone else set."""
        account = self.identify(token)
        if account.must_change_password:
            raise password_change_required()
        return account

    def identify(self, token: str) -> AccountView:
        """The account a valid token speaks for, whether or not it must change its password
        first: only the password change (and the web's sign-in) may ask this."""
        account_id, stamp = self.tokens.verify(token)
        self.directory.refresh()
        account = self.directory.account(account_id)
        if account is None or not account.active or password_stamp(
            account.password_hash
        ) != stamp:
            raise Unauthenticated("invalid_token", "The token is no longer valid",
                                  "Phiên đăng nhập không còn hiệu lực, vui lòng đăng nhập lại")
        return account

    # -- reports --------------------------------------------------------------------
    def submit(self, account: AccountView, idempotency_key: str | None, body: object) -> Outcome:
        try:
            return self._submit(account, idempotency_key, body)
        except _Replayed as replayed:
            return replayed.outcome

    def _submit(self, account: AccountView, idempotency_key: str | None, body: object) -> Outcome:
        idempotency_key = checked_key(idempotency_key)
        submission = parse_submission(body)
        body_hash = submission.body_hash()
        rid = report_id(account.id, idempotency_key)
        # No read before the write: a new key is the common case, and a replay shows itself
        # as the IntegrityError below. Refusals look first, so a replay is never refused.
        if account.role != Role.CADRE or account.cadre_id is None:
            self._replay_if_known(rid, body_hash)
            raise Forbidden("not_a_cadre", "Only assigned cadres submit reports",
                            "Chỉ cán bộ được phân công mới gửi báo cáo")
        now = self.clock.now()
        self.directory.refresh()
        try:
            # The one rule of which periods are open, as the web's forms ask it.
            check_device_time(submission.device_time, now)
            if submission.period is not None:
                self.directory.schedule().check_open(submission.kind, submission.period, now)
        except InvalidInput:
            self._replay_if_known(rid, body_hash)
            raise
        if self.directory.assignment_at(account.cadre_id, submission.area_id, now) is None:
            self._replay_if_known(rid, body_hash)
            raise Forbidden("not_assigned",
                            f"You are not assigned to area {submission.area_id} at this time",
                            "Đồng chí không được phân công phụ trách địa bàn này vào thời điểm "
                            "hiện tại", "area_id")
        deadline = None
        if submission.period is not None:
            # The area's governing obligation sets it; a kind its cadres do not owe has none,
            # so such a report (the aggregator's "extra") is never late.
            deadline = self.directory.view.engine().cadre_deadline(
                submission.kind, submission.period, submission.area_id)
        on_time = deadline is None or now < deadline
        unit_id = self.directory.unit_for_area(submission.area_id)
        for _attempt in range(_SAVE_ATTEMPTS):
            # New case numbers are taken one writer at a time (CaseService.numbering).
            with self.cases.numbering(submission.content["hot_spots"]):
                cases = self.cases.for_report(account, rid, submission.area_id, unit_id,
                                              submission.content["hot_spots"], now)
                report = Report(
                    account_id=account.id,
                    idempotency_key=idempotency_key,
                    body_hash=body_hash,
                    kind=submission.kind,
                    period=None if submission.period is None else str(submission.period),
                    area_id=submission.area_id,
                    cadre_id=account.cadre_id,
                    unit_id=unit_id,
                    content=submission.content,
                    submitted_at=now,
                    device_time=submission.device_time,
                    deadline=deadline,
                    on_time=on_time,
                    case_ids=cases.numbers,
                )
                try:
                    recordings = self.store.save(report, *cases.aggregates)
                    break
                except IntegrityError:
                    pass
            # Either the same key raced itself (the first one won: this is its replay),
            # or another report changed a case this one joins meanwhile.
            winner: Report | None = self.store.find(rid)
            if winner is not None:
                return self._replay(winner, body_hash)
            self.directory.refresh()
        else:
            # Only many reports joining one case at once come here: transient, not a conflict
            # of the caller's making.
            raise Busy("The report could not be saved yet, please retry",
                       "Chưa lưu được báo cáo, vui lòng gửi lại sau giây lát")
        log.info("report_submitted", report_id=str(rid), area_id=report.area_id,
                 kind=report.kind, period=report.period, on_time=on_time)
        return Outcome(201, report.as_dict(), recordings[-1].notification.id, tuple(recordings))

    def _replay_if_known(self, rid: UUID, body_hash: str) -> None:
        existing: Report | None = self.store.find(rid)
        if existing is not None:
            raise _Replayed(self._replay(existing, body_hash))

    def _replay(self, existing: Report, body_hash: str) -> Outcome:
        if existing.body_hash != body_hash:
            raise Conflict("idempotency_conflict",
                           "This Idempotency-Key was already used with a different report",
                           "Khoá chống gửi trùng này đã dùng cho một báo cáo khác",
                           "Idempotency-Key")
        # Its own position, so the answer says whether it is on the stream now (a retry
        # while NATS is down must not say `published: true`).
        return Outcome(200, existing.as_dict(), self.store.positions(existing.id).get(1))

    def get_report(self, account: AccountView, raw_id: str) -> dict[str, Any]:
        try:
            rid = UUID(raw_id)
        except ValueError:
            raise _not_found("report", "báo cáo") from None
        report: Report | None = self.store.find(rid)
        if report is None or not may_read(account, self.directory.view, report.area_id,
                                          at=self.clock.now(), cadre_id=report.cadre_id):
            raise _not_found("report", "báo cáo")
        return report.as_dict()

    def list_reports(self, account: AccountView, area_id: str | None, period: str | None,
                     kind: str | None, limit: int = 100) -> list[dict[str, Any]]:
        if period is not None:
            Period.parse(period)
        if not 1 <= limit <= 500:
            raise InvalidInput("invalid_field", "limit must be between 1 and 500",
                               "limit phải từ 1 đến 500", "limit")
        self.directory.refresh()
        readable = reader(account, self.directory.view, self.clock.now())
        found = []
        for entry in reversed(self.directory.reports()):
            if area_id is not None and entry.area_id != area_id:
                continue
            if period is not None and entry.period != period:
                continue
            if kind is not None and entry.kind != kind:
                continue
            if not readable(entry.area_id, entry.cadre_id):
                continue
            found.append(entry.report_id)
            if len(found) >= limit:
                break
        reports: list[Report] = [self.store.repository.get(rid) for rid in found]
        return [r.as_dict() for r in reports]

    # -- units ----------------------------------------------------------------------
    def _visible_units(self, account: AccountView) -> set[str]:
        d = self.directory
        if account.role == Role.CADRE:
            # Listed for them, though they read no rollup: the unit their reports go to.
            cadre = d.cadre(account.cadre_id or "")
            return {cadre.unit} if cadre is not None else set()
        units = readable_units(account, d.view)
        return {u.id for u in d.units()} if units is None else units

    def _unit_view(self, unit: Unit) -> dict[str, Any]:
        return {
            "unit_id": unit.id,
            "name": unit.name,
            "kind": unit.kind,
            "level": self._unit_level(unit),
            "parent_id": unit.parent,
            "copies_to": list(unit.copies_to),
            "children": sorted(self.directory.unit_children().get(unit.id, [])),
            "area_ids": list(unit.area_ids),
        }

    def _unit_level(self, unit: Unit) -> str | None:
        area = self.directory.area(next(iter(unit.area_ids), ""))
        return None if area is None else area.level

    def list_units(self, account: AccountView) -> list[dict[str, Any]]:
        self.directory.refresh()
        visible = self._visible_units(account)
        return [self._unit_view(u) for u in self.directory.units() if u.id in visible]

    def get_unit(self, account: AccountView, unit_id: str) -> dict[str, Any]:
        self.directory.refresh()
        unit = self.directory.unit(unit_id)
        if unit is None or unit.retired or unit_id not in self._visible_units(account):
            raise _not_found("unit", "đơn vị")
        return self._unit_view(unit)


__all__ = ["DomainError", "IntakeService", "Outcome", "password_change_required"]
