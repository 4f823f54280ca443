"""The reports received so far, keyed for deadline sweeps: (kind, period) → (cadre, area),
and the units' own reports: (kind, period, unit) → first sent, and whether it stands returned."""

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
        # Returned for correction and not yet corrected: (kind, period, pair number).
        self._returned: set[tuple[str, str, int]] = set()
        # A unit's own report: (kind, period, unit) → when first sent; returned ones.
        self._units: dict[tuple[str, str, str], datetime] = {}
        self._units_returned: set[tuple[str, str, str]] = set()

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

    def return_report(self, data: Mapping[str, Any]) -> None:
        """ReportReturned: the pair's report stands returned until corrected."""
        if data.get("period") is None:
            return
        number = self.number(str(data["cadre_id"]), str(data["area_id"]))
        self._returned.add((str(data["kind"]), str(data["period"]), number))

    def correct_report(self, data: Mapping[str, Any]) -> None:
        """ReportCorrected: received again, judged by when the first revision arrived."""
        period = data.get("period")
        if period is None:
            return
        kind, cadre_id, area_id = str(data["kind"]), str(data["cadre_id"]), str(data["area_id"])
        self._returned.discard((kind, str(period), self.number(cadre_id, area_id)))
        first = as_instant(data.get("first_submitted_at")) or as_instant(data.get("corrected_at"))
        if first is not None:
            self.add(kind, str(period), cadre_id, area_id, first)

    def returned(self, kind: str, period: str, cadre_id: str, area_id: str) -> bool:
        number = self._numbers.get((cadre_id, area_id))
        return number is not None and (kind, period, number) in self._returned

    def unit_sent(self, data: Mapping[str, Any]) -> bool:
        """UnitReportSent or UnitReportResent: the unit's obligation is received at the
        first sending; a resent one no longer stands returned. False if malformed."""
        first = as_instant(data.get("first_sent_at")) or as_instant(data.get("sent_at"))
        if first is None or not data.get("unit_id") or not data.get("period"):
            return False
        key = (str(data.get("kind")), str(data["period"]), str(data["unit_id"]))
        known = self._units.get(key)
        if known is None or first < known:
            self._units[key] = first
        self._units_returned.discard(key)
        return True

    def unit_returned(self, data: Mapping[str, Any]) -> None:
        """UnitReportReturned: the unit's report stands returned until sent again."""
        if data.get("unit_id") and data.get("period"):
            self._units_returned.add((str(data.get("kind")), str(data["period"]),
                                      str(data["unit_id"])))

    def unit_when(self, kind: str, period: str, unit_id: str) -> tuple[datetime, bool] | None:
        """When the unit first sent its report of this kind and period, and whether it
        stands returned now; None if never sent."""
        key = (kind, period, unit_id)
        sent = self._units.get(key)
        return None if sent is None else (sent, key in self._units_returned)

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
