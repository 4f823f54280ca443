"""Deadline rules: when a report for a period is due, computed in the plan's time zone.

Three shapes cover the seeds: a weekday of the period's ISO week ("trước 13h30 thứ
năm hàng tuần"), a day of the period's last month or one after it ("ngày 15 của
tháng cuối quý"), and calendar dates named per period of the year ("trước ngày
10/6, 15/11"). A rule without a time counts the whole day, so its deadline is the
following midnight; a report is on time when received strictly before the deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.errors import InvalidInput
from domain.periods import REPORT_KIND_CADENCE, URGENT, Cadence, Period
from domain.schedule import Schedule, read_clock, read_weekday, weekday_name

MONTHS_AFTER_MAX = 12
# Days per month of a common year: a deadline on 29 February would vanish three years in four.
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_PER_YEAR = {Cadence.MONTH: 12, Cadence.QUARTER: 4, Cadence.HALF: 2, Cadence.YEAR: 1}
_LABEL = {Cadence.MONTH: "", Cadence.QUARTER: "Q", Cadence.HALF: "H"}
RULE_KEYS = ("due", "due_day", "due_time", "due_months_after", "due_dates")


def _wall(schedule: Schedule, day: date, at: time | None) -> datetime:
    # No time: the whole day counts, so the deadline is the midnight that ends it.
    if at is None:
        day, at = day + timedelta(days=1), time(0)
    return datetime.combine(day, at, tzinfo=schedule.tz).astimezone(UTC)


def _clock_text(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _check_cadence(period: Period, weekly: bool) -> None:
    # The engine only asks a rule about periods of its own kind; anything else is a bug.
    if (period.cadence is Cadence.WEEK) is not weekly:
        raise ValueError(f"this deadline rule does not apply to period {period}")


@dataclass(frozen=True)
class WeekdayDue:
    """A weekday of the period's ISO week (Monday 0), at a time or by the end of that day."""

    weekday: int
    at: time | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6, got {self.weekday}")

    def deadline(self, period: Period, schedule: Schedule) -> datetime | None:
        _check_cadence(period, weekly=True)
        day = date.fromisocalendar(period.year, period.index, self.weekday + 1)
        return _wall(schedule, day, self.at)

    def to_mapping(self) -> dict[str, object]:
        when = weekday_name(self.weekday)
        return {"due": when if self.at is None else f"{when} {_clock_text(self.at)}"}


