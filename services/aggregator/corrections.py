"""A corrected revision replaces what its report contributed: row, hot spots and tallies.

The report keeps its row (and so its place, `first`, `expected` and timeliness, judged by
the first submission); its assessment, counts, hot spots and text become the revision's.
The tallies take the difference, so redelivery stays the projection's own business
(`applied_events`), and a later whole re-derivation reads the corrected rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite
import orjson
import structlog

from domain.severity import rank as severity_rank
from services.aggregator import bulk
from services.aggregator.network_index import NetworkIndex
from services.aggregator.tally import Tally, contribution

log = structlog.get_logger(__name__)

_ROW = ("SELECT seq, slot, at, first, expected, on_time, assessment, content, submitted_at "
        "FROM reports")
_HOT_SPOT_INSERT = (
    "INSERT INTO hot_spots (seq, idx, report_id, kind, period, slot, at, area_id, cadre_id, "
    "submitted_at, rank, category, severity, title, description)"
)


@dataclass(frozen=True, slots=True)
class Correction:
    """What a ReportCorrected envelope says of its report."""

    report_id: str
    kind: str
    period: str | None
    area_id: str
    cadre_id: str
    first_submitted_at: str
    content: dict[str, Any]

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> Correction:
        data = envelope["data"]
        return cls(str(envelope["aggregate_id"]), str(data["kind"]), data.get("period"),
                   str(data["area_id"]), str(data["cadre_id"]),
                   str(data["first_submitted_at"]), data.get("content") or {})


def _figures(content: dict[str, Any]) -> tuple[str, dict[str, int], list[dict[str, Any]]]:
    counts = content.get("counts") or {}
    spots = content.get("hot_spots") or []
    return (str(content.get("assessment", "")),
            {str(k): v for k, v in counts.items() if type(v) is int},
            [s for s in spots if isinstance(s, dict)])


async def apply(db: aiosqlite.Connection, network: NetworkIndex, tally: Tally,
                corrections: list[Correction]) -> list[tuple[str, str, str, str]]:
    """Rewrite the corrected reports in stream order; the (area, kind, slot, count name)
    keys whose totals may have fallen to zero, for `drop_zero_counts` after the flush."""
    touched: list[tuple[str, str, str, str]] = []
    for fix in corrections:
        row = await _row(db, network, fix)
        if row is None:
            # Its submission was refused (a dead letter): there is nothing to correct.
            log.warning("correction_without_report", report_id=fix.report_id)
            continue
        seq, slot, at, first, expected, on_time, old_assessment, raw, submitted_at = row
        assessment, counts, spots = _figures(fix.content)
        old_assessment, old_counts, old_spots = _figures(json.loads(raw))
        old = contribution(fix.kind, first=bool(first), expected=bool(expected),
                           on_time=bool(on_time), assessment=old_assessment,
                           hot_spots=len(old_spots))
        new = contribution(fix.kind, first=bool(first), expected=bool(expected),
                           on_time=bool(on_time), assessment=assessment, hot_spots=len(spots))
        names = set(counts) | set(old_counts)
        areas = network.ancestors(fix.area_id)[:-1]
        tally.add(areas, fix.kind, slot, at, [n - o for n, o in zip(new, old, strict=True)],
                  {name: counts.get(name, 0) - old_counts.get(name, 0) for name in names})
        touched.extend((area, fix.kind, slot, name) for area in areas for name in old_counts)
        await db.execute("UPDATE reports SET assessment = ?, hot_spots = ?, content = ? "
                         "WHERE seq = ?", (assessment, len(spots),
                                           orjson.dumps(fix.content).decode(), seq))
        await db.execute("DELETE FROM hot_spots WHERE seq = ?", (seq,))
        await bulk.insert(db, _HOT_SPOT_INSERT, [(
            seq, idx, fix.report_id, fix.kind, fix.period, slot, at, fix.area_id, fix.cadre_id,
            submitted_at, severity_rank(str(spot.get("severity"))),
            str(spot.get("category", "")), str(spot.get("severity", "")),
            str(spot.get("title", "")), str(spot.get("description", "")))
            for idx, spot in enumerate(spots)])
    return touched


async def _row(db: aiosqlite.Connection, network: NetworkIndex,
               fix: Correction) -> tuple[Any, ...] | None:
    # The report's place is known from the correction itself, so the time index finds it;
    # only a place changed since (a schedule change in the same batch) needs the scan.
    _, at = network.calendar.place(fix.kind, fix.period, fix.first_submitted_at)
    async with db.execute(f"{_ROW} WHERE kind = ? AND at = ? AND area_id = ? "
                          "AND report_id = ?", (fix.kind, at, fix.area_id,
                                                fix.report_id)) as cursor:
        found = await cursor.fetchone()
    if found is None:
        async with db.execute(f"{_ROW} WHERE report_id = ?",
                              (fix.report_id,)) as cursor:
            found = await cursor.fetchone()
    return None if found is None else tuple(found)


async def drop_zero_counts(db: aiosqlite.Connection,
                           touched: list[tuple[str, str, str, str]]) -> None:
    """A count name no revision reports any more leaves no `0` behind in the rollups."""
    if touched:
        await db.executemany("DELETE FROM count_tally WHERE area_id = ? AND kind = ? "
                             "AND slot = ? AND name = ? AND total = 0", sorted(set(touched)))
