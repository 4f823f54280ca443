"""What is owed in the caller's scope, and how each item stands (GET /api/v1/obligations)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.access import owed_reader, readable_units
from domain.account import Role
from domain.clock import Clock
from domain.errors import NotFound
from domain.obligation_engine import OwedItem, Owner, Receipt
from domain.obligations import OwnerType
from domain.periods import Period
from domain.report_content import parse_instant
from services.common.paging import Key, in_key_order
from services.intake.directory import AccountView, Directory
from services.intake.unit_report_index import unit_receipts


def _key(item: OwedItem) -> Key:
    # Deadlines are UTC, so their ISO text sorts as time does; the rest makes the key unique.
    return (item.deadline.isoformat(), item.kind, str(item.period), str(item.owner.type),
            item.owner.id, item.area_id or "")


class Obligations:
    """Asks the one obligation engine; receipts are the cadres' reports and the units' own
    reports (sent, late, returned) as the intake holds them."""

    def __init__(self, directory: Directory, clock: Clock):
        self.directory = directory
        self.clock = clock

    def owed(self, account: AccountView, unit_id: str | None, period: str | None,
             at: str | None, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """One page, in deadline order: `period`'s items (judged at `at` or now), else what is
        open at `at` (or now)."""
        wanted = None if period is None else Period.parse(period)
        instant = self.clock.now() if at is None else parse_instant(at, "at")
        self.directory.refresh()
        view = self.directory.view
        under = None if unit_id is None else self._under(account, unit_id)
        engine = view.engine()
        items = engine.owed(wanted) if wanted is not None else engine.open_at(instant)
        readable = owed_reader(account, view, instant)
        mine = [i for i in items
                if readable(i.area_id, _cadre(i), i.unit_id) and (under is None or _within(
                    i, *under))]
        mine.sort(key=_key)
        page = in_key_order(mine, [_key(i) for i in mine], limit, cursor)
        standings = engine.standing(page.items, self._receipts(page.items), instant)
        return {"obligations": [s.as_record() for s in standings],
                "next_cursor": page.next_cursor, "total": page.total}

    def _under(self, account: AccountView, unit_id: str) -> tuple[set[str], set[str]]:
        """The units and areas of `unit_id`'s rollup subtree, if the caller may name it."""
        view = self.directory.view
        unit = view.units.get(unit_id)
        readable = readable_units(account, view)
        if account.role == Role.CADRE:
            cadre = view.cadres.get(account.cadre_id or "")
            readable = {cadre.unit} if cadre is not None else set()
        if unit is None or unit.retired or (readable is not None and unit_id not in readable):
            raise NotFound("not_found", f"unit {unit_id[:64]!r} not found",
                           "Không tìm thấy đơn vị", "unit_id")
        return view.unit_subtree(unit_id), view.subtree_areas(unit_id)

    def _receipts(self, items: Iterable[OwedItem]) -> list[Receipt]:
        """The cadres' and units' reports for the kinds and periods of `items`."""
        asked = {(i.kind, str(i.period)) for i in items if i.owner.type is OwnerType.CADRE}
        units = {(i.kind, str(i.period)) for i in items if i.owner.type is OwnerType.UNIT}
        cadres = [Receipt(r.kind, Period.parse(r.period), Owner(OwnerType.CADRE, r.cadre_id),
                          r.area_id, r.submitted_at, returned=r.returned)
                  for r in self.directory.reports()
                  if r.period is not None and (r.kind, r.period) in asked]
        return cadres + unit_receipts(self.directory.unit_reports, units)


def _cadre(item: OwedItem) -> str | None:
    return item.owner.id if item.owner.type is OwnerType.CADRE else None


def _within(item: OwedItem, units: set[str], areas: set[str]) -> bool:
    if item.owner.type is OwnerType.CADRE:
        return item.area_id in areas
    return item.unit_id in units
