"""A ReportSubmitted envelope read into the fields the read model keeps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.periods import URGENT

FACT_COLUMNS = ("seq, report_id, kind, period, area_id, cadre_id, unit_id, submitted_at, "
                "deadline, on_time, assessment, content")

Pair = tuple[str, str, str, str]


# Not frozen: a catch-up builds one per report, and frozen dataclasses build slowly.
@dataclass(slots=True)
class ReportFact:
    """What the projection needs of one submitted report."""

    seq: int
    report_id: str
    kind: str
    period: str | None
    area_id: str
    cadre_id: str
    unit_id: str | None
    submitted_at: str
    deadline: str | None
    on_time: bool
    assessment: str
    content: dict[str, Any]
    # (kind, period, cadre, area): the key of an expectation; None for urgent reports.
    pair: Pair | None
    counts: dict[str, int]
    hot_spots: list[dict[str, Any]]

    @classmethod
    def create(cls, seq: int, report_id: str, kind: str, period: str | None, area_id: str,
               cadre_id: str, unit_id: str | None, submitted_at: str, deadline: str | None,
               on_time: bool, content: dict[str, Any]) -> ReportFact:
        counts = content.get("counts") or {}
        spots = content.get("hot_spots") or []
        return cls(
            seq, report_id, kind, period, area_id, cadre_id, unit_id, submitted_at, deadline,
            on_time, str(content.get("assessment", "")), content,
            None if kind == URGENT or period is None else (kind, period, cadre_id, area_id),
            {str(k): v for k, v in counts.items() if type(v) is int},
            [s for s in spots if isinstance(s, dict)])

    @classmethod
    def from_envelope(cls, seq: int, envelope: dict[str, Any]) -> ReportFact:
        data = envelope["data"]
        return cls.create(
            seq, str(envelope["aggregate_id"]), str(data["kind"]), data.get("period"),
            str(data["area_id"]), str(data["cadre_id"]), data.get("unit_id"),
            str(data["submitted_at"]), data.get("deadline"), bool(data.get("on_time", True)),
            data.get("content") or {})

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ReportFact:
        """From a row of `SELECT {FACT_COLUMNS} FROM reports`."""
        return cls.create(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                          row[8], bool(row[9]), json.loads(row[11]))
