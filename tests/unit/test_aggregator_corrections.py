"""The projection counts the latest revision of a report once: a correction replaces what
the report contributed; a return changes no figure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.aggregator.excerpts import gravest_reports
from services.common.wire import Envelope
from tests.unit.test_aggregator_projection import DONG_COI, DONG_HO, THURSDAY, Model
from tests.unit.test_aggregator_projection import model as model  # the fixture

SPOT = {"category": "land", "severity": "high", "title": "Tranh chấp đất", "description": ""}
OTHER_SPOT = {"category": "security", "severity": "urgent", "title": "Tụ tập đông người",
              "description": "Khoảng 30 người"}


def original(model: Model) -> Envelope:
    return model.weekly(DONG_COI, assessment="complex", summary="Bản đầu",
                        counts={"hoi_vien": 2, "sai_ten": 1}, hot_spots=[SPOT])


def figures(rollup: dict[str, Any]) -> tuple[Any, ...]:
    return (rollup["reports"], rollup["received"], rollup["on_time"], rollup["duplicates"],
            rollup["assessment"], rollup["assessments"], rollup["counts"],
            rollup["hot_spot_count"], [h["title"] for h in rollup["hot_spots"]])


CORRECTED = (1, 1, 1, 0, "attention", {"stable": 0, "attention": 1, "complex": 0},
             {"hoi_vien": 5}, 1, ["Tụ tập đông người"])


async def test_a_correction_replaces_the_reports_figures_in_every_rollup(model: Model):
    submitted = original(model)
    await model.feed(submitted, model.weekly(DONG_HO))
    await model.feed(model.writer.returned(submitted), model.writer.corrected(
        submitted, assessment="attention", counts={"hoi_vien": 5}, hot_spots=[OTHER_SPOT],
        at=THURSDAY + timedelta(hours=8)))
    own = await model.rollup("ch-thuan-thanh-dong-coi")  # the report's own area: its row
    assert figures(own) == CORRECTED
    ward = await model.rollup("ccb-thuan-thanh")  # the areas above it: the tallies
    assert figures(ward)[4:] == ("attention", {"stable": 1, "attention": 1, "complex": 0},
                                 {"hoi_vien": 5}, 1, ["Tụ tập đông người"])
    assert figures(ward)[:4] == (2, 2, 2, 0)
    province = await model.rollup("ccb-tinh")
    assert province["counts"] == {"hoi_vien": 5} and province["hot_spot_count"] == 1
    assert model.rows("SELECT COUNT(*) FROM reports") == [(2,)]


async def test_a_return_changes_no_figure(model: Model):
    submitted = original(model)
    await model.feed(submitted)
    before = await model.rollup()
    await model.feed(model.writer.returned(submitted))
    after = await model.rollup()
    assert figures(after) == figures(before)


async def test_a_correction_delivered_again_counts_once(model: Model):
    submitted = original(model)
    await model.feed(submitted)
    fix = model.writer.corrected(submitted, assessment="attention", counts={"hoi_vien": 5},
                          hot_spots=[OTHER_SPOT])
    messages = model.messages([fix])
    await model.projector.apply(messages)
    await model.projector.apply(messages)  # a redelivery of the same stream sequence
    await model.feed(fix)  # published twice: the same event id under a new sequence
    assert figures(await model.rollup("ch-thuan-thanh-dong-coi")) == CORRECTED
    assert (await model.rollup("ccb-thuan-thanh"))["counts"] == {"hoi_vien": 5}


async def test_a_submission_and_its_corrections_in_one_batch_count_the_last(model: Model):
    submitted = original(model)
    await model.feed(submitted, model.writer.returned(submitted), model.writer.corrected(
        submitted, assessment="stable", counts={"hoi_vien": 9}),
        model.writer.returned(submitted, revision=2), model.writer.corrected(
        submitted, 3, assessment="attention", counts={"hoi_vien": 5}, hot_spots=[OTHER_SPOT]))
    assert figures(await model.rollup("ch-thuan-thanh-dong-coi")) == CORRECTED
    assert (await model.rollup("ccb-tinh"))["counts"] == {"hoi_vien": 5}


async def test_the_document_quotes_the_corrected_text(model: Model):
    submitted = original(model)
    await model.feed(submitted, model.writer.corrected(submitted, summary="Đã bổ sung số liệu",
                                                sections={"tinh_hinh": "Ổn định"}))
    [excerpt] = await gravest_reports(model.db, model.projector.network,
                                      "ccb-thuan-thanh", _week())
    assert (excerpt.summary, excerpt.sections) == ("Đã bổ sung số liệu",
                                                   {"tinh_hinh": "Ổn định"})


async def test_a_rebuild_from_the_same_envelopes_gives_the_same_rollup(model: Model):
    submitted = original(model)
    events = [submitted, model.writer.returned(submitted),
              model.writer.corrected(submitted, assessment="attention", counts={"hoi_vien": 5},
                              hot_spots=[OTHER_SPOT])]
    await model.feed(*events)
    live = await model.rollup()
    await model.projector.reset()
    model.seq = 0
    await model.feed(*model.writer.plan(_plan()), *events)
    assert figures(await model.rollup()) == figures(live)


def _week() -> Any:
    from domain.periods import Period
    return Period.parse("2026-W48")


def _plan() -> Any:
    from services.common.plan_file import load_plan
    from tests.unit.test_aggregator_projection import PLAN
    return load_plan(PLAN)


async def test_a_malformed_correction_is_dead_lettered_and_the_stream_moves_on(model: Model):
    submitted = original(model)
    await model.feed(submitted)
    fix = model.writer.corrected(submitted)
    broken = {k: v for k, v in fix.data.items() if k != "first_submitted_at"}
    bad = Envelope(fix.event_id, fix.position, fix.type, fix.aggregate_id,
                   fix.aggregate_version, fix.recorded_at, fix.area_path, broken)
    position = await model.feed(bad, model.weekly(DONG_HO))
    assert model.projector.position == position
    [(reason,)] = model.rows("SELECT reason FROM dead_letters")
    assert reason == "ReportCorrected data is malformed: lacks 'first_submitted_at'"
    assert (await model.rollup("ccb-thuan-thanh"))["received"] == 2
