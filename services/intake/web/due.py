"""What a cadre owes: this week's report per area, the countdown, the weeks still missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.clock import VN
from domain.expectation import expected
from domain.network_records import AssignmentRecord
from domain.periods import Cadence, Period, ReportKind
from domain.schedule import Schedule
from services.intake.bootstrap import Runtime
from services.intake.directory import AccountView

WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
LOOK_BACK_WEEKS = 4


def when_vi(at: datetime) -> str:
    """`14:00 thứ Năm, 26/11/2026`: how a deadline is said."""
    local = at.astimezone(VN)
    return f"{local:%H:%M} {WEEKDAYS_VI[local.weekday()]}, {local:%d/%m/%Y}"


def week_label(period: Period, schedule: Schedule) -> str:
    start, end = schedule.bounds(period)
    first, last = start.astimezone(VN), (end - timedelta(seconds=1)).astimezone(VN)
    return f"Tuần {period.index}/{period.year} ({first:%d/%m} – {last:%d/%m})"


def countdown_vi(delta: timedelta) -> str:
    """`còn 1 ngày 4 giờ 5 phút`, or `quá hạn 2 giờ 0 phút` once past."""
    seconds = int(delta.total_seconds())
    prefix = "còn" if seconds >= 0 else "quá hạn"
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} ngày"] if days else []) + [f"{hours} giờ", f"{mins} phút"]
    return f"{prefix} {' '.join(parts)}"


@dataclass(frozen=True)
class AreaWeek:
    """One assigned area and this week's weekly report for it, if sent."""

    area_id: str
    name: str
    report: dict[str, Any] | None


@dataclass(frozen=True)
class Missing:
    """A past week whose weekly report for an area never came."""

    period: str
    label: str
    area_id: str
    name: str
    deadline: datetime


@dataclass(frozen=True)
class CadreWeek:
    period: Period
    label: str
    deadline: datetime
    target: datetime
    target_label: str
    areas: list[AreaWeek]
    sent: list[dict[str, Any]]
    missing: list[Missing]

    @property
    def all_sent(self) -> bool:
        return all(a.report is not None for a in self.areas)


def area_name(runtime: Runtime, area_id: str) -> str:
    area = runtime.directory.area(area_id)
    return (area.name if area is not None else "") or area_id


def owed_areas(schedule: Schedule, week: Period, held: list[AssignmentRecord]) -> list[str]:
    """The areas whose weekly report the cadre owes for `week`: those held at its deadline."""
    return sorted({a.area_id for a in expected(schedule, ReportKind.WEEKLY, week, held)})


def cadre_week(runtime: Runtime, account: AccountView, now: datetime) -> CadreWeek:
    """Read in a worker thread: the directory and the store are synchronous."""
    directory = runtime.directory
    schedule = directory.schedule()
    period = schedule.period_of(Cadence.WEEK, now)
    deadline = schedule.deadline(ReportKind.WEEKLY, period)
    mine = runtime.service.list_reports(account, None, None, None, 500)
    weekly = {(r["area_id"], r["period"]): r for r in reversed(mine)
              if r["kind"] == ReportKind.WEEKLY}
    held = directory.view.assignments_of(account.cadre_id or "")
    area_ids = owed_areas(schedule, period, held)
    areas = [AreaWeek(a, area_name(runtime, a), weekly.get((a, str(period)))) for a in area_ids]
    start, end = schedule.bounds(period)
    sent = [r for r in mine if r.get("period") == str(period)
            or (r["kind"] == "urgent" and start <= datetime.fromisoformat(r["submitted_at"]) < end)]
    missing = []
    week = period
    for _ in range(LOOK_BACK_WEEKS + 1):
        due = schedule.deadline(ReportKind.WEEKLY, week)
        if due <= now:
            for a in owed_areas(schedule, week, held):
                if (a, str(week)) not in weekly:
                    missing.append(Missing(str(week), week_label(week, schedule), a,
                                           area_name(runtime, a), due))
        week = week.previous()
    target_period = period if now < deadline or not all(a.report for a in areas) \
        else period.next()
    target = schedule.deadline(ReportKind.WEEKLY, target_period)
    return CadreWeek(period, week_label(period, schedule), deadline, target,
                     week_label(target_period, schedule), areas, sent, missing)
