"""Administration use cases: issue accounts, reset passwords, assign cadres with effective dates.

Each command checks the acting account (an admin; one with a unit acts only within its
rollup subtree) and its input, then records its events — or raises a `DomainError`
naming the field, having recorded nothing. The web's /quan-tri pages call them; an
API could call the same.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError

from domain.access import administered_units
from domain.account import ROLES, Account, Role
from domain.assignment import Assignment, overlaps
from domain.clock import VN, Clock
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.network_records import Area, AssignmentRecord, Cadre, Unit
from services.common.plan_file import NAME_MAX, USERNAME_PATTERN
from services.common.store import Store
from services.intake.directory import AccountView, Directory
from services.intake.passwords import hash_password

log = structlog.get_logger(__name__)

# No 0/o, 1/l/i: the password is read out or copied by hand onto a phone.
TEMPORARY_CHARACTERS = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4  # four groups of four: 16 characters, about 79 bits


@dataclass(frozen=True)
class IssuedPassword:
    """A password shown once to the admin and never stored in the clear."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Ended:
    assignment: AssignmentRecord
    changed: bool  # False: it already ended at that instant
    cancelled: bool  # ended before it began: it never covers anything


def temporary_password() -> str:
    return "-".join("".join(secrets.choice(TEMPORARY_CHARACTERS) for _ in range(4))
                    for _ in range(TEMPORARY_GROUPS))


def _invalid(field_: str, message: str, message_vi: str) -> InvalidInput:
    return InvalidInput("invalid_field", message, message_vi, field_)


