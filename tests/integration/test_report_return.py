"""Returning a cadre's report for correction and correcting it, over HTTP, with a real
nats-server and real SQLite files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.clock import FixedClock
from services.common.natsd import EmbeddedNats
from services.common.plan_file import load_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.conftest import THURSDAY_MORNING, TWO_LEVEL, System, running_system
from tests.integration.test_intake import stream_messages

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
OTHER_CADRE = "cb.thuanthanh.dongho"
AREA = "thuan-thanh-dong-coi"
OWN_LEADER = "ld.ch.thuanthanh.dongcoi"
WARD_LEADER = "ld.ccb.thuanthanh"
SIBLING_LEADER = "ld.ccb.tramlo"


def weekly(**over: object) -> dict[str, object]:
    body: dict[str, object] = {"kind": "weekly", "area_id": AREA, "period": "2026-W48",
                               "assessment": "stable", "summary": "Ổn định",
                               "counts": {"hoi_vien": 10}}
    body.update(over)
    return body


async def submitted(system: System) -> dict[str, Any]:
    resp = await system.submit(await system.token(CADRE), "w48", **weekly())
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def give_back(system: System, who: str, report_id: str, key: str = "ret-1",
                    **body: object) -> httpx.Response:
    return await system.client.post(
        f"/api/v1/reports/{report_id}/return", json=body or {"reason": "Thiếu số liệu"},
        headers={"Authorization": f"Bearer {await system.token(who)}", "Idempotency-Key": key})


async def revise(system: System, who: str, report_id: str, key: str = "fix-1",
                 **over: object) -> httpx.Response:
    return await system.client.post(
        f"/api/v1/reports/{report_id}/revisions", json=weekly(**over),
        headers={"Authorization": f"Bearer {await system.token(who)}", "Idempotency-Key": key})


async def read(system: System, who: str, report_id: str) -> dict[str, Any]:
    resp = await system.client.get(f"/api/v1/reports/{report_id}", headers={
        "Authorization": f"Bearer {await system.token(who)}"})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_a_leader_above_returns_the_report_and_the_cadre_sees_why(system: System):
    report = await submitted(system)
    resp = await give_back(system, WARD_LEADER, report["report_id"])
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"report_id": report["report_id"], "status": "returned",
                           "revision": 1}
    seen = await read(system, CADRE, report["report_id"])
    assert (seen["status"], seen["return_reason"]) == ("returned", "Thiếu số liệu")
    returned = [m for m in await stream_messages(system)
                if m["envelope"]["type"] == "ReportReturned"]
    assert len(returned) == 1
    data = returned[0]["envelope"]["data"]
    assert returned[0]["subject"].endswith(f"{AREA}.ReportReturned")
    assert (data["kind"], data["period"], data["area_id"], data["unit_id"], data["revision"],
            data["reason"], data["returned_by_unit"]) == (
        "weekly", "2026-W48", AREA, "ch-thuan-thanh-dong-coi", 1, "Thiếu số liệu",
        "ccb-thuan-thanh")


async def test_the_cadres_own_unit_leader_may_return_it(system: System):
    report = await submitted(system)
    assert (await give_back(system, OWN_LEADER, report["report_id"])).status_code == 200


async def test_a_sibling_units_leader_finds_no_such_report(system: System):
    report = await submitted(system)
    resp = await give_back(system, SIBLING_LEADER, report["report_id"])
    assert resp.status_code == 404
    assert (await read(system, CADRE, report["report_id"]))["status"] == "submitted"


async def test_the_cadre_cannot_return_their_own_report(system: System):
    report = await submitted(system)
    resp = await give_back(system, CADRE, report["report_id"])
    assert resp.status_code == 403 and resp.json()["error"]["message_vi"]


async def test_a_return_needs_a_reason_and_changes_nothing_without_one(system: System):
    report = await submitted(system)
    before = system.position()
    resp = await give_back(system, WARD_LEADER, report["report_id"], reason="   ")
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "reason"
    resp = await give_back(system, WARD_LEADER, report["report_id"], reason="x" * 1001)
    assert resp.status_code == 422
    assert system.position() == before


async def test_a_return_is_idempotent_by_key_and_by_state(system: System):
    report = await submitted(system)
    rid = report["report_id"]
    first = await give_back(system, WARD_LEADER, rid)
    after = system.position()
    again = await give_back(system, WARD_LEADER, rid)
    assert (again.status_code, again.json()) == (200, first.json())
    other_body = await give_back(system, WARD_LEADER, rid, reason="Lý do khác")
    assert (other_body.status_code, other_body.json()["error"]["code"]) == (
        409, "idempotency_conflict")
    same_reason_new_key = await give_back(system, OWN_LEADER, rid, key="ret-2")
    assert (same_reason_new_key.status_code, same_reason_new_key.json()["status"]) == (
        200, "returned")
    another_reason = await give_back(system, OWN_LEADER, rid, key="ret-3", reason="Sai")
    assert (another_reason.status_code, another_reason.json()["error"]["code"]) == (
        409, "not_returnable")
    assert system.position() == after


async def test_the_cadre_corrects_a_returned_report_as_revision_two(system: System):
    report = await submitted(system)
    rid = report["report_id"]
    await give_back(system, WARD_LEADER, rid)
    resp = await revise(system, CADRE, rid, assessment="attention", summary="Đã bổ sung")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["report_id"], body["revision"], body["status"], body["summary"]) == (
        rid, 2, "corrected", "Đã bổ sung")
    assert body["submitted_at"] == report["submitted_at"] and body["published"] is True
    after = system.position()
    replay = await revise(system, CADRE, rid, assessment="attention", summary="Đã bổ sung")
    assert (replay.status_code, replay.json()["revision"]) == (200, 2)
    conflict = await revise(system, CADRE, rid, summary="Khác")
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (
        409, "idempotency_conflict")
    not_returned = await revise(system, CADRE, rid, key="fix-2", summary="Lần nữa")
    assert (not_returned.status_code, not_returned.json()["error"]["code"]) == (
        409, "not_returned")
    assert system.position() == after
    seen = await read(system, WARD_LEADER, rid)
    assert [h["action"] for h in seen["history"]] == ["submitted", "returned", "corrected"]
    corrected = [m for m in await stream_messages(system)
                 if m["envelope"]["type"] == "ReportCorrected"]
    assert len(corrected) == 1
    data = corrected[0]["envelope"]["data"]
    assert (data["revision"], data["first_submitted_at"], data["content"]["summary"]) == (
        2, report["submitted_at"], "Đã bổ sung")


async def test_a_report_not_returned_cannot_be_corrected(system: System):
    report = await submitted(system)
    before = system.position()
    resp = await revise(system, CADRE, report["report_id"], summary="Sửa")
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "not_returned")
    assert system.position() == before


async def test_only_the_author_corrects_and_the_report_keeps_its_kind_period_and_area(
        system: System):
    report = await submitted(system)
    rid = report["report_id"]
    await give_back(system, WARD_LEADER, rid)
    before = system.position()
    stranger = await revise(system, OTHER_CADRE, rid, area_id="thuan-thanh-dong-ho")
    assert stranger.status_code == 404
    leader = await revise(system, WARD_LEADER, rid)
    assert leader.status_code == 403
    moved = await revise(system, CADRE, rid, period="2026-W47")
    assert (moved.status_code, moved.json()["error"]["field"]) == (422, "period")
    assert system.position() == before


async def test_a_correction_with_a_hot_spot_opens_its_case(system: System):
    report = await submitted(system)
    rid = report["report_id"]
    await give_back(system, WARD_LEADER, rid)
    resp = await revise(system, CADRE, rid, hot_spots=[
        {"category": "land", "severity": "high", "title": "Tranh chấp đất"}])
    assert resp.status_code == 201, resp.text
    [number] = resp.json()["case_ids"]
    case = await system.client.get(f"/api/v1/cases/{number}", headers={
        "Authorization": f"Bearer {await system.token(WARD_LEADER)}"})
    assert case.status_code == 200 and rid in case.json()["report_ids"]


async def test_a_returned_report_stands_returned_in_the_obligations_then_received(
        system: System):
    report = await submitted(system)
    rid = report["report_id"]

    async def standing() -> str:
        resp = await system.client.get(
            "/api/v1/obligations", params={"period": "2026-W48", "unit_id": "ccb-thuan-thanh"},
            headers={"Authorization": f"Bearer {await system.token(WARD_LEADER)}"})
        assert resp.status_code == 200, resp.text
        [mine] = [o for o in resp.json()["obligations"] if o.get("area_id") == AREA]
        return str(mine["status"])

    assert await standing() == "received"
    await give_back(system, WARD_LEADER, rid)
    assert await standing() == "returned"
    await revise(system, CADRE, rid, summary="Đã sửa")
    assert await standing() == "received"


async def test_a_copy_recipient_reads_the_report_but_may_not_return_it(
        tmp_path: Path, nats_server: EmbeddedNats):
    # Trạm Lộ's association receives Thuận Thành's copies (nơi nhận): it reads, it does not act.
    # Loaded as a demo, as the other tests' network is (conftest.load_two_level).
    plan_text = "demo = true\n" + TWO_LEVEL.read_text().replace(
        'id = "ccb-thuan-thanh"', 'id = "ccb-thuan-thanh"\ncopies_to = ["ccb-tram-lo"]')
    plan_path = tmp_path / "copies.toml"
    plan_path.write_text(plan_text)
    home = tmp_path / "home"
    store = open_store(home)
    apply_plan(store, Directory(store), load_plan(plan_path), FixedClock(THURSDAY_MORNING))
    store.close()
    async with running_system(home, nats_server.url) as system:
        report = await submitted(system)
        assert (await read(system, SIBLING_LEADER, report["report_id"]))["status"] == "submitted"
        resp = await give_back(system, SIBLING_LEADER, report["report_id"])
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "not_above"


async def test_the_aggregator_counts_the_corrected_revision_once_and_a_replay_agrees(
        system: System):
    from services.aggregator.replay import replay
    from tests.integration.test_aggregator import caught_up, rollup, start, stream_last

    aggregator = start(system)
    await aggregator.start()
    try:
        token = await system.token(CADRE)
        resp = await system.submit(token, "w48", **weekly(
            assessment="complex", counts={"hoi_vien": 10, "sai": 1}, hot_spots=[
                {"category": "land", "severity": "high", "title": "Tranh chấp đất"}]))
        rid = resp.json()["report_id"]
        await caught_up(system, aggregator)
        assert (await rollup(system, "ccb-thuan-thanh"))["counts"] == {"hoi_vien": 10, "sai": 1}
        await give_back(system, WARD_LEADER, rid)
        fixed = await revise(system, CADRE, rid, assessment="attention",
                             counts={"hoi_vien": 12})
        assert fixed.status_code == 201, fixed.text
        await caught_up(system, aggregator)
        queries = [("ccb-thuan-thanh", "2026-W48"), ("ch-thuan-thanh-dong-coi", "2026-W48"),
                   ("ccb-tinh", "2026-11")]
        live = [await rollup(system, unit, period) for unit, period in queries]
        for body in live:
            assert (body["reports"], body["received"], body["on_time"], body["duplicates"],
                    body["counts"], body["assessment"], body["hot_spot_count"]) == (
                1, 1, 1, 0, {"hoi_vien": 12}, "attention", 0)
        position = await replay(aggregator.path.parent, system.nats_url, lambda *_: None)
        assert position == await stream_last(system)
        assert [await rollup(system, unit, period) for unit, period in queries] == live
    finally:
        await aggregator.stop()
