"""The projection: given envelopes in stream order, the rows and tallies it keeps."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from domain.schedule import Schedule
from services.aggregator.projection import Projector
from services.aggregator.rollup import Rollups
from services.aggregator.schema import connect
from services.aggregator.synthetic import EnvelopeWriter
from services.common import wire
from services.common.plan_file import load_plan

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN = Path(__file__).resolve().parents[2] / "plans" / "two-level.toml"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=VN)
AFTER_DEADLINE = datetime(2026, 11, 26, 15, 0, tzinfo=VN)
DONG_COI = ("thuan-thanh-dong-coi", "cb-thuan-thanh-dong-coi")
DONG_HO = ("thuan-thanh-dong-ho", "cb-thuan-thanh-dong-ho")
TRAM_LO = ("tram-lo-tram-lo", "cb-tram-lo-tram-lo")


class Model:
    """A read model in a temporary file, fed envelopes as consecutive stream messages."""

    def __init__(self, path: Path):
        self.path = path
        self.writer = EnvelopeWriter()
        self.seq = 0

    async def open(self) -> None:
        self.db = await connect(self.path)
        self.reader = await connect(self.path, readonly=True)
        self.projector = Projector(self.db)
        await self.projector.load()
        self.rollups = Rollups(self.reader, lambda: self.projector.network)

    async def close(self) -> None:
        await self.reader.close()
        await self.db.close()

    def messages(self, envelopes: list[wire.Envelope]) -> list[tuple[int, bytes, str]]:
        out = []
        for envelope in envelopes:
            self.seq += 1
            out.append((self.seq, envelope.encode(), envelope.subject))
        return out

    def raw(self, payload: bytes, subject: str = "tinhhinh.events._.ReportSubmitted",
            ) -> tuple[int, bytes, str]:
        """A message as anyone allowed to publish could put it on the stream."""
        self.seq += 1
        return (self.seq, payload, subject)

    async def feed(self, *envelopes: wire.Envelope) -> int:
        return await self.projector.apply(self.messages(list(envelopes)))

    def weekly(self, where: tuple[str, str], at: datetime = THURSDAY,
               period: str = "2026-W48", **content: Any) -> wire.Envelope:
        area, cadre = where
        return self.writer.report("weekly", area, cadre, at, period=period, **content)

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, params).fetchall()

    async def rollup(self, unit: str = "ccb-tinh", period: str = "2026-W48") -> dict[str, Any]:
        return await self.rollups.rollup(unit, period)


@asynccontextmanager
async def two_level(tmp_path: Path) -> AsyncIterator[Model]:
    """A read model holding the two-level plan's network and nothing else yet."""
    m = Model(tmp_path / "aggregator.sqlite")
    await m.open()
    try:
        await m.feed(*m.writer.plan(load_plan(PLAN)))
        yield m
    finally:
        await m.close()


@pytest.fixture
async def model(tmp_path: Path) -> AsyncIterator[Model]:
    async with two_level(tmp_path) as m:
        yield m


async def test_a_weekly_report_becomes_a_row_placed_at_its_deadline(model: Model):
    spot = {"category": "land", "severity": "high", "title": "Tranh chấp đất",
            "description": "Hai hộ tranh chấp ranh giới"}
    await model.feed(model.weekly(DONG_COI, counts={"complaints_received": 2},
                                  hot_spots=[spot]))
    [row] = model.rows("SELECT kind, period, slot, at, area_id, cadre_id, on_time, first, "
                       "expected, hot_spots FROM reports")
    assert row == ("weekly", "2026-W48", "2026-W48", "2026-11-26T07:00:00Z", DONG_COI[0],
                   DONG_COI[1], 1, 1, 1, 1)
    [hot] = model.rows("SELECT area_id, cadre_id, severity, title FROM hot_spots")
    assert hot == (DONG_COI[0], DONG_COI[1], "high", "Tranh chấp đất")


async def test_a_sequence_already_applied_is_ignored(model: Model):
    first = model.messages([model.weekly(DONG_COI)])
    await model.projector.apply(first)
    position = model.projector.position
    await model.projector.apply(first)  # a redelivery
    assert model.projector.position == position
    assert model.rows("SELECT COUNT(*) FROM reports") == [(1,)]
    assert (await model.rollup())["received"] == 1