@dataclass(frozen=True)
class MonthDayDue:
    """A day (1-28) of the period's last month, or of the month `months_after` it."""

    day: int
    at: time | None = None
    months_after: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 28 or not 0 <= self.months_after <= MONTHS_AFTER_MAX:
            raise ValueError(f"day {self.day} or months_after {self.months_after} out of range")

    def deadline(self, period: Period, schedule: Schedule) -> datetime | None:
        _check_cadence(period, weekly=False)
        # A month starting on the 15th is named for the month it ends in; so is its day.
        month = period.months()[1] - 1 + self.months_after
        day = date(period.year + month // 12, month % 12 + 1, self.day)
        return _wall(schedule, day, self.at)

    def to_mapping(self) -> dict[str, object]:
        out: dict[str, object] = {"due_day": self.day}
        if self.at is not None:
            out["due_time"] = _clock_text(self.at)
        if self.months_after:
            out["due_months_after"] = self.months_after
        return out


@dataclass(frozen=True)
class FixedDate:
    """A calendar date for one period of the year: `period` 1 is H1, 4 is Q4, 11 is November."""

    period: int
    month: int
    day: int
    next_year: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.day <= _MONTH_DAYS[self.month - 1]:
            raise ValueError(f"no such date: day {self.day} of month {self.month}")


@dataclass(frozen=True)
class DatesDue:
    """Calendar dates, each for one period of the year; a period without a date owes nothing."""

    cadence: Cadence
    dates: tuple[FixedDate, ...]
    at: time | None = None

    def __post_init__(self) -> None:
        top = _PER_YEAR.get(self.cadence, 0)
        indexes = [fixed.period for fixed in self.dates]
        if not all(1 <= i <= top for i in indexes) or len(set(indexes)) != len(indexes):
            raise ValueError(f"dates {indexes} do not name distinct periods of a {self.cadence}")

    def deadline(self, period: Period, schedule: Schedule) -> datetime | None:
        if period.cadence is not self.cadence:
            raise ValueError(f"this deadline rule does not apply to period {period}")
        for fixed in self.dates:
            if fixed.period == period.index:
                year = period.year + (1 if fixed.next_year else 0)
                return _wall(schedule, date(year, fixed.month, fixed.day), self.at)
        return None

    def to_mapping(self) -> dict[str, object]:
        dates: list[dict[str, object]] = []
        for fixed in self.dates:
            entry: dict[str, object] = {"month": fixed.month, "day": fixed.day}
            if self.cadence is not Cadence.YEAR:
                entry = {"period": _label(self.cadence, fixed.period), **entry}
            if fixed.next_year:
                entry["next_year"] = True
            dates.append(entry)
        out: dict[str, object] = {"due_dates": dates}
        if self.at is not None:
            out["due_time"] = _clock_text(self.at)
        return out


DeadlineRule = WeekdayDue | MonthDayDue | DatesDue


def _label(cadence: Cadence, index: int) -> str:
    if cadence is Cadence.MONTH:
        return f"{index:02d}"
    return f"{_LABEL[cadence]}{index}"


# --- reading a plan's table -------------------------------------------------------------


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _bad(field: str, value: object, en: str, vi: str) -> InvalidInput:
    return InvalidInput(
        code="invalid_obligation",
        message=f"{field} must be {en}; got {_shown(value)}.",
        message_vi=f"{field} phải là {vi}; nhận được {_shown(value)}.",
        field=field,
    )


def _refused(field: str, en: str, vi: str) -> InvalidInput:
    return InvalidInput(code="invalid_obligation", message=en, message_vi=vi, field=field)


def _whole(field: str, value: object, low: int, high: int, en: str, vi: str) -> int:
    # bool is an int to Python, never to a plan author.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, value, en, vi)
    return value


def _clock(data: Mapping[str, object]) -> time | None:
    if "due_time" not in data:
        return None
    at = read_clock(data["due_time"])
    if at is None:
        raise _bad("due_time", data["due_time"], "a 24-hour time such as '17:00'",
                   "giờ dạng 24 giờ, ví dụ '17:00'")
    return at


def _weekday(value: object) -> WeekdayDue:
    en = "a weekday, then optionally a 24-hour time, such as 'thursday 13:30' or 'thursday'"
    vi = "thứ trong tuần, có thể kèm giờ dạng 24 giờ, ví dụ 'thứ năm 13:30' hoặc 'thứ năm'"
    if not isinstance(value, str):
        raise _bad("due", value, en, vi)
    words = value.split()
    whole = read_weekday(value)
    if whole is not None:
        return WeekdayDue(whole)
    at = read_clock(words[-1]) if words else None
    weekday = read_weekday(" ".join(words[:-1]))
    if at is None or weekday is None:
        raise _bad("due", value, en, vi)
    return WeekdayDue(weekday, at)


def _fixed(cadence: Cadence, raw: object, where: str, seen: set[int]) -> FixedDate:
    if not isinstance(raw, Mapping):
        raise _bad(where, raw, "a table such as { period = \"H1\", month = 6, day = 10 }",
                   "một bảng, ví dụ { period = \"H1\", month = 6, day = 10 }")
    for key in raw:
        if key not in ("period", "month", "day", "next_year"):
            raise _refused(f"{where}.{key}", f"Unknown key {key!r}; a date has period, month,"
                           " day and next_year", f"Khóa '{key}' không được hỗ trợ; một ngày"
                           " gồm period, month, day và next_year")
    index = _period_index(cadence, raw.get("period"), f"{where}.period")
    if index in seen:
        raise _refused(f"{where}.period", f"Period {raw.get('period')!r} has two dates",
                       f"Kỳ '{raw.get('period')}' có hai ngày hạn")
    seen.add(index)
    month = _whole(f"{where}.month", raw.get("month"), 1, 12, "a month from 1 to 12",
                   "tháng từ 1 đến 12")
    top = _MONTH_DAYS[month - 1]
    day = _whole(f"{where}.day", raw.get("day"), 1, top, f"a day from 1 to {top} of that month",
                 f"ngày từ 1 đến {top} của tháng đó")
    next_year = raw.get("next_year", False)
    if not isinstance(next_year, bool):
        raise _bad(f"{where}.next_year", next_year, "true or false", "true hoặc false")
    return FixedDate(index, month, day, next_year)


def _period_index(cadence: Cadence, label: object, where: str) -> int:
    if cadence is Cadence.YEAR:
        if label is None:
            return 1
        raise _refused(where, "An annual report has one period a year; leave 'period' out",
                       "Báo cáo năm chỉ có một kỳ mỗi năm; bỏ trống 'period'")
    labels = [_label(cadence, i) for i in range(1, _PER_YEAR[cadence] + 1)]
    if label not in labels:
        raise _bad(where, label, "one of " + ", ".join(labels), "một trong " + ", ".join(labels))
    return labels.index(str(label)) + 1


def read_rule(kind: str, data: Mapping[str, object]) -> DeadlineRule | None:
    """The deadline rule in an obligation's table (keys RULE_KEYS); None for urgent reports."""
    given = [key for key in ("due", "due_day", "due_dates") if key in data]
    if kind == URGENT:
        for key in RULE_KEYS:
            if key in data:
                raise _refused(key, "An urgent report is sent at once and has no deadline;"
                               " give it no deadline rule",
                               "Báo cáo đột xuất gửi ngay khi có việc, không có hạn;"
                               " không ghi quy tắc hạn nộp cho loại này")
        return None
    cadence = REPORT_KIND_CADENCE[kind]
    first = "due" if cadence is Cadence.WEEK else "due_day"
    if not given:
        raise _refused(first, f"A {kind} report needs a deadline rule: "
                       + ("'due'" if cadence is Cadence.WEEK else "'due_day' or 'due_dates'"),
                       f"Báo cáo loại {kind} cần quy tắc hạn nộp: "
                       + ("'due'" if cadence is Cadence.WEEK else "'due_day' hoặc 'due_dates'"))
    if len(given) > 1:
        raise _refused(given[1], f"Give one deadline rule, not both {given[0]!r} and {given[1]!r}",
                       f"Chỉ ghi một quy tắc hạn nộp, không ghi cả '{given[0]}' và '{given[1]}'")
    rule = given[0]
    if (rule == "due") is not (cadence is Cadence.WEEK):
        raise _refused(rule, "A weekly report is due on a weekday ('due'); other kinds on a day"
                       " of a month ('due_day') or on dates ('due_dates')",
                       "Báo cáo tuần có hạn theo thứ trong tuần ('due'); các loại khác theo"
                       " ngày trong tháng ('due_day') hoặc theo ngày cụ thể ('due_dates')")
    if rule == "due":
        if "due_time" in data:
            raise _refused("due_time", "A weekly deadline gives its time in 'due'",
                           "Hạn báo cáo tuần ghi giờ ngay trong 'due'")
        return _weekday(data["due"])
    if rule == "due_day":
        day = _whole("due_day", data["due_day"], 1, 28, "a day from 1 to 28",
                     "ngày từ 1 đến 28")
        after = _whole("due_months_after", data.get("due_months_after", 0), 0,
                       MONTHS_AFTER_MAX, f"a number of months from 0 to {MONTHS_AFTER_MAX}",
                       f"số tháng từ 0 đến {MONTHS_AFTER_MAX}")
        return MonthDayDue(day, _clock(data), after)
    if "due_months_after" in data:
        raise _refused("due_months_after", "'due_months_after' goes with 'due_day' only",
                       "'due_months_after' chỉ dùng cùng 'due_day'")
    raw = data["due_dates"]
    if not isinstance(raw, list) or not raw:
        raise _bad("due_dates", raw, "a non-empty array of dates",
                   "danh sách ngày hạn, không để trống")
    seen: set[int] = set()
    dates = tuple(_fixed(cadence, x, f"due_dates[{i}]", seen) for i, x in enumerate(raw))
    return DatesDue(cadence, dates, _clock(data))
