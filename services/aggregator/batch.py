"""One batch of envelopes: prepared into rows on the event loop, written in one transaction."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

import aiosqlite
import orjson
import structlog

from domain.periods import URGENT
from domain.severity import rank as severity_rank
from services.aggregator import bulk, corrections
from services.aggregator.facts import FACT_COLUMNS, ReportFact
from services.aggregator.network_index import NetworkIndex
from services.aggregator.tally import Tally, contribution, flip

log = structlog.get_logger(__name__)

_NETWORK_PREFIXES = ("Network", "Account", "Assignment")
_REPORT_INSERT = (
    "INSERT INTO reports (seq, report_id, kind, period, slot, at, area_id, cadre_id, unit_id, "
    "submitted_at, deadline, on_time, assessment, first, expected, hot_spots, content)"
)
_HOT_SPOT_INSERT = (
    "INSERT INTO hot_spots (seq, idx, report_id, kind, period, slot, at, area_id, cadre_id, "
    "submitted_at, rank, category, severity, title, description)"
)
_NETWORK_INSERT = "INSERT INTO network_events (seq, type, aggregate_id, data)"
_APPLIED_INSERT = "INSERT INTO applied_events (event_id)"
_DEAD_INSERT = "INSERT OR IGNORE INTO dead_letters (seq, subject, reason, payload)"


# Each area and its ancestors (NetworkIndex.ancestors), as area_ancestors stores them.
AreaPaths = dict[str, tuple[str, ...]]


def area_paths(network: NetworkIndex) -> AreaPaths:
    return {a: network.ancestors(a) for a in network.view.areas}


class Firsts:
    """For recent (kind, period)s, the (cadre, area) pairs that have reported: a few LRU sets.

    A catch-up meets the same week in batch after batch; asking the store each time
    cost more than the rest of preparing a batch. Only ever added to, like the rows.
    Only a saving: a batch keeps its own reference to every set it needs, so an
    eviction, even of a set the same batch loaded, never loses what it knows.
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._sets: OrderedDict[tuple[str, str], set[tuple[str, str]]] = OrderedDict()

    def get(self, kind: str, period: str) -> set[tuple[str, str]] | None:
        found = self._sets.get((kind, period))
        if found is not None:
            self._sets.move_to_end((kind, period))
        return found

    def put(self, kind: str, period: str, pairs: set[tuple[str, str]]) -> None:
        self._sets[(kind, period)] = pairs
        while len(self._sets) > self.size:
            self._sets.popitem(last=False)


