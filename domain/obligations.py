"""Obligations as data: which report kind is owed, by whom, where, and by when.

An obligation is owed either by the **cadres** assigned to each area it covers or by
the **unit** itself (its compiled report, sent to its parent and copy recipients). It
applies to the units of one level, to named units, or to the whole network. A plan
without obligations keeps the behaviour of its [schedule]: every assigned cadre owes
every kind the schedule names (`from_schedule`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.deadlines import RULE_KEYS, DatesDue, DeadlineRule, MonthDayDue, WeekdayDue, read_rule
from domain.errors import InvalidInput
from domain.periods import REPORT_KIND_CADENCE, REPORT_KINDS, URGENT, Cadence, Period
from domain.schedule import Schedule

REMIND_HOURS_MAX = 24 * 31
_KEYS = ("kind", "owner", "level", "units", "remind_hours_before", *RULE_KEYS)


class OwnerType(StrEnum):
    CADRE = "cadre"
    UNIT = "unit"


def _refused(field: str, en: str, vi: str) -> InvalidInput:
    return InvalidInput(code="invalid_obligation", message=en, message_vi=vi, field=field)


@dataclass(frozen=True)
class Obligation:
    """One report kind owed by cadres or units; `level` or `units` narrow where (else: all)."""

    kind: str
    owner: OwnerType
    rule: DeadlineRule | None
    level: str | None = None
    units: tuple[str, ...] = ()
    remind_before: timedelta | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "owner", OwnerType(self.owner))
        if self.kind not in REPORT_KINDS:
            raise ValueError(f"unknown report kind {self.kind!r}")
        if (self.rule is None) is not (self.kind == URGENT):
            raise ValueError("urgent reports, and only they, have no deadline rule")
        cadence = REPORT_KIND_CADENCE.get(self.kind)
        weekly = cadence is Cadence.WEEK
        if self.rule is not None and isinstance(self.rule, WeekdayDue) is not weekly:
            raise ValueError(f"a {self.kind} report cannot be due on a weekday rule")
        if isinstance(self.rule, DatesDue) and self.rule.cadence is not cadence:
            raise ValueError(f"dates for a {self.rule.cadence} do not fit a {self.kind} report")
        if self.level is not None and self.units:
            raise ValueError("an obligation applies to a level or to named units, not both")
        early = self.remind_before
        if early is not None and (self.rule is None or early <= timedelta(0)):
            raise ValueError("a reminder comes a positive time before a deadline")

    @property
    def specificity(self) -> int:
        """0 for named units, 1 for a level, 2 for the whole network: the lowest wins."""
        if self.units:
            return 0
        return 1 if self.level is not None else 2

    def deadline(self, period: Period, schedule: Schedule) -> datetime | None:
        """When this period's report is due; None if nothing is owed for it (or urgent)."""
        if self.rule is None or REPORT_KIND_CADENCE[self.kind] is not period.cadence:
            return None
        return self.rule.deadline(period, schedule)

    def reminder(self, deadline: datetime) -> datetime | None:
        return None if self.remind_before is None else deadline - self.remind_before

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Obligation:
        """Read one obligation record (one kind); errors name the key in `field`."""
        for key in data:
            if key not in _KEYS:
                raise _refused(str(key), f"Unknown key {key!r}; known keys: {', '.join(_KEYS)}",
                               f"Khóa '{key}' không được hỗ trợ; các khóa hợp lệ:"
                               f" {', '.join(_KEYS)}")
        kind = data.get("kind")
        if kind not in REPORT_KINDS:
            raise _refused("kind", f"Report kind {kind!r} is not one of {', '.join(REPORT_KINDS)}",
                           f"Loại báo cáo '{kind}' không hợp lệ; dùng một trong"
                           f" {', '.join(REPORT_KINDS)}")
        assert isinstance(kind, str)
        owner = data.get("owner")
        if owner not in tuple(OwnerType):
            raise _refused("owner", f"Owner {owner!r} must be 'cadre' (the cadres assigned to each"
                           " area) or 'unit' (the unit's own compiled report)",
                           f"Người phải nộp '{owner}' phải là 'cadre' (cán bộ phụ trách từng địa"
                           " bàn) hoặc 'unit' (báo cáo tổng hợp của chính đơn vị)")
        level, units = _scope(data)
        rule = read_rule(kind, data)
        remind = _remind(data, rule)
        return cls(kind, OwnerType(str(owner)), rule, level, units, remind)

    def to_mapping(self) -> dict[str, object]:
        """A JSON-ready record that from_mapping reads back to an equal obligation."""
        out: dict[str, object] = {"kind": self.kind, "owner": str(self.owner)}
        if self.level is not None:
            out["level"] = self.level
        if self.units:
            out["units"] = list(self.units)
        if self.rule is not None:
            out.update(self.rule.to_mapping())
        if self.remind_before is not None:
            hours = self.remind_before / timedelta(hours=1)
            out["remind_hours_before"] = int(hours) if hours.is_integer() else hours
        return out


