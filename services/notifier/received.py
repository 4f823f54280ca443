"""The reports received so far, keyed for deadline sweeps: (kind, period) → (cadre, area)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from domain.clock import as_instant

Pair = tuple[str, str]


class Received:
    """Judged by the server's receipt time; the device time is kept beside it, never used.

    Each (cadre, area) pair is numbered once: a national sweep compares sets of
    360,000 pairs per deadline, and sets of small ints compare several times
    faster than sets of string tuples.
    """

    def __init__(self) -> None:
        self._numbers: dict[Pair, int] = {}
        self._pairs: list[Pair] = []
        self._by_due: dict[tuple[str, str], dict[int, tuple[datetime, datetime | None]]] = {}
        self._latest: dict[tuple[str, str], datetime] = {}

    def number(self, cadre_id: str, area_id: str) -> int:
        """The pair's number, given on first sight."""
        pair = (cadre_id, area_id)
        found = self._numbers.get(pair)
        if found is None:
            found = self._numbers[pair] = len(self._pairs)
            self._pairs.append(pair)
        return found

    def pair(self, number: int) -> Pair:
        return self._pairs[number]

    def add(self, kind: str, period: str, cadre_id: str, area_id: str,
            submitted_at: datetime, device_time: datetime | None = None) -> bool:
        """Record a report; False if an earlier one already counts for this pair."""
        bucket = self._by_due.setdefault((kind, period), {})
        number = self.number(cadre_id, area_id)
        known = bucket.get(number)
        if known is not None and known[0] <= submitted_at:
            return False
        bucket[number] = (submitted_at, device_time)
        latest = self._latest.get((kind, period))
        if latest is None or latest < submitted_at:
            self._latest[(kind, period)] = submitted_at
        return True

    def add_report(self, data: Mapping[str, Any]) -> bool:
        """Record a ReportSubmitted event's fields (times as datetimes or ISO text)."""
        period, submitted_at = data.get("period"), as_instant(data.get("submitted_at"))
        if period is None or submitted_at is None:
            return False  # urgent reports have no period and no deadline
        return self.add(str(data["kind"]), str(period), str(data["cadre_id"]),
                        str(data["area_id"]), submitted_at, as_instant(data.get("device_time")))

    def numbers(self, kind: str, period: str,
                at: datetime) -> Mapping[int, object] | Collection[int]:
        """The numbers of the pairs whose report had arrived by `at` (a dict or a set)."""
        bucket = self._by_due.get((kind, period))
        if not bucket:
            return ()
        # The usual question is about now, when every receipt counts: no filtering. The
        # dict itself, not its keys: set.difference reuses a dict's stored hashes.
        if self._latest[(kind, period)] <= at:
            return bucket
        return {n for n, (when, _) in bucket.items() if when <= at}

    def when(self, kind: str, period: str, cadre_id: str,
             area_id: str) -> tuple[datetime, datetime | None] | None:
        """Server receipt time and device time of the report that counts, if any."""
        number = self._numbers.get((cadre_id, area_id))
        if number is None:
            return None
        return self._by_due.get((kind, period), {}).get(number)

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._by_due.values())