def vn_date(text: str, field_: str, label_vi: str) -> date:
    """A date as a browser's date input sends it (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _invalid(field_, f"{field_} must be a date (YYYY-MM-DD)",
                       f"{label_vi} không hợp lệ: nhập ngày, ví dụ 01/12/2026.") from None


def vn_start(day_text: str, time_text: str = "") -> datetime:
    """`valid_from` from a Vietnam date and an optional time (default 00:00), in UTC."""
    day = vn_date(day_text, "valid_from", "Ngày bắt đầu")
    at = time(0)
    if time_text.strip():
        try:
            at = time.fromisoformat(time_text.strip())
        except ValueError:
            raise _invalid("valid_from", "valid_from time must be HH:MM",
                           "Giờ bắt đầu không hợp lệ: nhập giờ và phút, ví dụ 08:00.") from None
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=VN).astimezone(UTC)


def vn_last_day(day_text: str) -> datetime:
    """`valid_until` from the last Vietnam day included: 00:00 the next day, in UTC
    (as `until` in a plan file)."""
    day = vn_date(day_text, "valid_until", "Ngày kết thúc")
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=VN).astimezone(UTC)


def _text(value: str | None) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


def _vi_order(name: object) -> tuple[str, str]:
    """Vietnamese names in the order people expect: Đ with D, tones after the bare letter."""
    text = str(name).replace("Đ", "D").replace("đ", "d")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.casefold(), text


class Administration:
    def __init__(self, store: Store, directory: Directory, clock: Clock):
        self.store = store
        self.directory = directory
        self.clock = clock
        self._writes = threading.Lock()

    # -- scope -------------------------------------------------------------------------
    def scope(self, acting: AccountView) -> set[str] | None:
        """The units `acting` administers: None for the whole network."""
        self.directory.refresh()
        return administered_units(acting, self.directory.view)

    def _scope_areas(self, units: set[str] | None) -> set[str] | None:
        return None if units is None else self.directory.view.areas_of_units(units)

    def units(self, acting: AccountView) -> list[Unit]:
        units = self.scope(acting)
        return sorted((u for u in self.directory.units() if units is None or u.id in units),
                      key=lambda u: _vi_order(u.name))

    def cadres(self, acting: AccountView) -> list[Cadre]:
        units = self.scope(acting)
        return sorted((c for c in self.directory.view.cadres.values()
                       if not c.retired and (units is None or c.unit in units)),
                      key=lambda c: _vi_order(c.name))

    def areas(self, acting: AccountView) -> list[Area]:
        areas = self._scope_areas(self.scope(acting))
        view = self.directory.view
        live = [a for a in view.areas.values()
                if not a.retired and (areas is None or a.id in areas)]
        return sorted(live, key=lambda a: [_vi_order(view.areas[p].name)
                                           for p in view.area_path(a.id)])

    def accounts(self, acting: AccountView) -> list[AccountView]:
        units = self.scope(acting)
        return sorted((a for a in self.directory.accounts()
                       if units is None or a.unit_id in units),
                      key=lambda a: (ROLES.index(a.role), a.username))

    def account(self, acting: AccountView, username: str) -> AccountView:
        """An account `acting` administers; NotFound otherwise, as for one that is not."""
        units = self.scope(acting)
        target = self.directory.account_by_username(username)
        if target is None or (units is not None and target.unit_id not in units):
            raise NotFound("not_found", f"account {username!r} not found",
                           f"Không tìm thấy tài khoản '{username}'")
        return target

    def assignments(self, acting: AccountView) -> list[tuple[Cadre, list[AssignmentRecord]]]:
        """Each cadre `acting` administers, with its assignments in its areas, oldest first."""
        areas = self._scope_areas(self.scope(acting))
        return [(cadre, sorted((a for a in self.directory.view.assignments_of(cadre.id)
                                if areas is None or a.area_id in areas),
                               key=lambda a: a.valid_from))
                for cadre in self.cadres(acting)]

    # -- accounts ----------------------------------------------------------------------
    def issue_account(self, acting: AccountView, *, username: str, name: str, role: str,
                      unit_id: str | None, cadre_id: str | None) -> IssuedPassword:
        """Open an account with a random initial password, returned once; its owner must
        change it at first sign-in."""
        units = self.scope(acting)
        username = _text(username).lower()
        if not USERNAME_PATTERN.match(username):
            raise _invalid("username", "username must be 3-64 of a-z 0-9 . _ -",
                           "Tên đăng nhập phải gồm 3-64 ký tự: chữ thường không dấu a-z, "
                           "số 0-9, dấu chấm, gạch dưới hoặc gạch ngang.")
        if role not in ROLES:
            raise _invalid("role", f"role must be one of {', '.join(ROLES)}",
                           "Vai trò không hợp lệ: chọn cán bộ, lãnh đạo, kiểm tra hoặc quản trị.")
        unit_id, cadre_id = _text(unit_id) or None, _text(cadre_id) or None
        cadre = self._cadre(cadre_id, units) if cadre_id else None
        if role == Role.CADRE:
            if cadre is None:
                raise _invalid("cadre_id", "a cadre account names its cadre",
                               "Tài khoản cán bộ phải chọn cán bộ.")
            if unit_id is not None and unit_id != cadre.unit:
                raise _invalid("unit_id", f"cadre {cadre_id!r} belongs to another unit",
                               f"Cán bộ {cadre.name} thuộc đơn vị khác; để trống ô Đơn vị.")
            unit_id = cadre.unit
        elif cadre is not None:
            raise _invalid("cadre_id", "only a cadre account names a cadre",
                           "Chỉ tài khoản cán bộ mới chọn cán bộ; để trống ô Cán bộ.")
        if unit_id is not None:
            self._unit(unit_id, units)
        elif role == Role.LEADER:
            raise _invalid("unit_id", "a leader account names its unit",
                           "Tài khoản lãnh đạo phải chọn đơn vị.")
        elif units is not None:
            raise Forbidden("out_of_scope", "a unit-scoped admin issues accounts of its units",
                            "Đồng chí chỉ quản trị trong phạm vi đơn vị của mình: hãy chọn "
                            "một đơn vị.", "unit_id")
        name = _text(name) or (cadre.name if cadre else "")
        if not name or len(name) > NAME_MAX:
            raise _invalid("name", f"name must have 1-{NAME_MAX} characters",
                           f"Họ và tên không được để trống và không quá {NAME_MAX} ký tự.")
        if self.directory.account_by_username(username) is not None:
            raise _taken(username)
        password = temporary_password()
        account = Account(username=username, name=name, role=role, unit_id=unit_id,
                          cadre_id=cadre_id, password_hash=hash_password(password),
                          must_change_password=True)
        try:
            self._save(account)
        except IntegrityError:  # the same form, sent twice at once
            raise _taken(username) from None
        log.info("account_issued", by=acting.username, account_id=str(account.id), role=role,
                 unit_id=unit_id)
        return IssuedPassword(username, password)

    def reset_password(self, acting: AccountView, username: str) -> IssuedPassword:
        """A new random password, to be changed at the owner's next sign-in; the old one,
        its tokens and web sessions stop working."""
        target = self.account(acting, username)
        password = temporary_password()
        account: Account = self.store.repository.get(target.id)
        account.reset_password(password_hash=hash_password(password))
        self._save(account)
        log.info("password_reset", by=acting.username, account_id=str(target.id))
        return IssuedPassword(target.username, password)

    def set_active(self, acting: AccountView, username: str, active: bool) -> bool:
        """Disable or re-enable; False if it already was."""
        target = self.account(acting, username)
        if target.id == acting.id and not active:
            raise Forbidden("own_account", "an admin cannot disable their own account",
                            "Không thể tự khoá tài khoản đang dùng.", "username")
        if target.active == active:
            return False
        account: Account = self.store.repository.get(target.id)
        if active:
            account.enable()
        else:
            account.disable()
        self._save(account)
        log.info("account_enabled" if active else "account_disabled", by=acting.username,
                 account_id=str(target.id))
        return True

    # -- assignments -------------------------------------------------------------------
    def start_assignment(self, acting: AccountView, *, cadre_id: str, area_id: str,
                         valid_from: datetime, valid_until: datetime | None) -> AssignmentRecord:
        """Assign a cadre to an area from `valid_from`, until `valid_until` (exclusive)."""
        units = self.scope(acting)
        cadre = self._cadre(_text(cadre_id), units)
        area = self._area(_text(area_id), units)
        if valid_until is not None and valid_until <= valid_from:
            raise _invalid("valid_until", "valid_until must be after valid_from",
                           "Ngày kết thúc phải sau thời điểm bắt đầu.")
        # One check-then-save at a time in this process, so two admins cannot both add
        # overlapping assignments; the directory is refreshed inside, to see the other's.
        with self._writes:
            self.directory.refresh()
            for other in self.directory.view.assignments_of(cadre.id):
                if other.area_id == area.id and overlaps(
                        (other.valid_from, other.valid_until), (valid_from, valid_until)):
                    raise _overlap(cadre, area, other)
            assignment = Assignment(cadre_id=cadre.id, area_id=area.id,
                                    valid_from=valid_from, valid_until=valid_until)
            if self.store.find(assignment.id) is not None:
                raise _same_start(cadre, area)  # one ended before it began, same start
            try:
                self._save(assignment)
            except IntegrityError:
                raise _same_start(cadre, area) from None
        log.info("assignment_started", by=acting.username, assignment_id=str(assignment.id),
                 cadre_id=cadre.id, area_id=area.id)
        view = self.directory.assignment(assignment.id)
        assert view is not None
        return view

    def end_assignment(self, acting: AccountView, assignment_id: UUID,
                       at: datetime | None = None) -> Ended:
        """End at `at` (now if None), past or future; at its start if it has not begun."""
        units = self.scope(acting)
        current = self.directory.assignment(assignment_id)
        if current is None or not self._may_assign(current.cadre_id, current.area_id, units):
            raise NotFound("not_found", "assignment not found", "Không tìm thấy phân công")
        now = self.clock.now()
        if at is not None and at <= current.valid_from <= now:
            raise _invalid("valid_until", "an assignment that has begun ends after its start",
                           f"Phân công đã bắt đầu từ {_vn(current.valid_from)}; ngày kết thúc "
                           "phải sau thời điểm đó.")
        until = max(at or now, current.valid_from)
        if current.valid_until is not None and current.valid_until < until:
            raise Conflict("already_ended", "the assignment already ends earlier",
                           f"Phân công này đã kết thúc từ {_vn(current.valid_until)}, sớm hơn "
                           "thời điểm đã chọn; không có gì thay đổi. Muốn giao lại, hãy thêm "
                           "phân công mới.", "valid_until")
        changed = current.valid_until != until
        if changed:
            assignment: Assignment = self.store.repository.get(assignment_id)
            assignment.end(until)
            self._save(assignment)
            log.info("assignment_ended", by=acting.username, assignment_id=str(assignment_id))
        ended = self.directory.assignment(assignment_id)
        assert ended is not None
        return Ended(ended, changed, _empty(ended))

    # -- checks ------------------------------------------------------------------------
    def _may_assign(self, cadre_id: str, area_id: str, units: set[str] | None) -> bool:
        areas = self._scope_areas(units)
        cadre = self.directory.cadre(cadre_id)
        return units is None or (cadre is not None and cadre.unit in units
                                 and areas is not None and area_id in areas)

    def _cadre(self, cadre_id: str, units: set[str] | None) -> Cadre:
        cadre = self.directory.cadre(cadre_id)
        if cadre is None or cadre.retired:
            raise _invalid("cadre_id", f"cadre {cadre_id!r} does not exist",
                           f"Cán bộ '{cadre_id}' không có trong mạng lưới (hoặc đã thôi).")
        if units is not None and cadre.unit not in units:
            raise Forbidden("out_of_scope", f"cadre {cadre_id!r} is outside your units",
                            f"Cán bộ {cadre.name} không thuộc phạm vi đơn vị đồng chí "
                            "quản trị.", "cadre_id")
        return cadre

    def _unit(self, unit_id: str, units: set[str] | None) -> Unit:
        unit = self.directory.unit(unit_id)
        if unit is None or unit.retired:
            raise _invalid("unit_id", f"unit {unit_id!r} does not exist",
                           f"Đơn vị '{unit_id}' không có trong mạng lưới (hoặc đã giải thể).")
        if units is not None and unit_id not in units:
            raise Forbidden("out_of_scope", f"unit {unit_id!r} is outside your units",
                            f"{unit.name} không thuộc phạm vi đơn vị đồng chí quản trị.",
                            "unit_id")
        return unit

    def _area(self, area_id: str, units: set[str] | None) -> Area:
        area = self.directory.area(area_id)
        if area is None or area.retired:
            raise _invalid("area_id", f"area {area_id!r} does not exist",
                           f"Địa bàn '{area_id}' không có trong mạng lưới (hoặc đã bỏ).")
        areas = self._scope_areas(units)
        if areas is not None and area_id not in areas:
            raise Forbidden("out_of_scope", f"area {area_id!r} is outside your units",
                            f"{area.name} không thuộc phạm vi đơn vị đồng chí quản trị.",
                            "area_id")
        return area

    def _save(self, *aggregates: Any) -> None:
        self.store.save(*aggregates)
        self.directory.refresh()


def _empty(a: AssignmentRecord) -> bool:
    return a.valid_until is not None and a.valid_until <= a.valid_from


def _vn(at: datetime) -> str:
    return at.astimezone(VN).strftime("%H:%M ngày %d/%m/%Y")


def _taken(username: str) -> Conflict:
    return Conflict("username_taken", f"username {username!r} is taken",
                    f"Tên đăng nhập '{username}' đã có. Nếu vừa cấp tài khoản này mà chưa ghi "
                    "lại mật khẩu, hãy mở tài khoản đó và đặt lại mật khẩu.", "username")


def _overlap(cadre: Cadre, area: Area, other: AssignmentRecord) -> Conflict:
    until = f"đến {_vn(other.valid_until)}" if other.valid_until else "không thời hạn"
    return Conflict("assignment_overlap",
                    f"cadre {cadre.id!r} is already assigned to {area.id!r} "
                    "for part of this period",
                    f"Cán bộ {cadre.name} đã được phân công {area.name} trong một phần "
                    f"thời gian này (từ {_vn(other.valid_from)}, {until}).", "valid_from")


def _same_start(cadre: Cadre, area: Area) -> Conflict:
    return Conflict("assignment_exists",
                    "an assignment with this cadre, area and start already exists",
                    f"Đã có phân công {cadre.name} — {area.name} bắt đầu đúng thời điểm "
                    "này; chọn thời điểm bắt đầu khác.", "valid_from")


__all__ = ["Administration", "Ended", "IssuedPassword", "temporary_password", "vn_last_day",
           "vn_start"]