class Batch:
    """The rows, tally changes and network changes of consecutive envelopes."""

    def __init__(self, db: aiosqlite.Connection, network: NetworkIndex,
                 messages: list[tuple[int, bytes]], firsts: Firsts):
        self.db = db
        self.network = network
        self.firsts = firsts
        self.first = messages[0][0]
        self.last = messages[-1][0]
        self.tally = Tally()
        self.rows: list[tuple[Any, ...]] = []
        self.spots: list[tuple[Any, ...]] = []
        self.network_rows: list[tuple[Any, ...]] = []
        self.event_ids: list[tuple[str]] = []
        # (stream sequence, subject, reason, raw payload) of each envelope refused.
        self.dead: list[tuple[int, str, str, bytes]] = []
        self.dirty_pairs: set[tuple[str, str]] = set()
        # Corrected revisions, in stream order: applied once this batch's rows are written.
        self.corrections: list[corrections.Correction] = []
        # (kind, period) → the (cadre, area) pairs whose first report is known: this batch's own.
        self.seen: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self.areas_changed = False
        self.schedule_changed = False

    # -- before the transaction ---------------------------------------------------------
    async def prepare(self, envelopes: list[tuple[int, dict[str, Any]]]) -> None:
        facts = {seq: ReportFact.from_envelope(seq, env) for seq, env in envelopes
                 if env["type"] == "ReportSubmitted"}
        await self._known_pairs(list(facts.values()))
        for seq, env in envelopes:
            fact = facts.get(seq)
            if fact is not None:
                self._report(fact)
            elif str(env["type"]).startswith(_NETWORK_PREFIXES):
                self._network(seq, str(env["type"]), env)
            elif env["type"] == "ReportCorrected":
                self.corrections.append(corrections.Correction.from_envelope(env))

    async def _known_pairs(self, reports: list[ReportFact]) -> None:
        """Load, for each (kind, period) of the batch, the pairs that already reported."""
        calendar = self.network.calendar
        for kind, period in sorted({r.pair[:2] for r in reports if r.pair is not None}):
            known = self.firsts.get(kind, period)
            if known is None:
                async with self.db.execute(
                    "SELECT cadre_id, area_id FROM reports "
                    "WHERE kind = ? AND at = ? AND period = ? AND first = 1",
                    (kind, calendar.deadline(kind, period)[0], period)) as cursor:
                    known = {tuple(row) for row in await cursor.fetchall()}
                self.firsts.put(kind, period, known)
            self.seen[(kind, period)] = known

    def _report(self, fact: ReportFact) -> None:
        network = self.network
        slot, at = network.calendar.place(fact.kind, fact.period, fact.submitted_at)
        first = expected = False
        if fact.pair is not None and fact.period is not None:
            seen = self.seen[(fact.kind, fact.period)]
            first = (fact.cadre_id, fact.area_id) not in seen
            if first:
                seen.add((fact.cadre_id, fact.area_id))
                due = network.calendar.deadline(fact.kind, fact.period)[1]
                expected = network.is_expected(fact.cadre_id, fact.area_id, due, fact.kind)
        hot_spots = fact.hot_spots
        # The report's own area is its row; tallies sum the areas above it.
        self.tally.add(network.ancestors(fact.area_id)[:-1], fact.kind, slot, at, contribution(
            fact.kind, first=first, expected=expected, on_time=fact.on_time,
            assessment=fact.assessment, hot_spots=len(hot_spots)), fact.counts)
        self.rows.append((
            fact.seq, fact.report_id, fact.kind, fact.period, slot, at, fact.area_id,
            fact.cadre_id, fact.unit_id, fact.submitted_at, fact.deadline, int(fact.on_time),
            fact.assessment, int(first), int(expected), len(hot_spots),
            orjson.dumps(fact.content).decode()))
        for idx, spot in enumerate(hot_spots):
            self.spots.append((
                fact.seq, idx, fact.report_id, fact.kind, fact.period, slot, at, fact.area_id,
                fact.cadre_id, fact.submitted_at, severity_rank(str(spot.get("severity"))),
                str(spot.get("category", "")), str(spot.get("severity", "")),
                str(spot.get("title", "")), str(spot.get("description", ""))))

    def _network(self, seq: int, type_: str, env: dict[str, Any]) -> None:
        data = env["data"]
        aggregate_id = str(env["aggregate_id"])
        self.network_rows.append((seq, type_, aggregate_id, orjson.dumps(data).decode()))
        self.network.apply(type_, aggregate_id, data)
        if type_.startswith("Assignment"):
            view = self.network.view.assignments.get(UUID(aggregate_id))
            if view is not None:
                self.dirty_pairs.add((view.cadre_id, view.area_id))
        elif type_ in ("NetworkAreaDefined", "NetworkAreaRetired"):
            self.areas_changed = True
        elif type_ in ("NetworkScheduleDefined", "NetworkObligationsDefined"):
            # Which kinds are expected where changes with the obligations: rederive all.
            self.schedule_changed = True

    # -- in the transaction ------------------------------------------------------------
    async def write(self, paths: AreaPaths) -> AreaPaths:
        """Store the batch; `paths` are the area paths before it, the answer those after."""
        await bulk.insert(self.db, _DEAD_INSERT, self.dead)
        await bulk.insert(self.db, _APPLIED_INSERT, self.event_ids)
        await bulk.insert(self.db, _NETWORK_INSERT, self.network_rows)
        await bulk.insert(self.db, _REPORT_INSERT, self.rows)
        await bulk.insert(self.db, _HOT_SPOT_INSERT, self.spots)
        touched = []
        if self.corrections:
            touched = await corrections.apply(self.db, self.network, self.tally,
                                              self.corrections)
        paths = await self._settle(paths)
        await self.tally.flush(self.db)
        await corrections.drop_zero_counts(self.db, touched)
        return paths

    async def _settle(self, paths: AreaPaths) -> AreaPaths:
        """Bring stored rows in line with the network changes of this batch."""
        full = self.schedule_changed
        if self.areas_changed:
            moved, paths = await self._rewrite_ancestors(paths)
            full = moved or full
        if full:
            await self._rederive_all()
        elif self.dirty_pairs:
            await self._rederive_pairs()
        return paths

    async def _rewrite_ancestors(self, old: AreaPaths) -> tuple[bool, AreaPaths]:
        """Store the area tree; True if an area that already had a place moved in it."""
        new = area_paths(self.network)
        await self.db.execute("DELETE FROM area_ancestors")
        await bulk.insert(self.db, "INSERT INTO area_ancestors (ancestor_id, area_id)",
                          [(up, area) for area, path in new.items() for up in path])
        return any(new.get(area) != path for area, path in old.items()), new

    async def _rederive_pairs(self) -> None:
        network = self.network
        for cadre_id, area_id in sorted(self.dirty_pairs):
            async with self.db.execute(
                "SELECT seq, kind, period, slot, at, on_time, expected FROM reports "
                "WHERE area_id = ? AND cadre_id = ? AND first = 1 AND kind != ?",
                (area_id, cadre_id, URGENT),
            ) as cursor:
                found = await cursor.fetchall()
            changed = []
            for seq, kind, period, slot, at, on_time, expected in found:
                due = network.calendar.deadline(kind, period)[1]
                now = network.is_expected(cadre_id, area_id, due, kind)
                if now != bool(expected):
                    changed.append((int(now), seq))
                    self.tally.add(network.ancestors(area_id)[:-1], kind, slot, at,
                                   flip(now, bool(on_time)))
            if changed:
                await self.db.executemany("UPDATE reports SET expected = ? WHERE seq = ?",
                                          changed)

    async def _rederive_all(self) -> None:
        """Recompute every report's place and expectation, then every tally: rare, whole."""
        network = self.network
        calendar = network.calendar
        self.tally = Tally()
        await self.db.execute("DELETE FROM tally")
        await self.db.execute("DELETE FROM count_tally")
        updates = []
        async with self.db.execute(
            f"SELECT {FACT_COLUMNS}, first FROM reports ORDER BY seq"  # noqa: S608 - constant
        ) as cursor:
            async for row in cursor:
                fact = ReportFact.from_row(tuple(row))
                first = bool(row[-1])
                slot, at = calendar.place(fact.kind, fact.period, fact.submitted_at)
                expected = False
                if first and fact.pair is not None and fact.period is not None:
                    due = calendar.deadline(fact.kind, fact.period)[1]
                    expected = network.is_expected(fact.cadre_id, fact.area_id, due, fact.kind)
                updates.append((slot, at, int(expected), fact.seq))
                self.tally.add(network.ancestors(fact.area_id)[:-1], fact.kind, slot, at,
                               contribution(fact.kind, first=first, expected=expected,
                                            on_time=fact.on_time, assessment=fact.assessment,
                                            hot_spots=len(fact.hot_spots)), fact.counts)
        if updates:
            log.info("read_model_rederived", reports=len(updates))
            await self.db.executemany("UPDATE reports SET slot = ?, at = ?, expected = ? "
                                      "WHERE seq = ?", updates)
            await self.db.execute(
                "UPDATE hot_spots SET slot = r.slot, at = r.at FROM reports AS r "
                "WHERE r.seq = hot_spots.seq")
