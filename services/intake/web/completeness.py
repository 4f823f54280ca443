"""Who has reported this week under a unit, counted from assignments and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.obligations import OwnerType
from domain.periods import Period, ReportKind
from services.intake.bootstrap import Runtime
from services.intake.directory import AccountView
from services.intake.web.due import area_name

MAX_REPORTS = 500


@dataclass
class UnitRow:
    """One unit's weekly reports: expected, received, on time, and who is still silent."""

    unit_id: str
    name: str
    expected: int = 0
    received: int = 0
    on_time: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return 100 if not self.expected else round(100 * self.received / self.expected)


@dataclass
class UnitWeek:
    rows: list[UnitRow]
    reports: list[dict[str, Any]]
    truncated: bool
    deadline: datetime | None = None  # the earliest of the week's weekly items counted


def unit_week(runtime: Runtime, account: AccountView, unit_id: str,
              period: Period) -> UnitWeek:
    """Read in a worker thread; a report counts for the (cadre, area) pair that sent it.
    The pairs expected are the cadres' weekly items of the one obligation engine (those
    assigned at their area's deadline), as the aggregator counts."""
    directory = runtime.directory
    directory.refresh()
    view = directory.view
    reports = runtime.service.list_reports(account, None, str(period), ReportKind.WEEKLY,
                                           MAX_REPORTS)
    sent: dict[tuple[str, str], dict[str, Any]] = {}
    for report in reports:
        sent.setdefault((report["cadre_id"], report["area_id"]), report)
    children = view.unit_children().get(unit_id) or [unit_id]
    rows = []
    owed = sorted((i.area_id or "", i.owner.id, i.deadline) for i in view.engine().owed(
        period, [ReportKind.WEEKLY], OwnerType.CADRE))
    dues: list[datetime] = []
    for child in children:
        unit = view.units.get(child)
        areas = view.subtree_areas(child)
        row = UnitRow(child, child if unit is None else unit.name)
        for area_id, cadre_id, due in owed:
            if area_id not in areas:
                continue
            dues.append(due)
            row.expected += 1
            found = sent.get((cadre_id, area_id))
            if found is None:
                cadre = view.cadres.get(cadre_id)
                row.missing.append(f"{cadre_id if cadre is None else cadre.name} "
                                   f"({area_name(runtime, area_id)})")
            else:
                row.received += 1
                row.on_time += bool(found["on_time"])
        rows.append(row)
    return UnitWeek(rows, reports[:50], len(reports) >= MAX_REPORTS, min(dues, default=None))
