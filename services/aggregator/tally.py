"""Changes to the pre-aggregated tallies, summed in memory and written once per transaction."""

from __future__ import annotations

from collections.abc import Mapping

import aiosqlite

from domain.periods import URGENT
from services.aggregator import bulk
from services.aggregator.schema import TALLY_FIELDS

_ASSESSMENT_INDEX = {"stable": 6, "attention": 7, "complex": 8}
_WIDTH = len(TALLY_FIELDS)

_TALLY_HEAD = f"INSERT INTO tally (area_id, kind, slot, at, {', '.join(TALLY_FIELDS)})"
_TALLY_TAIL = ("ON CONFLICT (area_id, kind, slot) DO UPDATE SET at = excluded.at, "
               + ", ".join(f"{f} = {f} + excluded.{f}" for f in TALLY_FIELDS))
_COUNT_HEAD = "INSERT INTO count_tally (area_id, kind, slot, name, at, total)"
_COUNT_TAIL = ("ON CONFLICT (area_id, kind, slot, name) DO UPDATE SET at = excluded.at, "
               "total = total + excluded.total")


def contribution(kind: str, *, first: bool, expected: bool, on_time: bool, assessment: str,
                 hot_spots: int) -> list[int]:
    """What one report adds to each tally row of its area and the areas above it."""
    vector = [0] * _WIDTH
    vector[0] = 1
    if kind != URGENT:
        received = first and expected
        vector[1] = int(received)
        vector[2] = int(received and on_time)
        vector[3] = int(received and not on_time)
        vector[4] = int(first and not expected)
        vector[5] = int(not first)
    index = _ASSESSMENT_INDEX.get(assessment)
    if index is not None:
        vector[index] = 1
    vector[9] = hot_spots
    return vector


def flip(expected_now: bool, on_time: bool) -> list[int]:
    """The change when a first report's pair becomes expected (or stops being so)."""
    sign = 1 if expected_now else -1
    vector = [0] * _WIDTH
    vector[1] = sign
    vector[2 if on_time else 3] = sign
    vector[4] = -sign
    return vector


class Tally:
    """Sums per (areas above a report, kind, slot), spread to each of those areas on flush."""

    def __init__(self) -> None:
        self.rows: dict[tuple[tuple[str, ...], str, str], list[int]] = {}
        self.counts: dict[tuple[tuple[str, ...], str, str], dict[str, int]] = {}
        self.ats: dict[tuple[str, str], str] = {}

    def add(self, areas: tuple[str, ...], kind: str, slot: str, at: str,
            vector: list[int], counts: Mapping[str, int] | None = None) -> None:
        # Reports of one village share every area above it: sum once per path, not per area.
        self.ats[(kind, slot)] = at
        key = (areas, kind, slot)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = list(vector)
        else:
            for i, value in enumerate(vector):
                if value:
                    row[i] += value
        if counts:
            sums = self.counts.get(key)
            if sums is None:
                self.counts[key] = dict(counts)
            else:
                for name, value in counts.items():
                    sums[name] = sums.get(name, 0) + value

    def _spread(self) -> tuple[dict[tuple[str, str, str], list[int]],
                               dict[tuple[str, str, str, str], int]]:
        rows: dict[tuple[str, str, str], list[int]] = {}
        for (areas, kind, slot), vector in self.rows.items():
            for area_id in areas:
                row = rows.setdefault((area_id, kind, slot), [0] * len(vector))
                for i, value in enumerate(vector):
                    row[i] += value
        counts: dict[tuple[str, str, str, str], int] = {}
        for (areas, kind, slot), sums in self.counts.items():
            for area_id in areas:
                for name, value in sums.items():
                    key = (area_id, kind, slot, name)
                    counts[key] = counts.get(key, 0) + value
        return rows, counts

    async def flush(self, db: aiosqlite.Connection) -> None:
        ats = self.ats
        rows, counts = self._spread()
        await bulk.insert(db, _TALLY_HEAD, [
            (area_id, kind, slot, ats[(kind, slot)], *row)
            for (area_id, kind, slot), row in rows.items()], _TALLY_TAIL)
        await bulk.insert(db, _COUNT_HEAD, [
            (area_id, kind, slot, name, ats[(kind, slot)], total)
            for (area_id, kind, slot, name), total in counts.items()], _COUNT_TAIL)
        self.rows = {}
        self.counts = {}
        self.ats = {}
