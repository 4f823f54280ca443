"""What a cadre owes: this week's report per area, the countdown, the weeks still missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.clock import VN
from domain.obligation_engine import ObligationEngine, OwedItem, Owner, Receipt, Status
from domain.obligations import OwnerType
from domain.periods import Cadence, Period, ReportKind
from domain.schedule import Schedule
from services.intake.bootstrap import Runtime
from services.intake.directory import AccountView

WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
LOOK_BACK_WEEKS = 4
WEB_KINDS = frozenset({"weekly", "urgent"})  # the kinds the web has forms for


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
    """One area the cadre reports on, the kinds its cadres owe that the web offers, and this
    week's weekly report for it, if sent."""

    area_id: str
    name: str
    report: dict[str, Any] | None
    kinds: frozenset[str] = WEB_KINDS

    @property
    def owes_weekly(self) -> bool:
        return ReportKind.WEEKLY in self.kinds


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
    """This week for one cadre; no deadline nor target when they owe no weekly report."""

    period: Period
    label: str
    deadline: datetime | None
    target: datetime | None
    target_label: str | None
    areas: list[AreaWeek]
    sent: list[dict[str, Any]]
    missing: list[Missing]

    @property
    def all_sent(self) -> bool:
        return all(a.report is not None for a in self.areas if a.owes_weekly)


def area_name(runtime: Runtime, area_id: str) -> str:
    area = runtime.directory.area(area_id)
    return (area.name if area is not None else "") or area_id


def weekly_owed(engine: ObligationEngine, week: Period) -> list[OwedItem]:
    """The cadre's weekly items for `week` (`engine` is `for_cadre`): the areas they hold at
    the deadline their areas' obligation sets."""
    return engine.owed(week, [ReportKind.WEEKLY], OwnerType.CADRE)


def _receipts(cadre_id: str, reports: list[dict[str, Any]]) -> list[Receipt]:
    return [Receipt(ReportKind.WEEKLY, Period.parse(r["period"]), Owner(OwnerType.CADRE, cadre_id),
                    r["area_id"], datetime.fromisoformat(r["submitted_at"]),
                    returned=r.get("status") == "returned")
            for r in reports if r["kind"] == ReportKind.WEEKLY and r.get("period")]


def _due(items: list[OwedItem]) -> datetime | None:
    return min((i.deadline for i in items), default=None)


def cadre_week(runtime: Runtime, account: AccountView, now: datetime) -> CadreWeek:
    """Read in a worker thread: the directory and the store are synchronous. What is owed
    and by when comes from the one obligation engine; the schedule gives the calendar."""
    directory = runtime.directory
    schedule = directory.schedule()
    cadre_id = account.cadre_id or ""
    engine = directory.view.engine().for_cadre(cadre_id)
    period = schedule.period_of(Cadence.WEEK, now)
    owed = weekly_owed(engine, period)
    deadline = _due(owed)
    mine = runtime.service.list_reports(account, None, None, None, 500)
    weekly = {(r["area_id"], r["period"]): r for r in reversed(mine)
              if r["kind"] == ReportKind.WEEKLY}
    # Areas held now whose cadres owe no weekly report still get their urgent form.
    quiet = [a for a in directory.assigned_areas(cadre_id, now)
             if ReportKind.WEEKLY not in engine.kinds_for_area(a)]
    area_ids = sorted({i.area_id or "" for i in owed} | set(quiet))
    areas = [AreaWeek(a, area_name(runtime, a), weekly.get((a, str(period))),
                      engine.kinds_for_area(a) & WEB_KINDS) for a in area_ids]
    start, end = schedule.bounds(period)
    sent = [r for r in mine if r.get("period") == str(period)
            or (r["kind"] == "urgent" and start <= datetime.fromisoformat(r["submitted_at"]) < end)]
    weeks = [period]
    while len(weeks) <= LOOK_BACK_WEEKS:
        weeks.append(weeks[-1].previous())
    items = [i for week in weeks for i in weekly_owed(engine, week)]
    missing = [Missing(str(s.item.period), week_label(s.item.period, schedule),
                       s.item.area_id or "", area_name(runtime, s.item.area_id or ""),
                       s.item.deadline)
               for s in engine.standing(items, _receipts(cadre_id, mine), now)
               if s.status is Status.OVERDUE]
    if deadline is None:
        return CadreWeek(period, week_label(period, schedule), None, None, None, areas, sent,
                         missing)
    done = now >= deadline and all(a.report for a in areas if a.owes_weekly)
    target_period = period.next() if done else period
    target = (_due(weekly_owed(engine, target_period)) or deadline) if done else deadline
    return CadreWeek(period, week_label(period, schedule), deadline, target,
                     week_label(target_period, schedule), areas, sent, missing)
