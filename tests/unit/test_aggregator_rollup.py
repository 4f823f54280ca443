"""Rollups: which reports a period covers, what is expected, and how a unit's subtree sums."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.errors import InvalidInput, NotFound
from domain.ids import account_id
from domain.periods import Period
from domain.schedule import Schedule
from services.aggregator import rollup as rollup_module
from services.aggregator.calendar import Calendar
from services.aggregator.rpc import rollup_reply
from services.aggregator.service import RollupService
from services.common.contracts import ROLLUPS_GET
from services.common.plan_file import load_plan
from services.common.rpc_server import respond
from tests.unit.test_aggregator_projection import (
    DONG_COI,
    DONG_HO,
    MONDAY,
    THURSDAY,
    TRAM_LO,
    VN,
    Model,
    two_level,
)

NGHI_AN = ("tram-lo-nghi-an", "cb-tram-lo-nghi-an")
DEMO = Path(__file__).resolve().parents[2] / "plans" / "demo-thuan-thanh.toml"


@pytest.fixture
async def model(tmp_path: Path) -> AsyncIterator[Model]:
    async with two_level(tmp_path) as m:
        yield m


def test_a_month_covers_the_weeks_whose_thursday_deadline_falls_in_it():
    selection = Calendar(Schedule()).selection(Period.parse("2026-11"))
    assert [(s.kind, s.period) for s in selection.slots] == [
        ("weekly", "2026-W45"), ("weekly", "2026-W46"), ("monthly", "2026-11"),
        ("weekly", "2026-W47"), ("weekly", "2026-W48")]
    # W44 runs from 26 October to 1 November; its Thursday is 29 October.
    october = Calendar(Schedule()).selection(Period.parse("2026-10"))
    assert ("weekly", "2026-W44") in [(s.kind, s.period) for s in october.slots]


def test_a_year_expects_every_weekly_deadline_in_it_and_its_annual_report():
    slots = Calendar(Schedule()).selection(Period.parse("2026")).slots
    assert sum(s.kind == "weekly" for s in slots) == 53
    assert [s.period for s in slots if s.kind == "annual"] == ["2026"]


def test_a_shifted_month_counts_from_the_15th_of_the_month_before():
    selection = Calendar(Schedule(month_start_day=15)).selection(Period.parse("2026-11"))
    assert selection.start.astimezone(VN).date().isoformat() == "2026-10-15"
    assert [s.period for s in selection.slots if s.kind == "weekly"] == [
        "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46"]


async def test_urgent_reports_fall_in_the_period_of_their_local_day(model: Model):
    late_evening = datetime(2026, 11, 30, 23, 30, tzinfo=VN)
    after_midnight = datetime(2026, 12, 1, 0, 30, tzinfo=VN)
    await model.feed(
        model.writer.report("urgent", *DONG_COI, late_evening, assessment="complex"),
        model.writer.report("urgent", *DONG_COI, after_midnight, assessment="attention"))
    november = await model.rollup("ccb-thuan-thanh", "2026-11")
    december = await model.rollup("ccb-thuan-thanh", "2026-12")
    assert (november["urgent"], november["assessment"]) == (1, "complex")
    assert (december["urgent"], december["assessment"]) == (1, "attention")
    # Urgent reports are never expected: they do not move completeness.
    assert november["received"] == 0


async def test_a_weekly_report_counts_in_the_month_of_its_deadline(model: Model):
    await model.feed(model.weekly(DONG_COI, at=datetime(2026, 10, 29, 9, tzinfo=VN),
                                  period="2026-W44"))
    assert (await model.rollup("ccb-thuan-thanh", "2026-10"))["received"] == 1
    assert (await model.rollup("ccb-thuan-thanh", "2026-11"))["received"] == 0
    assert (await model.rollup("ccb-thuan-thanh", "2026-Q4"))["received"] == 1
    assert (await model.rollup("ccb-thuan-thanh", "2026-H2"))["received"] == 1


async def test_the_periodic_report_of_the_period_is_expected_too(model: Model):
    await model.feed(model.writer.report("monthly", *DONG_COI, MONDAY, period="2026-11"))
    rollup = await model.rollup("ccb-thuan-thanh", "2026-11")
    monthly = next(s for s in rollup["slots"] if s["kind"] == "monthly")
    assert (monthly["expected"], monthly["received"]) == (2, 1)
    # A quarter does not count the months' reports: only its own and the weeks'.
    quarter = await model.rollup("ccb-thuan-thanh", "2026-Q4")
    assert {s["kind"] for s in quarter["slots"]} == {"weekly", "quarterly"}


async def test_children_break_the_parent_down_and_add_up_to_it(model: Model):
    await model.feed(model.weekly(DONG_COI), model.weekly(TRAM_LO),
                     model.weekly(NGHI_AN, at=datetime(2026, 11, 26, 16, tzinfo=VN)))
    rollup = await model.rollup("ccb-tinh")
    children = {c["unit_id"]: c for c in rollup["children"]}
    assert (children["ccb-thuan-thanh"]["received"], children["ccb-tram-lo"]["received"]) == (1, 2)
    assert children["ccb-tram-lo"]["late"] == 1
    assert children["ccb-thuan-thanh"]["missing"] == 1
    assert sum(c["expected"] for c in children.values()) == rollup["expected"] == 4
    assert sum(c["received"] for c in children.values()) == rollup["received"] == 3
    assert rollup["completeness"] == 0.75


async def test_counts_are_summed_and_the_worst_assessment_wins(model: Model):
    await model.feed(
        model.weekly(DONG_COI, counts={"complaints_received": 2, "meetings": 1}),
        model.weekly(DONG_HO, assessment="attention", counts={"complaints_received": 3}),
        model.weekly(TRAM_LO, assessment="complex"))
    ward = await model.rollup("ccb-thuan-thanh")
    assert ward["counts"] == {"complaints_received": 5, "meetings": 1}
    assert ward["assessment"] == "attention"
    assert (await model.rollup("ccb-tinh"))["assessment"] == "complex"
    # A branch whose own area reported: counts come from its report's row, not a tally.
    branch = await model.rollup("ch-thuan-thanh-dong-coi")
    assert (branch["counts"], branch["received"]) == ({"complaints_received": 2,
                                                        "meetings": 1}, 1)


async def test_no_report_means_no_assessment(model: Model):
    rollup = await model.rollup()
    assert (rollup["assessment"], rollup["reports"], rollup["received"]) == (None, 0, 0)
    assert rollup["completeness"] == 0.0


async def test_missing_names_the_cadre_and_the_area_latest_deadline_first(model: Model):
    await model.feed(model.weekly(DONG_COI, period="2026-W47",
                                  at=datetime(2026, 11, 19, 9, tzinfo=VN)))
    rollup = await model.rollup("ccb-thuan-thanh", "2026-11")
    first = rollup["missing"][0]
    assert (first["kind"], first["period"]) == ("weekly", "2026-W48")
    assert {(m["cadre_id"], m["area_id"]) for m in rollup["missing"]} == {
        (DONG_COI[1], DONG_COI[0]), (DONG_HO[1], DONG_HO[0])}
    assert first["cadre_name"] and first["area_name"] and first["unit_id"]
    assert rollup["missing_count"] == rollup["expected"] - rollup["received"] == 9
    assert not rollup["missing_truncated"]


async def test_a_month_lists_each_missing_cadre_once_with_the_periods_they_missed(model: Model):
    # Given Đông Côi's cadre sent only week 47 of November and Đông Hồ's sent nothing
    await model.feed(model.weekly(DONG_COI, period="2026-W47",
                                  at=datetime(2026, 11, 19, 9, tzinfo=VN)))
    # When the ward's November is rolled up
    rollup = await model.rollup("ccb-thuan-thanh", "2026-11")
    # Then each (cadre, area) is listed once, with every period missed, latest first
    periods = {(m["cadre_id"], m["area_id"]): m["periods"] for m in rollup["missing"]}
    assert periods == {
        (DONG_COI[1], DONG_COI[0]): ["2026-W48", "2026-11", "2026-W46", "2026-W45"],
        (DONG_HO[1], DONG_HO[0]): ["2026-W48", "2026-W47", "2026-11", "2026-W46", "2026-W45"]}
    assert len(rollup["missing"]) == rollup["missing_entries"] == 2
    # and the count of reports not received stays exact
    assert rollup["missing_count"] == 9 and not rollup["missing_truncated"]


async def test_the_missing_list_caps_people_and_keeps_each_listed_persons_periods(
        model: Model, monkeypatch: pytest.MonkeyPatch):
    # Given a cap of one entry and two cadres who sent nothing in November
    monkeypatch.setattr(rollup_module, "MISSING_LIMIT", 1)
    # When the ward's November is rolled up
    rollup = await model.rollup("ccb-thuan-thanh", "2026-11")
    # Then one person is listed with all five periods, and the exact counts stand beside
    [entry] = rollup["missing"]
    assert len(entry["periods"]) == 5
    assert (rollup["missing_entries"], rollup["missing_count"]) == (2, 10)
    assert rollup["missing_truncated"]


async def test_hot_spots_carry_their_provenance(model: Model):
    spot = {"category": "land", "severity": "urgent", "title": "Tụ tập đông người"}
    envelope = model.weekly(TRAM_LO, hot_spots=[spot])
    await model.feed(envelope)
    [hot] = (await model.rollup())["hot_spots"]
    assert hot["report_id"] == str(envelope.aggregate_id)
    assert (hot["area_id"], hot["cadre_id"], hot["severity"]) == (TRAM_LO[0], TRAM_LO[1],
                                                                  "urgent")
    assert hot["area_name"] == "Khu phố Trạm Lộ"
    assert (await model.rollup("ccb-thuan-thanh"))["hot_spots"] == []


async def test_an_unknown_unit_is_not_found_and_a_bad_period_is_refused(model: Model):
    with pytest.raises(NotFound):
        await model.rollup("ccb-nowhere")
    with pytest.raises(InvalidInput):
        await model.rollup("ccb-tinh", "2026-W60")
    service = RollupService(model.reader, lambda: model.projector.network,
                            FixedClock(THURSDAY))

    async def answer(request: dict[str, str]) -> Any:
        # On behalf of the admin, who reads the whole network (the aggregator checks it).
        request = {"account_id": str(account_id("admin")), **request}
        return await respond(ROLLUPS_GET, json.dumps(request).encode(),
                             partial(rollup_reply, service))

    missing = await answer({"unit_id": "ccb-nowhere", "period": "2026-W48"})
    assert missing["status"] == 404
    # As over HTTP: a unit the account may not read, unknown ones included, is not_found.
    assert missing["body"]["error"]["code"] == "not_found"
    bad = await answer({"unit_id": "ccb-tinh", "period": "next week"})
    assert (bad["status"], bad["body"]["error"]["field"]) == (422, "period")
    fmt = await answer({"unit_id": "ccb-tinh", "period": "2026-W48", "format": "pdf"})
    assert (fmt["status"], fmt["body"]["error"]["field"]) == (422, "format")
    nameless = await answer({"unit_id": "", "period": "2026-W48"})
    assert (nameless["status"], nameless["body"]["error"]["field"]) == (422, "unit_id")
    ok = await answer({"unit_id": "ccb-tinh", "period": "2026-W48"})
    assert ok["status"] == 200 and ok["body"]["unit_id"] == "ccb-tinh"


async def test_a_demo_month_expects_the_cadres_weekly_reports_and_no_monthly_one(tmp_path: Path):
    # Given the demo plan: cadres owe weekly and urgent reports; the units compile the rest
    model = Model(tmp_path / "aggregator.sqlite")
    await model.open()
    try:
        await model.feed(*model.writer.plan(load_plan(DEMO)))
        # When a cadre sends a monthly report anyway and the town's November is rolled up
        await model.feed(model.writer.report("monthly", "ho-dong-coi", "cb-ho-dong-coi", MONDAY,
                                             period="2026-11"))
        rollup = await model.rollup("ccb-thi-xa", "2026-11")
    finally:
        await model.close()
    # Then nobody is expected to have sent a monthly report, and the one sent is an extra
    monthly = next(s for s in rollup["slots"] if s["kind"] == "monthly")
    assert (monthly["expected"], monthly["received"]) == (0, 0)
    assert [r["kind"] for r in rollup["extra"]] == ["monthly"]
    weekly = [s for s in rollup["slots"] if s["kind"] == "weekly"]
    # 13 assignments are active in November (the 14th ended in 2025)
    assert weekly and all(s["expected"] == 13 for s in weekly)
    assert rollup["expected"] == 13 * len(weekly)
    assert not [m for m in rollup["missing"] if m["kind"] == "monthly"]
