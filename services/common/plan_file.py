"""Reading a network plan file (TOML) into validated, frozen specs."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from domain.account import ROLES, Role
from domain.assignment import overlaps
from domain.clock import VN
from domain.deadlines import RULE_KEYS
from domain.errors import InvalidInput
from domain.obligations import Obligation, from_schedule
from domain.org_chart import ChartArea, ChartAssignment, ChartUnit, OrgChart
from domain.periods import REPORT_KINDS
from domain.schedule import Schedule

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
CODE_PATTERN = re.compile(r"^[^\s/]{1,20}$")  # goes into "số 12-BC/CODE": no spaces, no slash
UNIT_KINDS = ("association", "party")
OBLIGATION_KEYS = frozenset({"level", "units", "remind_hours_before", *RULE_KEYS})
NAME_MAX = 200
PASSWORD_MIN = 8

T = TypeVar("T")


class PlanError(InvalidInput):
    """The plan file cannot be used as written; `field` says where."""

    def __init__(self, field: str | None, message: str, message_vi: str):
        super().__init__("invalid_plan", message, message_vi, field)


@dataclass(frozen=True)
class LevelSpec:
    id: str
    name: str
    rank: int


@dataclass(frozen=True)
class AreaSpec:
    id: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    kind: str
    parent: str | None
    copies_to: tuple[str, ...]
    area_ids: tuple[str, ...]
    place: str
    code: str
    superior: str


@dataclass(frozen=True)
class CadreSpec:
    id: str
    name: str
    unit: str


@dataclass(frozen=True)
class AccountSpec:
    username: str
    password: str = field(repr=False)
    role: str
    unit: str | None
    cadre: str | None
    name: str


@dataclass(frozen=True)
class AssignmentSpec:
    cadre: str
    area: str
    valid_from: datetime
    valid_until: datetime | None


@dataclass(frozen=True)
class Plan:
    name: str
    levels: tuple[LevelSpec, ...]
    areas: tuple[AreaSpec, ...]
    units: tuple[UnitSpec, ...]
    cadres: tuple[CadreSpec, ...]
    accounts: tuple[AccountSpec, ...]
    assignments: tuple[AssignmentSpec, ...]
    schedule: dict[str, object] = field(hash=False)
    escalation: dict[str, object] = field(hash=False)
    # Declared in [[obligations]], or derived from [schedule] when the section is absent.
    obligations: tuple[Obligation, ...] = ()
    obligations_declared: bool = False
    # `demo = true`: the plan's passwords are published demo logins, usable as they are.
    # Any other plan's accounts must change theirs at first sign-in (docs/plan-format.md).
    demo: bool = False

    # cached_property writes to __dict__ directly, so it works on a frozen dataclass.
    @cached_property
    def levels_by_id(self) -> Mapping[str, LevelSpec]:
        return {x.id: x for x in self.levels}

    @cached_property
    def areas_by_id(self) -> Mapping[str, AreaSpec]:
        return {x.id: x for x in self.areas}

    @cached_property
    def units_by_id(self) -> Mapping[str, UnitSpec]:
        return {x.id: x for x in self.units}

    @cached_property
    def cadres_by_id(self) -> Mapping[str, CadreSpec]:
        return {x.id: x for x in self.cadres}

    @cached_property
    def accounts_by_username(self) -> Mapping[str, AccountSpec]:
        return {x.username: x for x in self.accounts}

    @property
    def root_area(self) -> AreaSpec:
        return next(a for a in self.areas if a.parent is None)

    def child_areas(self, area_id: str) -> tuple[AreaSpec, ...]:
        return tuple(a for a in self.areas if a.parent == area_id)

    def child_units(self, unit_id: str) -> tuple[UnitSpec, ...]:
        return tuple(u for u in self.units if u.parent == unit_id)

    def rollup_chain(self, unit_id: str) -> tuple[UnitSpec, ...]:
        """The unit, then each parent up to the top."""
        chain: list[UnitSpec] = []
        current: str | None = unit_id
        while current is not None:
            unit = self.units_by_id[current]
            chain.append(unit)
            current = unit.parent
        return tuple(chain)

    def assignments_of(self, cadre_id: str) -> tuple[AssignmentSpec, ...]:
        return tuple(a for a in self.assignments if a.cadre == cadre_id)

    def assignments_in(self, area_id: str) -> tuple[AssignmentSpec, ...]:
        return tuple(a for a in self.assignments if a.area == area_id)

    def org_chart(self) -> OrgChart:
        """The plan's network as the obligation engine reads it."""
        return _chart(self.levels, self.areas, self.units, self.assignments)