def _scope(data: Mapping[str, object]) -> tuple[str | None, tuple[str, ...]]:
    level = data.get("level")
    if level is not None and (not isinstance(level, str) or not level):
        raise _refused("level", "'level' must be a level id", "'level' phải là mã một cấp")
    raw = data.get("units", [])
    if not isinstance(raw, list) or not all(isinstance(u, str) and u for u in raw):
        raise _refused("units", "'units' must be an array of unit ids",
                       "'units' phải là danh sách mã đơn vị")
    if "units" in data and not raw:
        raise _refused("units", "'units' must name at least one unit; leave it out to mean"
                       " every unit", "'units' phải ghi ít nhất một đơn vị; bỏ trống để áp dụng"
                       " cho mọi đơn vị")
    if level is not None and raw:
        raise _refused("units", "Give 'level' or 'units', not both",
                       "Chỉ ghi 'level' hoặc 'units', không ghi cả hai")
    if len(set(raw)) != len(raw):
        raise _refused("units", "A unit is listed twice in 'units'",
                       "Một đơn vị bị ghi hai lần trong 'units'")
    return level, tuple(raw)


def _remind(data: Mapping[str, object], rule: DeadlineRule | None) -> timedelta | None:
    if "remind_hours_before" not in data:
        return None
    hours = data["remind_hours_before"]
    if rule is None:
        raise _refused("remind_hours_before", "An urgent report has no deadline to remind of",
                       "Báo cáo đột xuất không có hạn để nhắc")
    number = float(hours) if isinstance(hours, int | float) and not isinstance(hours, bool) else 0.0
    if not 0 < number <= REMIND_HOURS_MAX or not (number * 60).is_integer():
        raise _refused("remind_hours_before",
                       f"'remind_hours_before' must be a number of hours above 0 and at most"
                       f" {REMIND_HOURS_MAX}, in whole minutes (e.g. 5 or 4.5); got {hours!r}",
                       f"'remind_hours_before' phải là số giờ lớn hơn 0, tối đa"
                       f" {REMIND_HOURS_MAX}, tính tròn phút (ví dụ 5 hoặc 4.5);"
                       f" nhận được {hours!r}")
    return timedelta(minutes=int(number * 60))


def from_schedule(schedule: Schedule) -> tuple[Obligation, ...]:
    """Today's behaviour as obligations: every assigned cadre owes every kind, network-wide."""
    weekly = WeekdayDue(schedule.weekly_due_weekday, schedule.weekly_due_time)
    due, nudge = schedule.weekly_due_time, schedule.weekly_reminder_time
    # Both fall in the same ISO week (Schedule.reminder), so their gap is a fixed lead time.
    lead = timedelta(days=schedule.weekly_due_weekday - schedule.weekly_reminder_weekday,
                     hours=due.hour - nudge.hour, minutes=due.minute - nudge.minute)
    periodic = MonthDayDue(schedule.periodic_due_day, schedule.periodic_due_time)
    cadre = OwnerType.CADRE
    return (
        Obligation("weekly", cadre, weekly,
                   remind_before=lead if lead > timedelta(0) else None),
        *(Obligation(kind, cadre, periodic)
          for kind, cadence in REPORT_KIND_CADENCE.items() if cadence is not Cadence.WEEK),
        Obligation(URGENT, cadre, None),
    )
