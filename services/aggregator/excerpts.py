"""What cadres wrote under each heading, for a unit's report document: the gravest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from domain.periods import Period
from services.aggregator.coverage import covered_where, placeholders
from services.aggregator.network_index import NetworkIndex

# A document is read by people: past this many reports it lists the gravest and counts the rest.
REPORT_LIMIT = 300


@dataclass(frozen=True)
class Excerpt:
    """One report's summary and sections, with where and whom they came from."""

    report_id: str
    kind: str
    period: str | None
    area_id: str
    cadre_id: str
    submitted_at: str
    assessment: str
    summary: str
    sections: dict[str, str]


async def gravest_reports(db: aiosqlite.Connection, network: NetworkIndex, unit_id: str,
                          period: Period) -> list[Excerpt]:
    tops = network.tops(unit_id)
    if not tops:
        return []
    where, params = covered_where(network.calendar.selection(period), "r")
    sql = (
        "SELECT r.report_id, r.kind, r.period, r.area_id, r.cadre_id, r.submitted_at, "  # noqa: S608 - placeholders only
        "r.assessment, r.content FROM area_ancestors AS a "
        "CROSS JOIN reports AS r ON r.area_id = a.area_id "
        f"WHERE a.ancestor_id IN ({placeholders(tops)}) AND {where} "
        "ORDER BY CASE r.assessment WHEN 'complex' THEN 3 WHEN 'attention' THEN 2 ELSE 1 END "
        "DESC, r.submitted_at DESC, r.seq DESC LIMIT ?")
    async with db.execute(sql, [*tops, *params, REPORT_LIMIT]) as cursor:
        rows = await cursor.fetchall()
    out = []
    for report_id, kind, period_, area_id, cadre_id, submitted_at, assessment, raw in rows:
        content: dict[str, Any] = json.loads(raw)
        sections = content.get("sections") or {}
        out.append(Excerpt(report_id, kind, period_, area_id, cadre_id, submitted_at,
                           assessment, str(content.get("summary") or ""),
                           {str(k): str(v) for k, v in sections.items() if v}))
    return out