def _chart(levels: tuple[LevelSpec, ...], areas: tuple[AreaSpec, ...],
           units: tuple[UnitSpec, ...], assignments: tuple[AssignmentSpec, ...]) -> OrgChart:
    return OrgChart(
        [lv.id for lv in sorted(levels, key=lambda lv: lv.rank)],
        [ChartArea(a.id, a.level, a.parent) for a in areas],
        [ChartUnit(u.id, u.parent, u.copies_to, u.area_ids) for u in units],
        [ChartAssignment(a.cadre, a.area, a.valid_from, a.valid_until) for a in assignments],
    )


def load_plan(path: Path) -> Plan:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # editors on Windows often add a BOM
    except OSError as exc:
        raise PlanError(
            None,
            f"Cannot read plan file {path}: {exc.strerror or exc}",
            f"Không đọc được tệp kế hoạch {path}: {exc.strerror or exc}",
        ) from exc
    except UnicodeDecodeError as exc:
        raise PlanError(
            None, "The plan file is not UTF-8 text", "Tệp kế hoạch không phải văn bản UTF-8"
        ) from exc
    return parse_plan(text)


def parse_plan(text: str) -> Plan:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(
            None, f"The plan file is not valid TOML: {exc}", f"Tệp kế hoạch sai cú pháp TOML: {exc}"
        ) from exc
    except RecursionError:  # tomllib recurses per nesting level; no plan nests past a few
        raise PlanError(None, "The plan file is nested too deeply",
                        "Tệp kế hoạch lồng nhau quá sâu") from None
    return _Parser().plan(data)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Parser:
    def plan(self, data: dict[str, Any]) -> Plan:
        self._keys(data, "", required={"name", "levels", "areas"}, optional={
            "units", "cadres", "accounts", "assignments", "schedule", "escalation",
            "obligations", "demo"})
        name = self._name(data, "", "name")
        demo = self._typed(data.get("demo", False), "demo", bool, "true or false",
                           "true hoặc false")
        levels = tuple(self._level(t, w, i)
                       for i, (t, w) in enumerate(self._tables(data, "levels", required=True)))
        self._unique([x.id for x in levels], "levels")
        level_rank = {x.id: x.rank for x in levels}
        areas = tuple(self._area(t, w, level_rank)
                      for t, w in self._tables(data, "areas", required=True))
        self._unique([x.id for x in areas], "areas")
        self._check_area_tree(areas, level_rank)
        area_ids = {x.id for x in areas}
        unit_tables = self._tables(data, "units")
        unit_ids = {t["id"] for t, _ in unit_tables if isinstance(t.get("id"), str)}
        units = tuple(self._unit(t, w, unit_ids, area_ids) for t, w in unit_tables)
        self._unique([x.id for x in units], "units")
        self._check_unit_cycles(units)
        cadres = tuple(self._cadre(t, w, unit_ids) for t, w in self._tables(data, "cadres"))
        self._unique([x.id for x in cadres], "cadres")
        cadre_by_id = {x.id: x for x in cadres}
        accounts = tuple(self._account(t, w, unit_ids, cadre_by_id)
                         for t, w in self._tables(data, "accounts"))
        self._unique([x.username for x in accounts], "accounts", key="username")
        assignments = tuple(self._assignment(t, w, cadre_by_id, area_ids)
                            for t, w in self._tables(data, "assignments"))
        self._check_overlaps(assignments)
        schedule = self._table(data, "schedule")
        escalation = self._table(data, "escalation")
        if "top" in escalation:
            top = self._id(escalation, "escalation", "top")
            self._ref(top, "escalation.top", unit_ids, "unit", "Đơn vị")
        rules = self._schedule(schedule)
        declared = "obligations" in data
        if declared:
            chart = _chart(levels, areas, units, assignments)
            obligations = _Obligations(self, chart).read(self._tables(data, "obligations"))
        else:
            obligations = from_schedule(rules)
        return Plan(name, levels, areas, units, cadres, accounts, assignments,
                    schedule, escalation, obligations, declared, demo)

    def _schedule(self, table: dict[str, object]) -> Schedule:
        try:
            return Schedule.from_mapping(table)
        except InvalidInput as exc:
            raise PlanError(exc.field, exc.message, exc.message_vi) from exc

    # --- records ---

    def _level(self, t: dict[str, Any], w: str, rank: int) -> LevelSpec:
        self._keys(t, w, required={"id", "name"})
        return LevelSpec(self._id(t, w, "id"), self._name(t, w, "name"), rank)

    def _area(self, t: dict[str, Any], w: str, level_rank: Mapping[str, int]) -> AreaSpec:
        self._keys(t, w, required={"id", "name", "level"}, optional={"parent"})
        level = self._ref(self._id(t, w, "level"), _at(w, "level"), level_rank, "level", "Cấp")
        parent = self._id(t, w, "parent") if "parent" in t else None
        return AreaSpec(self._id(t, w, "id"), self._name(t, w, "name"), level, parent)

    def _unit(self, t: dict[str, Any], w: str, unit_ids: set[str], area_ids: set[str]) -> UnitSpec:
        self._keys(t, w, required={"id", "name", "kind", "place", "code"},
                   optional={"parent", "copies_to", "areas", "superior"})
        uid = self._id(t, w, "id")
        kind = self._str(t, w, "kind")
        if kind not in UNIT_KINDS:
            raise PlanError(_at(w, "kind"),
                            f"Unit kind {kind!r} is not one of {', '.join(UNIT_KINDS)}",
                            f"Loại đơn vị '{kind}' không hợp lệ; dùng association hoặc party")
        parent = None
        if "parent" in t:
            parent = self._ref(self._id(t, w, "parent"), _at(w, "parent"), unit_ids,
                               "parent unit", "Đơn vị cấp trên")
            if parent == uid:
                raise PlanError(_at(w, "parent"), "A unit cannot be its own parent",
                                "Đơn vị không thể là cấp trên của chính nó")
        copies = self._id_list(t, w, "copies_to", unit_ids, "unit", "Đơn vị nhận")
        for i, c in enumerate(copies):
            if c in (uid, parent):
                raise PlanError(f"{_at(w, 'copies_to')}[{i}]",
                                f"Unit {c!r} is the unit itself or its parent, not a copy",
                                f"Đơn vị '{c}' là chính nó hoặc cấp trên, không phải nơi nhận")
        return UnitSpec(
            id=uid, name=self._name(t, w, "name"), kind=kind, parent=parent, copies_to=copies,
            area_ids=self._id_list(t, w, "areas", area_ids, "area", "Địa bàn"),
            place=self._name(t, w, "place"), code=self._code(t, w),
            superior=self._name(t, w, "superior", allow_empty=True) if "superior" in t else "",
        )

    def _cadre(self, t: dict[str, Any], w: str, unit_ids: set[str]) -> CadreSpec:
        self._keys(t, w, required={"id", "name", "unit"})
        unit = self._ref(self._id(t, w, "unit"), _at(w, "unit"), unit_ids, "unit", "Đơn vị")
        return CadreSpec(self._id(t, w, "id"), self._name(t, w, "name"), unit)

    def _account(self, t: dict[str, Any], w: str, unit_ids: set[str],
                 cadre_by_id: Mapping[str, CadreSpec]) -> AccountSpec:
        self._keys(t, w, required={"username", "password", "role"},
                   optional={"unit", "cadre", "name"})
        username = self._str(t, w, "username")
        if not USERNAME_PATTERN.match(username):
            raise PlanError(_at(w, "username"),
                            f"Username {username!r} must be 3-64 of a-z 0-9 . _ -",
                            f"Tên đăng nhập '{username}' phải gồm 3-64 ký tự "
                            "a-z, 0-9, '.', '_', '-'")
        password = self._str(t, w, "password")
        if len(password) < PASSWORD_MIN:
            raise PlanError(_at(w, "password"),
                            f"Password must have at least {PASSWORD_MIN} characters",
                            f"Mật khẩu phải có ít nhất {PASSWORD_MIN} ký tự")
        role = self._str(t, w, "role")
        if role not in ROLES:
            raise PlanError(_at(w, "role"), f"Role {role!r} is not one of {', '.join(ROLES)}",
                            f"Vai trò '{role}' không hợp lệ; dùng cadre, leader, auditor "
                            "hoặc admin")
        unit = None
        if "unit" in t:
            unit = self._ref(self._id(t, w, "unit"), _at(w, "unit"), unit_ids, "unit", "Đơn vị")
        cadre = None
        if "cadre" in t:
            cadre = self._ref(self._id(t, w, "cadre"), _at(w, "cadre"), cadre_by_id,
                              "cadre", "Cán bộ")
        if role == Role.CADRE:
            if cadre is None:
                raise PlanError(_at(w, "cadre"), "A cadre account must name its cadre",
                                "Tài khoản cán bộ phải ghi mã cán bộ (cadre)")
            if unit is not None and unit != cadre_by_id[cadre].unit:
                raise PlanError(_at(w, "unit"), f"Cadre {cadre!r} belongs to another unit",
                                f"Cán bộ '{cadre}' thuộc đơn vị khác")
            unit = cadre_by_id[cadre].unit
        elif cadre is not None:
            raise PlanError(_at(w, "cadre"), "Only a cadre account names a cadre",
                            "Chỉ tài khoản cán bộ mới ghi mã cán bộ (cadre)")
        if role == Role.LEADER and unit is None:
            raise PlanError(_at(w, "unit"), "A leader account must name its unit",
                            "Tài khoản lãnh đạo phải ghi đơn vị (unit)")
        if "name" in t:
            name = self._name(t, w, "name")
        elif cadre is not None:
            name = cadre_by_id[cadre].name
        else:
            raise PlanError(_at(w, "name"), "'name' is required", "Thiếu trường bắt buộc 'name'")
        return AccountSpec(username, password, role, unit, cadre, name)

    def _assignment(self, t: dict[str, Any], w: str, cadre_by_id: Mapping[str, CadreSpec],
                    area_ids: set[str]) -> AssignmentSpec:
        self._keys(t, w, required={"cadre", "area", "from"}, optional={"until"})
        cadre = self._ref(self._id(t, w, "cadre"), _at(w, "cadre"), cadre_by_id, "cadre",
                          "Cán bộ")
        area = self._ref(self._id(t, w, "area"), _at(w, "area"), area_ids, "area", "Địa bàn")
        valid_from = self._instant(t["from"], _at(w, "from"), end=False)
        valid_until = None
        if "until" in t:
            valid_until = self._instant(t["until"], _at(w, "until"), end=True)
            if valid_until <= valid_from:
                raise PlanError(_at(w, "until"), "'until' must be after 'from'",
                                "Ngày kết thúc (until) phải sau ngày bắt đầu (from)")
        return AssignmentSpec(cadre, area, valid_from, valid_until)

    # --- whole-plan checks ---

    def _check_area_tree(self, areas: tuple[AreaSpec, ...], level_rank: Mapping[str, int]) -> None:
        by_id = {a.id: a for a in areas}
        for i, a in enumerate(areas):
            if a.parent is not None and a.parent not in by_id:
                raise PlanError(f"areas[{i}].parent", f"Parent area {a.parent!r} does not exist",
                                f"Địa bàn cấp trên '{a.parent}' không tồn tại")
        roots = [i for i, a in enumerate(areas) if a.parent is None]
        if len(roots) != 1:
            where = f"areas[{roots[1]}].parent" if roots else "areas"
            raise PlanError(where, f"Exactly one area must have no parent, found {len(roots)}",
                            f"Phải có đúng một địa bàn gốc (không có cấp trên), "
                            f"đang có {len(roots)}")
        for i, a in enumerate(areas):
            if a.parent is None:
                continue
            parent = by_id[a.parent]
            # Ranks strictly increase downwards, which also rules out cycles.
            if level_rank[a.level] <= level_rank[parent.level]:
                raise PlanError(f"areas[{i}].level",
                                f"Level {a.level!r} must be below its parent's {parent.level!r}",
                                f"Cấp '{a.level}' phải thấp hơn cấp '{parent.level}' "
                                "của địa bàn cấp trên")

    def _check_unit_cycles(self, units: tuple[UnitSpec, ...]) -> None:
        parent_of = {u.id: u.parent for u in units}
        for i, u in enumerate(units):
            seen = [u.id]
            current = u.parent
            while current is not None:
                if current == u.id:
                    path = " → ".join([*seen, u.id])
                    raise PlanError(f"units[{i}].parent", f"Unit parents form a cycle: {path}",
                                    f"Đơn vị cấp trên tạo thành vòng lặp: {path}")
                if current in seen:
                    break  # a cycle elsewhere; reported at one of its own members
                seen.append(current)
                current = parent_of[current]

    def _check_overlaps(self, assignments: tuple[AssignmentSpec, ...]) -> None:
        for j, b in enumerate(assignments):
            for a in assignments[:j]:
                if (a.cadre, a.area) != (b.cadre, b.area):
                    continue
                if overlaps((a.valid_from, a.valid_until), (b.valid_from, b.valid_until)):
                    raise PlanError(f"assignments[{j}].from",
                                    f"Cadre {b.cadre!r} is already assigned to {b.area!r} "
                                    "for part of this period",
                                    f"Cán bộ '{b.cadre}' đã được phân công địa bàn '{b.area}' "
                                    "trong một phần thời gian này")

    # --- values ---

    def _keys(self, t: dict[str, Any], w: str, required: set[str],
              optional: set[str] | frozenset[str] = frozenset()) -> None:
        for key in t:
            if key not in required and key not in optional:
                raise PlanError(_at(w, key), f"Unknown key {key!r}",
                                f"Khóa '{key}' không được hỗ trợ (có thể gõ sai)")
        for key in sorted(required):
            if key not in t:
                raise PlanError(_at(w, key), f"{key!r} is required",
                                f"Thiếu trường bắt buộc '{key}'")

    def _tables(self, data: dict[str, Any], key: str,
                required: bool = False) -> list[tuple[dict[str, Any], str]]:
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise PlanError(key, f"{key!r} must be an array of tables ([[{key}]])",
                            f"'{key}' phải là danh sách bảng ([[{key}]])")
        if required and not items:
            raise PlanError(key, f"At least one [[{key}]] is required",
                            f"Cần ít nhất một mục [[{key}]]")
        return [(x, f"{key}[{i}]") for i, x in enumerate(items)]

    def _table(self, data: dict[str, Any], key: str) -> dict[str, object]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise PlanError(key, f"[{key}] must be a table", f"[{key}] phải là một bảng")
        return dict(value)

    def _typed(self, value: object, where: str, kind: type[T], en: str, vi: str) -> T:
        if not isinstance(value, kind):
            raise PlanError(where, f"Must be {en}", f"Phải là {vi}")
        return value

    def _str(self, t: dict[str, Any], w: str, key: str) -> str:
        return self._typed(t[key], _at(w, key), str, "a string", "chuỗi ký tự")

    def _id(self, t: Mapping[str, object], w: str, key: str) -> str:
        return self._id_value(t[key], _at(w, key))

    def _id_value(self, raw: object, where: str) -> str:
        value = self._typed(raw, where, str, "a string", "chuỗi ký tự")
        if not ID_PATTERN.match(value):
            raise PlanError(where,
                            f"Id {value!r} must be 1-63 of a-z 0-9 _ - (no dots or spaces)",
                            f"Mã '{value}' chỉ gồm 1-63 ký tự a-z, 0-9, '_', '-' "
                            "(không dấu chấm, khoảng trắng)")
        return value

    def _name(self, t: dict[str, Any], w: str, key: str, allow_empty: bool = False) -> str:
        value = unicodedata.normalize("NFC", self._str(t, w, key)).strip()
        if not value and not allow_empty:
            raise PlanError(_at(w, key), f"{key!r} must not be empty",
                            f"'{key}' không được để trống")
        if len(value) > NAME_MAX:
            raise PlanError(_at(w, key), f"{key!r} is longer than {NAME_MAX} characters",
                            f"'{key}' dài quá {NAME_MAX} ký tự")
        return value

    def _code(self, t: dict[str, Any], w: str) -> str:
        value = unicodedata.normalize("NFC", self._str(t, w, "code"))
        if not CODE_PATTERN.match(value):
            raise PlanError(_at(w, "code"), "Code must be 1-20 characters, no spaces or '/'",
                            "Ký hiệu (code) phải có 1-20 ký tự, không khoảng trắng, không '/'")
        return value

    def _ref(self, value: str, where: str, known: Mapping[str, object] | set[str],
             what: str, what_vi: str) -> str:
        if value not in known:
            raise PlanError(where, f"{what.capitalize()} {value!r} does not exist",
                            f"{what_vi} '{value}' không tồn tại")
        return value

    def _id_list(self, t: dict[str, Any], w: str, key: str, known: set[str],
                 what: str, what_vi: str) -> tuple[str, ...]:
        values = self._typed(t.get(key, []), _at(w, key), list, "an array of ids",
                             "danh sách mã")
        out: list[str] = []
        for i, raw in enumerate(values):
            where = f"{_at(w, key)}[{i}]"
            item = self._ref(self._id_value(raw, where), where, known, what, what_vi)
            if item in out:
                raise PlanError(where, f"{item!r} is listed twice",
                                f"'{item}' bị ghi hai lần")
            out.append(item)
        return tuple(out)

    def _instant(self, value: object, where: str, end: bool) -> datetime:
        if isinstance(value, datetime):  # check first: datetime is a subclass of date
            if value.tzinfo is None:
                raise PlanError(where,
                                "A date-time needs an offset, e.g. 2026-01-01T08:00:00+07:00",
                                "Thời điểm phải có múi giờ, ví dụ 2026-01-01T08:00:00+07:00, "
                                "hoặc chỉ ghi ngày")
            return value.astimezone(UTC)
        if isinstance(value, date):
            # A date is a whole Vietnam day: `from` starts it, `until` includes it.
            day = value + timedelta(days=1) if end else value
            return datetime.combine(day, time(0), tzinfo=VN).astimezone(UTC)
        raise PlanError(where, "Must be a date (2026-01-01) or a date-time with offset",
                        "Phải là ngày (2026-01-01) hoặc thời điểm có múi giờ")

    def _unique(self, ids: list[str], section: str, key: str = "id") -> None:
        seen: set[str] = set()
        what_vi = "Tên đăng nhập" if key == "username" else "Mã"
        for i, value in enumerate(ids):
            if value in seen:
                raise PlanError(f"{section}[{i}].{key}", f"Duplicate {key} {value!r}",
                                f"{what_vi} '{value}' bị trùng trong [[{section}]]")
            seen.add(value)


