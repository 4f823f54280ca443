"""Rollups: a unit's expected, received and missing reports, sums and hot spots for a period."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import aiosqlite

from domain.errors import NotFound
from domain.network_records import Unit
from domain.periods import URGENT, Period
from services.aggregator.calendar import Selection, Slot, stamp
from services.aggregator.coverage import covered_terms, covered_where, placeholders, union
from services.aggregator.network_index import NetworkIndex
from services.aggregator.schema import TALLY_FIELDS, stored_position

# Every list of a rollup is capped, its exact size beside it, so that no reply outgrows one
# NATS message (1 MB) however much was reported (tests/integration/test_bounded_replies.py).
MISSING_LIMIT = 500
HOT_SPOT_LIMIT = 200
EXTRA_LIMIT = 200
CHILDREN_LIMIT = 500
COUNTS_LIMIT = 100  # count names are free text: past this many, the largest totals
DESCRIPTION_EXCERPT = 300  # characters of a hot spot's description; the report has it all
_SUMS = ", ".join(f"SUM({f})" for f in TALLY_FIELDS)
# A report's own row, as the tally columns would count it (see tally.contribution).
_DIRECT = ", ".join((
    "1", f"kind != '{URGENT}' AND first AND expected",
    f"kind != '{URGENT}' AND first AND expected AND on_time",
    f"kind != '{URGENT}' AND first AND expected AND NOT on_time",
    f"kind != '{URGENT}' AND first AND NOT expected", f"kind != '{URGENT}' AND NOT first",
    "assessment = 'stable'", "assessment = 'attention'", "assessment = 'complex'", "hot_spots"))
_WORST = ("complex", "attention", "stable")


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _assessment(totals: dict[str, int]) -> str | None:
    return next((name for name in _WORST if totals.get(name, 0) > 0), None)


def unit_not_found(unit_id: str) -> NotFound:
    return NotFound("unit_not_found", f"Unit {unit_id!r} not found",
                    f"Không tìm thấy đơn vị {unit_id!r}", "unit_id")


class Rollups:
    """Answers rollup queries from the read model and the network as it stands."""

    def __init__(self, db: aiosqlite.Connection, network: Callable[[], NetworkIndex]):
        self.db = db
        self.network = network
        # One connection, one transaction at a time: concurrent queries take turns.
        self._lock = asyncio.Lock()

    async def rollup(self, unit_id: str, period_text: str) -> dict[str, Any]:
        period = Period.parse(period_text)
        network = self.network()
        unit = network.unit(unit_id)
        if unit is None:
            raise unit_not_found(unit_id)
        selection = network.calendar.selection(period)
        async with self._lock:
            await self.db.execute("BEGIN")  # one snapshot for every query below
            try:
                return await _Query(self.db, network, unit, selection).run()
            finally:
                await self.db.execute("COMMIT")


class _Query:
    """One rollup: the queries and the arithmetic, inside the caller's read transaction."""

    def __init__(self, db: aiosqlite.Connection, network: NetworkIndex, unit: Unit,
                 selection: Selection):
        self.db = db
        self.network = network
        self.unit = unit
        self.selection = selection
        self.tops = network.tops(unit.id)

    async def _rows(self, sql: str, params: list[Any]) -> list[Any]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _sums(self, group: str, areas: Iterable[str]) -> dict[Any, dict[str, int]]:
        """Tally sums by `group` over areas: the tallies below them plus their own reports."""
        areas = list(areas)
        if not areas:
            return {}
        terms = covered_terms(self.selection)
        below, below_params = union(
            f"SELECT area_id, kind, slot, {', '.join(TALLY_FIELDS)} FROM tally",  # noqa: S608 - constant columns
            areas, terms)
        own, own_params = union(
            f"SELECT area_id, kind, slot, {_DIRECT} FROM reports",  # noqa: S608 - constant columns
            areas, terms)
        rows = await self._rows(
            f"SELECT {group}, {_SUMS} FROM ({below} UNION ALL {own}) GROUP BY {group}",  # noqa: S608 - placeholders only
            [*below_params, *own_params])
        width = len(TALLY_FIELDS)
        return {tuple(row[:-width]): dict(zip(TALLY_FIELDS, row[-width:], strict=True))
                for row in rows}

    async def run(self) -> dict[str, Any]:
        selection, tops = self.selection, self.tops
        by_slot = await self._sums("kind, slot", tops)
        totals: dict[str, int] = defaultdict(int)
        for row in by_slot.values():
            for name, value in row.items():
                totals[name] += value
        slots = [self._slot(slot, by_slot.get((slot.kind, slot.period), {}))
                 for slot in selection.slots]
        expected = sum(s["expected"] for s in slots)
        received = sum(s["received"] for s in slots)
        missing, missing_entries, missing_count = await self._missing(slots)
        counts, counts_by_kind = await self._counts()
        count_names = len(counts)
        if count_names > COUNTS_LIMIT:
            kept = set(sorted(counts, key=lambda name: (-counts[name], name))[:COUNTS_LIMIT])
            counts = {k: v for k, v in counts.items() if k in kept}
            counts_by_kind = {kind: {k: v for k, v in names.items() if k in kept}
                              for kind, names in counts_by_kind.items()}
        children = await self._children()
        urgent = sum(row["reports"] for (kind, _), row in by_slot.items() if kind == URGENT)
        return {
            "unit_id": self.unit.id,
            "unit_name": self.unit.name,
            "unit_kind": self.unit.kind,
            "parent_id": self.unit.parent,
            "copies_to": list(self.unit.copies_to),
            "area_ids": list(tops),
            "period": str(selection.period),
            "cadence": str(selection.period.cadence),
            "start": selection.start.isoformat(),
            "end": selection.end.isoformat(),
            "expected": expected,
            "received": received,
            "on_time": sum(s["on_time"] for s in slots),
            "late": sum(s["late"] for s in slots),
            "completeness": _rate(received, expected),
            "on_time_rate": _rate(sum(s["on_time"] for s in slots), expected),
            "missing": missing,
            "missing_entries": missing_entries,
            "missing_count": missing_count,
            "missing_truncated": len(missing) < missing_entries,
            "extra": await self._extra(),
            "extra_count": totals["extra"],
            "duplicates": totals["duplicates"],
            "reports": totals["reports"],
            "urgent": urgent,
            "counts": counts,
            "counts_by_kind": counts_by_kind,
            "count_names": count_names,
            "counts_truncated": len(counts) < count_names,
            "assessment": _assessment(totals),
            "assessments": {name: totals[name] for name in reversed(_WORST)},
            "hot_spot_count": totals["hot_spots"],
            "hot_spots": await self._hot_spots(),
            "slots": [{k: v for k, v in s.items() if k != "_deadline"} for s in slots],
            "children": children[:CHILDREN_LIMIT],
            "children_count": len(children),
            "children_truncated": len(children) > CHILDREN_LIMIT,
            "stream_seq": await stored_position(self.db),
        }

    def _slot(self, slot: Slot, row: dict[str, int]) -> dict[str, Any]:
        expected = self.network.expected_count(slot.deadline, self.tops, slot.kind)
        # Only expected pairs are tallied as received, so this never tops 100 %.
        received = min(row.get("received", 0), expected)
        return {"kind": slot.kind, "period": slot.period, "deadline": slot.deadline.isoformat(),
                "expected": expected, "received": received, "on_time": row.get("on_time", 0),
                "late": row.get("late", 0), "_deadline": slot.deadline}

    async def _missing(self, slots: list[dict[str, Any]]
                       ) -> tuple[list[dict[str, Any]], int, int]:
        """Who has not reported: one entry per (cadre, area) with every period missed.

        A quarter would otherwise list a silent cadre once per week. The cap counts
        entries; a listed entry keeps all its periods (at most a year's slots).
        """
        network, view = self.network, self.network.view
        short = [s for s in slots if s["expected"] > s["received"]]
        total = sum(s["expected"] - s["received"] for s in short)
        entries: dict[tuple[str, str], dict[str, Any]] = {}
        people: set[tuple[str, str]] = set()
        # The latest deadline first: what leadership can still act on.
        for s in sorted(short, key=lambda s: s["_deadline"], reverse=True):
            got = {tuple(row) for row in await self._rows(
                # CROSS JOIN fixes the order: the few areas first, then an index seek each.
                "SELECT r.cadre_id, r.area_id FROM area_ancestors AS a CROSS JOIN reports AS r "  # noqa: S608 - placeholders only
                f"ON r.area_id = a.area_id WHERE a.ancestor_id IN ({placeholders(self.tops)}) "
                "AND r.kind = ? AND r.at = ? AND r.slot = ? AND r.first = 1 AND r.expected = 1",
                [*self.tops, s["kind"], stamp(s["_deadline"]), s["period"]])}
            for cadre_id, area_id in network.expected_pairs(s["_deadline"], self.tops,
                                                            s["kind"]):
                pair = (cadre_id, area_id)
                if pair in got:
                    continue
                people.add(pair)
                if pair in entries:
                    entries[pair]["periods"].append(s["period"])
                elif len(entries) < MISSING_LIMIT:
                    # kind, period and deadline: the latest period missed.
                    entries[pair] = {
                        "cadre_id": cadre_id, "cadre_name": network.name("cadres", cadre_id),
                        "area_id": area_id, "area_name": network.name("areas", area_id),
                        "unit_id": view.unit_for_area(area_id), "kind": s["kind"],
                        "period": s["period"], "deadline": s["deadline"],
                        "periods": [s["period"]]}
        return list(entries.values()), len(people), total

    async def _counts(self) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        counts: dict[str, int] = defaultdict(int)
        by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        if self.tops:
            tops = list(self.tops)
            below, below_params = union("SELECT kind, name, total FROM count_tally", tops,
                                        covered_terms(self.selection))
            own, own_params = union(
                "SELECT r.kind, j.key, j.value FROM reports AS r, "
                "json_each(r.content, '$.counts') AS j", tops, covered_terms(self.selection, "r"))
            for kind, name, total in await self._rows(
                f"SELECT kind, name, SUM(total) FROM ({below} UNION ALL {own}) "  # noqa: S608 - placeholders only
                "GROUP BY kind, name ORDER BY name", [*below_params, *own_params]):
                counts[name] += total
                by_kind[kind][name] += total
        return (dict(sorted(counts.items())),
                {kind: dict(names) for kind, names in sorted(by_kind.items())})

    async def _extra(self) -> list[dict[str, Any]]:
        if not self.tops:
            return []
        where, params = covered_where(self.selection, "r")
        rows = await self._rows(
            # Extra reports are few: read them from their own small index, then check the area.
            "SELECT r.report_id, r.kind, r.period, r.cadre_id, r.area_id, r.submitted_at "  # noqa: S608 - placeholders only
            "FROM reports AS r INDEXED BY reports_extra CROSS JOIN area_ancestors AS a "
            "ON a.area_id = r.area_id "
            f"WHERE a.ancestor_id IN ({placeholders(self.tops)}) AND r.first = 1 "
            f"AND r.expected = 0 AND r.kind != '{URGENT}' AND {where} "
            "ORDER BY r.submitted_at DESC, r.seq DESC LIMIT ?",
            [*self.tops, *params, EXTRA_LIMIT])
        keys = ("report_id", "kind", "period", "cadre_id", "area_id", "submitted_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    async def _hot_spots(self) -> list[dict[str, Any]]:
        if not self.tops:
            return []
        where, params = covered_where(self.selection, "h")
        rows = await self._rows(
            "SELECT h.report_id, h.kind, h.period, h.area_id, h.cadre_id, h.submitted_at, "  # noqa: S608 - placeholders only
            "h.category, h.severity, h.title, h.description FROM hot_spots AS h "
            "CROSS JOIN area_ancestors AS a ON a.area_id = h.area_id "
            f"WHERE a.ancestor_id IN ({placeholders(self.tops)}) AND {where} "
            "ORDER BY h.rank DESC, h.submitted_at DESC, h.seq, h.idx LIMIT ?",
            [*self.tops, *params, HOT_SPOT_LIMIT])
        keys = ("report_id", "kind", "period", "area_id", "cadre_id", "submitted_at",
                "category", "severity", "title", "description")
        spots = [dict(zip(keys, row, strict=True)) for row in rows]
        for spot in spots:
            description = str(spot["description"] or "")
            spot["description_truncated"] = len(description) > DESCRIPTION_EXCERPT
            if spot["description_truncated"]:
                spot["description"] = description[:DESCRIPTION_EXCERPT - 1] + "…"
            spot["area_name"] = self.network.name("areas", spot["area_id"])
            spot["cadre_name"] = self.network.name("cadres", spot["cadre_id"])
        return spots

    async def _children(self) -> list[dict[str, Any]]:
        network = self.network
        children = {c: network.tops(c) for c in network.children(self.unit.id)}
        by_area = {key[0]: row for key, row in (await self._sums(
            "area_id", sorted({a for tops in children.values() for a in tops}))).items()}
        out = []
        for child_id, tops in children.items():
            sums: dict[str, int] = defaultdict(int)
            for area_id in tops:
                for name, value in by_area.get(area_id, {}).items():
                    sums[name] += value
            expected = sum(network.expected_count(s.deadline, tops, s.kind)
                           for s in self.selection.slots)
            received = min(sums["received"], expected)
            out.append({
                "unit_id": child_id, "unit_name": network.name("units", child_id),
                "expected": expected, "received": received, "on_time": sums["on_time"],
                "late": sums["late"], "missing": expected - received,
                "completeness": _rate(received, expected),
                "on_time_rate": _rate(sums["on_time"], expected),
                "reports": sums["reports"], "extra": sums["extra"],
                "assessment": _assessment(sums), "hot_spot_count": sums["hot_spots"],
            })
        return out
