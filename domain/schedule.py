"""When each reporting period starts and ends, and when its report is due."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidInput
from domain.periods import Cadence, Period, cadence_of_kind, kind_period_mismatch

_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS_VI = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")

_WEEKDAY_NAMES: dict[str, int] = {
    **{name: day for day, name in enumerate(_WEEKDAYS_EN)},
    **{name[:3]: day for day, name in enumerate(_WEEKDAYS_EN)},
    **{name: day for day, name in enumerate(_WEEKDAYS_VI)},
}

# ASCII digits only: \d would also accept other scripts' digits.
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")

_MONTHS_IN: dict[Cadence, int] = {
    Cadence.MONTH: 1,
    Cadence.QUARTER: 3,
    Cadence.HALF: 6,
    Cadence.YEAR: 12,
}

# What each [schedule] key expects, in English and Vietnamese, for error messages.
_EXPECTED: dict[str, tuple[str, str]] = {
    "weekly_due": (
        "a weekday and a 24-hour time such as 'thursday 14:00'",
        "thứ trong tuần và giờ dạng 24 giờ, ví dụ 'thursday 14:00' hoặc 'thứ năm 14:00'",
    ),
    "weekly_reminder": (
        "a weekday and a 24-hour time such as 'thursday 09:00'",
        "thứ trong tuần và giờ dạng 24 giờ, ví dụ 'thursday 09:00' hoặc 'thứ năm 09:00'",
    ),
    "periodic_due_day": (
        "a whole number from 1 to 28 (the day of the period's last month)",
        "số nguyên từ 1 đến 28 (ngày trong tháng cuối của kỳ)",
    ),
    "periodic_due_time": (
        "a 24-hour time such as '17:00', or left out so that the whole due day counts",
        "giờ dạng 24 giờ, ví dụ '17:00', hoặc bỏ trống để tính trọn ngày hạn",
    ),
    "month_start_day": (
        "a whole number from 1 to 28 (1: calendar months; 15: a month runs from the 15th"
        " of the month before)",
        "số nguyên từ 1 đến 28 (1: tháng dương lịch; 15: tháng tính từ ngày 15 tháng trước)",
    ),
    "timezone": (
        "an IANA time zone name such as 'Asia/Ho_Chi_Minh'",
        "tên múi giờ IANA, ví dụ 'Asia/Ho_Chi_Minh'",
    ),
}


def _shown(value: object) -> str:
    # Echo the caller's input, but never a whole pasted document.
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _bad(key: str, value: object) -> InvalidInput:
    en, vi = _EXPECTED[key]
    return InvalidInput(
        code="invalid_schedule",
        message=f"schedule.{key} must be {en}; got {_shown(value)}.",
        message_vi=f"schedule.{key} phải là {vi}; nhận được {_shown(value)}.",
        field=f"schedule.{key}",
    )


def _is_whole(value: object) -> TypeGuard[int]:
    # bool is an int to Python, never to a plan author.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_clock(value: object) -> bool:
    return (
        isinstance(value, time)
        and value.tzinfo is None
        and value.second == 0
        and value.microsecond == 0
    )


def read_clock(value: object) -> time | None:
    """A 24-hour wall-clock time from '13:30' or a TOML local time; None if it is neither."""
    if isinstance(value, time):
        # A TOML local time (periodic_due_time = 17:00:00) arrives already parsed.
        return value if _is_clock(value) else None
    if not isinstance(value, str):
        return None
    match = _CLOCK.fullmatch(value.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def read_weekday(text: str) -> int | None:
    """Monday 0 … Sunday 6 from an English or Vietnamese weekday name; None if unknown."""
    words = unicodedata.normalize("NFC", text).casefold().split()
    return _WEEKDAY_NAMES.get(" ".join(words))


def weekday_name(weekday: int) -> str:
    """The English name plan files are written with, e.g. 'thursday' for 3."""
    return _WEEKDAYS_EN[weekday]


def _parse_clock(key: str, value: object) -> time:
    clock = read_clock(value)
    if clock is None:
        raise _bad(key, value)
    return clock


def _parse_weekly(key: str, value: object) -> tuple[int, time]:
    if not isinstance(value, str):
        raise _bad(key, value)
    words = value.split()
    weekday = read_weekday(" ".join(words[:-1])) if len(words) >= 2 else None
    if weekday is None:
        raise _bad(key, value)
    return weekday, _parse_clock(key, words[-1])


def _whole(key: str, value: object) -> int:
    if not _is_whole(value):
        raise _bad(key, value)
    return value


def _clock_text(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _require_aware(name: str, instant: datetime) -> None:
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {instant!r}")


@dataclass(frozen=True)
class Schedule:
    """Deadlines and period boundaries; all wall-clock values are in `timezone`."""

    weekly_due_weekday: int = 3  # Thursday; Monday is 0
    weekly_due_time: time = time(14, 0)
    weekly_reminder_time: time = time(9, 0)
    weekly_reminder_weekday: int = 3
    periodic_due_day: int = 15
    # None: the whole due day counts, so the deadline is the following midnight.
    periodic_due_time: time | None = None
    month_start_day: int = 1
    timezone: str = "Asia/Ho_Chi_Minh"
    # Deadlines already worked out, by (kind, period): a catch-up asks for the same few
    # thousands of times. Not part of the value (compare, hash and repr leave it out).
    _deadlines: dict[tuple[str, Period], datetime] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not (_is_whole(self.weekly_due_weekday) and 0 <= self.weekly_due_weekday <= 6):
            raise _bad("weekly_due", self.weekly_due_weekday)
        if not _is_clock(self.weekly_due_time):
            raise _bad("weekly_due", self.weekly_due_time)
        if not (_is_whole(self.weekly_reminder_weekday) and 0 <= self.weekly_reminder_weekday <= 6):
            raise _bad("weekly_reminder", self.weekly_reminder_weekday)
        if not _is_clock(self.weekly_reminder_time):
            raise _bad("weekly_reminder", self.weekly_reminder_time)
        if not (_is_whole(self.periodic_due_day) and 1 <= self.periodic_due_day <= 28):
            raise _bad("periodic_due_day", self.periodic_due_day)
        if self.periodic_due_time is not None and not _is_clock(self.periodic_due_time):
            raise _bad("periodic_due_time", self.periodic_due_time)
        if not (_is_whole(self.month_start_day) and 1 <= self.month_start_day <= 28):
            raise _bad("month_start_day", self.month_start_day)
        if not isinstance(self.timezone, str):
            raise _bad("timezone", self.timezone)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise _bad("timezone", self.timezone) from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Schedule:
        """Read a plan file's [schedule] table; absent keys keep the brief's defaults."""
        if not isinstance(data, Mapping):
            raise InvalidInput(
                code="invalid_schedule",
                message=f"schedule must be a table of settings; got {_shown(data)}.",
                message_vi=f"schedule phải là một bảng các mục cấu hình; nhận được {_shown(data)}.",
                field="schedule",
            )
        fields: dict[str, Any] = {}
        for key, value in data.items():
            if key == "weekly_due":
                fields["weekly_due_weekday"], fields["weekly_due_time"] = _parse_weekly(key, value)
            elif key == "weekly_reminder":
                fields["weekly_reminder_weekday"], fields["weekly_reminder_time"] = _parse_weekly(
                    key, value
                )
            elif key == "periodic_due_time":
                fields[key] = None if value is None else _parse_clock(key, value)
            elif key in ("periodic_due_day", "month_start_day"):
                fields[key] = _whole(key, value)
            elif key == "timezone":
                if not isinstance(value, str):
                    raise _bad(key, value)
                fields[key] = value
            else:
                known = ", ".join(_EXPECTED)
                raise InvalidInput(
                    code="unknown_schedule_key",
                    message=f"schedule has no setting {_shown(key)}; known settings: {known}.",
                    message_vi=(
                        f"Lịch báo cáo không có mục {_shown(key)}; các mục hợp lệ: {known}."
                    ),
                    field=f"schedule.{key}",
                )
        return cls(**fields)

    def to_mapping(self) -> dict[str, object]:
        """A JSON-ready [schedule] table that from_mapping reads back to an equal Schedule."""
        out: dict[str, object] = {
            "weekly_due": (
                f"{_WEEKDAYS_EN[self.weekly_due_weekday]} {_clock_text(self.weekly_due_time)}"
            ),
            "weekly_reminder": (
                f"{_WEEKDAYS_EN[self.weekly_reminder_weekday]}"
                f" {_clock_text(self.weekly_reminder_time)}"
            ),
            "periodic_due_day": self.periodic_due_day,
            "month_start_day": self.month_start_day,
            "timezone": self.timezone,
        }
        # Left out rather than null, so the table also survives a trip through TOML.
        if self.periodic_due_time is not None:
            out["periodic_due_time"] = _clock_text(self.periodic_due_time)
        return out

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def _month_start(self, year: int, month: int) -> date:
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        if self.month_start_day == 1:
            return date(year, month, 1)
        # A shifted month is named for the month it ends in, so it starts in the one before.
        if month == 1:
            return date(year - 1, 12, self.month_start_day)
        return date(year, month - 1, self.month_start_day)

    def bounds(self, period: Period) -> tuple[datetime, datetime]:
        """The half-open span [start, end) of a period, as aware UTC datetimes."""
        if period.cadence is Cadence.WEEK:
            monday = date.fromisocalendar(period.year, period.index, 1)
            start, end = monday, monday + timedelta(days=7)
        else:
            first, last = period.months()
            start = self._month_start(period.year, first)
            end = self._month_start(period.year, last + 1)
        return self._at(start, time(0)), self._at(end, time(0))

    def period_of(self, cadence: Cadence | str, instant: datetime) -> Period:
        """The period of this cadence that contains an aware instant."""
        _require_aware("instant", instant)
        cadence = Cadence(cadence)
        day = instant.astimezone(self.tz).date()
        if cadence is Cadence.WEEK:
            iso = day.isocalendar()
            return Period(cadence, iso.year, iso.week)
        year, month = day.year, day.month
        if self.month_start_day > 1 and day.day >= self.month_start_day:
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        return Period(cadence, year, (month - 1) // _MONTHS_IN[cadence] + 1)

    def _checked(self, kind: str, period: Period) -> Cadence | None:
        cadence = cadence_of_kind(kind)
        if cadence is not None and period.cadence is not cadence:
            raise kind_period_mismatch(kind, period)
        return cadence

    def deadline(self, kind: str, period: Period) -> datetime:
        """When a report of this kind for this period is due, as an aware UTC datetime."""
        known = self._deadlines.get((kind, period))
        if known is None:
            known = self._deadlines[(kind, period)] = self._deadline(kind, period)
        return known

    def _deadline(self, kind: str, period: Period) -> datetime:
        cadence = self._checked(kind, period)
        if cadence is None:
            raise InvalidInput(
                code="no_deadline",
                message="An urgent report is sent at once; it has no period and no deadline.",
                message_vi="Báo cáo đột xuất gửi ngay khi có việc; không có kỳ và không có hạn.",
                field="kind",
            )
        if cadence is Cadence.WEEK:
            day = date.fromisocalendar(period.year, period.index, self.weekly_due_weekday + 1)
            return self._at(day, self.weekly_due_time)
        _, last_month = period.months()
        day = date(period.year, last_month, self.periodic_due_day)
        if self.periodic_due_time is None:
            return self._at(day + timedelta(days=1), time(0))
        return self._at(day, self.periodic_due_time)

    def reminder(self, kind: str, period: Period) -> datetime | None:
        """When to remind cadres about a weekly report; None for every other kind."""
        cadence = self._checked(kind, period)
        if cadence is not Cadence.WEEK:
            return None
        day = date.fromisocalendar(period.year, period.index, self.weekly_reminder_weekday + 1)
        return self._at(day, self.weekly_reminder_time)

    def is_open(self, kind: str, period: Period, at: datetime) -> bool:
        """Whether a report of this kind may be filed for `period` at `at`: the current
        period and every past one (a late report), and a later one once the deadline of the
        period before it has passed (a cadre files next week's report on Friday, after this
        week's Thursday deadline). Urgent reports have no period and are always open."""
        _require_aware("at", at)
        cadence = self._checked(kind, period)
        if cadence is None or period <= self.period_of(cadence, at):
            return True
        return at >= self.deadline(kind, period.previous())

    def check_open(self, kind: str, period: Period, at: datetime) -> None:
        """`is_open`, or InvalidInput `period_not_open` naming `period`."""
        if not self.is_open(kind, period, at):
            opens = self.deadline(kind, period.previous()).astimezone(self.tz)
            raise InvalidInput(
                code="period_not_open",
                message=f"period: {period} is not open for reports before "
                        f"{opens:%Y-%m-%d %H:%M} (when {period.previous()} is due)",
                message_vi=f"Kỳ {period} chưa mở để gửi báo cáo; mở từ {opens:%H:%M %d/%m/%Y} "
                           f"(hạn của kỳ {period.previous()})",
                field="period")

    def is_on_time(self, kind: str, period: Period, received_at: datetime) -> bool:
        """Whether a report received at this instant beat its deadline (raises for urgent)."""
        _require_aware("received_at", received_at)
        return received_at < self.deadline(kind, period)

    def periods_between(
        self, cadence: Cadence | str, start: datetime, end: datetime
    ) -> list[Period]:
        """Every period of this cadence that overlaps the half-open span [start, end)."""
        _require_aware("start", start)
        _require_aware("end", end)
        periods: list[Period] = []
        if end <= start:
            return periods
        period = self.period_of(cadence, start)
        while True:
            periods.append(period)
            # Stop before next() so the last supported year can still be listed.
            if self.bounds(period)[1] >= end:
                return periods
            period = period.next()