async def test_a_gap_stops_the_batch_before_it(model: Model):
    messages = model.messages([model.weekly(DONG_COI), model.weekly(DONG_HO)])
    position = model.projector.position
    await model.projector.apply(messages[1:])
    assert model.projector.position == position
    await model.projector.apply(messages)
    assert model.projector.position == position + 2


async def test_an_envelope_published_twice_is_counted_once(model: Model):
    envelope = model.weekly(DONG_COI)
    await model.feed(envelope)
    await model.feed(envelope)  # the same store position under a new stream sequence
    rollup = await model.rollup()
    assert (rollup["received"], rollup["reports"]) == (1, 1)


async def test_a_malformed_envelope_is_skipped_and_the_position_moves_on(model: Model):
    bad = model.raw(b'{"v": 2}')
    position = await model.projector.apply([bad])
    assert position == bad[0]
    await model.feed(model.weekly(DONG_COI))
    assert (await model.rollup())["received"] == 1


def corrupted(envelope: wire.Envelope, **changes: Any) -> bytes:
    """The envelope's JSON with top-level fields, or (data=...) its data, replaced."""
    raw = orjson.loads(envelope.encode())
    raw.update(changes)
    return orjson.dumps(raw)


async def test_malformed_envelopes_are_dead_lettered_once_and_the_rest_is_counted(
    model: Model,
):
    # Given a report without data and one for a week that does not exist, between real ones
    empty = model.raw(corrupted(model.weekly(DONG_COI), data={}))
    w99 = model.weekly(DONG_HO)
    no_week = model.raw(w99.encode().replace(b'"2026-W48"', b'"2026-W99"'), w99.subject)
    messages = [*model.messages([model.weekly(DONG_COI)]), empty, no_week,
                *model.messages([model.weekly(TRAM_LO)])]
    # When the projection applies them, and again as a redelivery
    assert await model.projector.apply(messages) == model.seq
    await model.projector.apply(messages)
    # Then the real ones count and each bad one is one dead letter, raw bytes and all
    assert (await model.rollup())["received"] == 2
    letters = model.rows("SELECT seq, subject, reason, payload FROM dead_letters ORDER BY seq")
    assert [(seq, subject, payload) for seq, subject, _, payload in letters] == [
        (empty[0], empty[2], empty[1]), (no_week[0], no_week[2], no_week[1])]
    assert letters[0][2] == "ReportSubmitted data is malformed: lacks 'kind'"
    assert "2026-W99" in letters[1][2]
    assert model.projector.dead_letters == 2


async def test_a_forged_position_drops_no_later_report(model: Model):
    # Given a real report and a copy of it claiming store position 10**15
    real = model.weekly(DONG_COI)
    await model.feed(real)
    forged = model.raw(corrupted(real, position=10**15), real.subject)
    await model.projector.apply([forged])
    # When the next real reports arrive with their ordinary positions
    await model.feed(model.weekly(DONG_HO), model.weekly(TRAM_LO))
    # Then they are counted, and the copy counted nothing
    rollup = await model.rollup()
    assert (rollup["received"], rollup["reports"]) == (3, 3)
    assert model.projector.position == model.seq


async def test_a_second_report_for_the_same_week_is_a_duplicate_not_a_second_receipt(
    model: Model,
):
    await model.feed(model.weekly(DONG_COI),
                     model.weekly(DONG_COI, at=AFTER_DEADLINE, summary="Bổ sung"))
    rollup = await model.rollup()
    assert (rollup["received"], rollup["on_time"], rollup["late"]) == (1, 1, 0)
    assert (rollup["duplicates"], rollup["reports"]) == (1, 2)


async def test_a_report_from_a_pair_not_expected_is_listed_but_never_counted(model: Model):
    # Given a cadre whose extra assignment ended before Thursday's deadline
    cadre, area = DONG_HO[1], DONG_COI[0]
    start = datetime(2026, 11, 23, 0, 0, tzinfo=VN)
    await model.feed(model.writer.assignment(cadre, area, start, start + timedelta(days=2)))
    # When both the assigned cadre and the other one report for that area
    await model.feed(model.weekly(DONG_COI),
                     model.writer.report("weekly", area, cadre, MONDAY, period="2026-W48"))
    # Then only the expected pair counts; the other is listed as extra
    rollup = await model.rollup("ccb-thuan-thanh")
    assert (rollup["expected"], rollup["received"], rollup["completeness"]) == (2, 1, 0.5)
    assert [(e["cadre_id"], e["area_id"]) for e in rollup["extra"]] == [(cadre, area)]
    assert rollup["extra_count"] == 1


