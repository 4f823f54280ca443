"""Which rows a period covers, as SQL terms that seek the read model's time-led indexes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.periods import URGENT
from services.aggregator.calendar import Selection, stamp


def covered_terms(selection: Selection, alias: str = "") -> list[tuple[str, list[Any]]]:
    """The rows a period covers: weekly and urgent by time, its own periodic report by name."""
    # Terms on (kind, at), so each seeks the (area_id, kind, at) and (kind, at, area_id) indexes.
    p = f"{alias}." if alias else ""
    start, end = selection.start_at, selection.end_at
    weeks = [stamp(s.deadline) for s in selection.slots if s.kind == "weekly"]
    terms: list[tuple[str, list[Any]]] = [
        (f"{p}kind = '{URGENT}' AND {p}at >= ? AND {p}at < ?", [start, end])]
    if weeks:
        # Each week's deadline, not a range: an index led by (kind, at) seeks each one.
        terms.append((f"{p}kind = 'weekly' AND {p}at IN ({placeholders(weeks)})", weeks))
    for slot in selection.slots:
        if slot.kind == selection.periodic_kind:
            terms.append((f"{p}kind = ? AND {p}at = ? AND {p}slot = ?",
                          [slot.kind, stamp(slot.deadline), slot.period]))
    return terms


def covered_where(selection: Selection, alias: str = "") -> tuple[str, list[Any]]:
    terms = covered_terms(selection, alias)
    return (f"(({') OR ('.join(sql for sql, _ in terms)}))",
            [value for _, params in terms for value in params])


def union(select: str, areas: list[str], terms: list[tuple[str, list[Any]]],
          ) -> tuple[str, list[Any]]:
    """`select ... WHERE area_id IN areas AND term`, one branch per term, UNION ALL."""
    marks = placeholders(areas)
    sql = " UNION ALL ".join(f"{select} WHERE area_id IN ({marks}) AND {term}"
                             for term, _ in terms)
    return sql, [value for _, params in terms for value in (*areas, *params)]


def placeholders(values: Iterable[Any]) -> str:
    return ",".join("?" for _ in values)