class _Obligations:
    """Reads [[obligations]]: each table lists kinds; each kind becomes one Obligation."""

    def __init__(self, parser: _Parser, chart: OrgChart) -> None:
        self.p = parser
        self.chart = chart
        self.seen: dict[tuple[str, ...], str] = {}

    def read(self, tables: list[tuple[dict[str, Any], str]]) -> tuple[Obligation, ...]:
        out: list[Obligation] = []
        for t, w in tables:
            self.p._keys(t, w, required={"kinds", "owner"}, optional=OBLIGATION_KEYS)
            kinds = self._kinds(t, w)
            if "level" in t:
                self._level(self.p._id(t, w, "level"), _at(w, "level"))
            units = self.p._id_list(t, w, "units", set(self.chart.units), "unit", "Đơn vị")
            for j, kind in enumerate(kinds):
                record = {**{k: v for k, v in t.items() if k != "kinds"}, "kind": kind}
                try:
                    obligation = Obligation.from_mapping(record)
                except InvalidInput as exc:
                    key = exc.field or ""
                    where = f"{w}.kinds[{j}]" if key == "kind" else _at(w, key) if key else w
                    raise PlanError(where, exc.message, exc.message_vi) from exc
                if obligation.owner == "unit":
                    self._recipients(units, w)
                self._once(obligation, w, j)
                out.append(obligation)
        return tuple(out)

    def _kinds(self, t: dict[str, Any], w: str) -> list[str]:
        raw = self.p._typed(t["kinds"], _at(w, "kinds"), list, "an array of report kinds",
                            "danh sách loại báo cáo")
        if not raw:
            raise PlanError(_at(w, "kinds"), "List at least one report kind",
                            "Cần ghi ít nhất một loại báo cáo")
        kinds: list[str] = []
        for i, kind in enumerate(raw):
            where = f"{_at(w, 'kinds')}[{i}]"
            if kind not in REPORT_KINDS:
                raise PlanError(where, f"Report kind {kind!r} is not one of"
                                f" {', '.join(REPORT_KINDS)}", f"Loại báo cáo '{kind}' không"
                                f" hợp lệ; dùng một trong {', '.join(REPORT_KINDS)}")
            if kind in kinds:
                raise PlanError(where, f"{kind!r} is listed twice", f"'{kind}' bị ghi hai lần")
            kinds.append(kind)
        return kinds

    def _level(self, level: str, where: str) -> None:
        self.p._ref(level, where, set(self.chart.levels), "level", "Cấp")
        if not self.chart.units_at_level(level):
            raise PlanError(where, f"No unit covers an area of level {level!r}, so nobody"
                            " would owe this", f"Không đơn vị nào phụ trách địa bàn cấp"
                            f" '{level}', nên không ai phải nộp báo cáo này")

    def _recipients(self, units: tuple[str, ...], w: str) -> None:
        for i, unit_id in enumerate(units):
            if not self.chart.recipients(unit_id):
                raise PlanError(f"{_at(w, 'units')}[{i}]", f"Unit {unit_id!r} has no parent"
                                " and no copy recipient to send its report to", f"Đơn vị"
                                f" '{unit_id}' không có cấp trên hay nơi nhận để gửi báo cáo")

    def _once(self, obligation: Obligation, w: str, j: int) -> None:
        """The same owners may owe a kind once per scope; narrower scopes override wider."""
        head = (obligation.kind, str(obligation.owner))
        scopes: list[tuple[tuple[str, ...], str]]
        if obligation.units:
            scopes = [((*head, "unit", u), f"{_at(w, 'units')}[{i}]")
                      for i, u in enumerate(obligation.units)]
        elif obligation.level is not None:
            scopes = [((*head, "level", obligation.level), _at(w, "level"))]
        else:
            scopes = [((*head, "all"), f"{_at(w, 'kinds')}[{j}]")]
        for key, where in scopes:
            if key in self.seen:
                raise PlanError(where, f"{obligation.kind!r} owed by {obligation.owner!r} is"
                                f" already set here by {self.seen[key]}", f"Báo cáo"
                                f" '{obligation.kind}' của '{obligation.owner}' đã được quy định"
                                f" ở {self.seen[key]}")
            self.seen[key] = w
