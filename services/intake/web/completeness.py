"""Who has reported this week under a unit, counted from assignments and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.expectation import expected
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


def unit_week(runtime: Runtime, account: AccountView, unit_id: str,
              period: Period) -> UnitWeek:
    """Read in a worker thread; a report counts for the (cadre, area) pair that sent it.
    The pairs expected are those assigned at the week's deadline, as the aggregator counts."""
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
    active = expected(directory.schedule(), ReportKind.WEEKLY, period, view.assignments.values())
    for child in children:
        unit = view.units.get(child)
        areas = view.subtree_areas(child)
        row = UnitRow(child, child if unit is None else unit.name)
        for assignment in sorted(active, key=lambda a: (a.area_id, a.cadre_id)):
            if assignment.area_id not in areas:
                continue
            row.expected += 1
            found = sent.get((assignment.cadre_id, assignment.area_id))
            if found is None:
                cadre = view.cadres.get(assignment.cadre_id)
                row.missing.append(f"{assignment.cadre_id if cadre is None else cadre.name} "
                                   f"({area_name(runtime, assignment.area_id)})")
            else:
                row.received += 1
                row.on_time += bool(found["on_time"])
        rows.append(row)
    return UnitWeek(rows, reports[:50], len(reports) >= MAX_REPORTS)