async def test_ending_an_assignment_before_the_deadline_recounts_what_it_expected(
    model: Model,
):
    await model.feed(model.weekly(DONG_COI, at=MONDAY))
    assert (await model.rollup("ccb-thuan-thanh"))["received"] == 1
    # The assignment is ended on Tuesday: at Thursday's deadline nobody is expected there.
    valid_from = next(a.valid_from for a in load_plan(PLAN).assignments if a.area == DONG_COI[0])
    await model.feed(model.writer.end_assignment(DONG_COI[1], DONG_COI[0], valid_from,
                                                 datetime(2026, 11, 24, 0, 0, tzinfo=VN)))
    rollup = await model.rollup("ccb-thuan-thanh")
    assert (rollup["expected"], rollup["received"], rollup["extra_count"]) == (1, 0, 1)
    assert rollup["completeness"] == 0.0
    province = await model.rollup("ccb-tinh")
    assert (province["expected"], province["received"]) == (3, 0)


async def test_a_new_schedule_moves_deadlines_and_keeps_what_was_on_time(model: Model):
    await model.feed(model.weekly(DONG_COI, at=AFTER_DEADLINE))
    friday = Schedule.from_mapping({"weekly_due": "friday 17:00"})
    await model.feed(model.writer.define_schedule(friday))
    [(at, on_time)] = model.rows("SELECT at, on_time FROM reports")
    assert at == "2026-11-27T10:00:00Z"
    assert on_time == 0  # what the intake decided when it was received stays
    rollup = await model.rollup()
    assert (rollup["received"], rollup["late"]) == (1, 1)
    assert rollup["slots"][0]["deadline"] == "2026-11-27T10:00:00+00:00"


async def test_an_area_moved_under_another_parent_takes_its_reports_along(model: Model):
    await model.feed(model.weekly(DONG_COI))
    assert (await model.rollup("ccb-tram-lo"))["received"] == 0
    await model.feed(model.writer.area(DONG_COI[0], "Khu phố Đông Côi", "quarter", "tram-lo"))
    assert model.rows("SELECT area_id, received FROM tally ORDER BY area_id") == [
        ("bac-ninh", 1), ("tram-lo", 1)]
    assert (await model.rollup("ccb-tram-lo"))["received"] == 1
    # The ward's association still covers it through its branch there, which did not move.
    assert (await model.rollup("ccb-thuan-thanh"))["received"] == 1


async def test_a_restart_rebuilds_the_network_from_the_file_alone(model: Model):
    await model.feed(model.weekly(DONG_COI), model.weekly(TRAM_LO, at=AFTER_DEADLINE))
    before = await model.rollup()
    await model.close()
    await model.open()
    assert model.projector.position == model.seq
    assert model.projector.network.unit("ccb-thuan-thanh") is not None
    assert await model.rollup() == before


async def test_a_batch_spanning_more_weeks_than_the_cache_holds_counts_each_first_report(
    model: Model,
):
    # Given twenty weeks of reports from one cadre, late, arriving in one batch
    weeks = [f"2026-W{week:02d}" for week in range(29, 49)]
    reports = [model.weekly(DONG_COI, at=AFTER_DEADLINE, period=week) for week in weeks]
    # When the projection applies them at once (more weeks than its cache of first reports)
    position = await model.feed(*reports, model.weekly(DONG_COI, at=AFTER_DEADLINE,
                                                       period=weeks[0], summary="Bổ sung"))
    # Then every week's first report is a receipt and the repeated one is a duplicate
    assert position == model.seq
    assert model.rows("SELECT COUNT(*) FROM reports WHERE first = 1") == [(20,)]
    for week in (weeks[0], weeks[-1]):
        rollup = await model.rollup("ccb-thuan-thanh", week)
        assert (rollup["received"], rollup["late"]) == (1, 1)
    assert (await model.rollup("ccb-thuan-thanh", weeks[0]))["duplicates"] == 1
