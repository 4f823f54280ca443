"""GET /api/v1/obligations against the real intake: what is owed in the caller's scope, from
the one obligation engine, each item's status judged at a chosen instant; and the intake's
own on-time check from the same engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from services.common.natsd import EmbeddedNats
from services.common.plan_file import parse_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.conftest import THURSDAY_MORNING, TWO_LEVEL, VN, System, running_system

pytestmark = pytest.mark.integration

# The two-level network with obligations: cadres owe the weekly report on Thursday at 14:00,
# those under Trạm Lộ at 12:00; the ward associations owe their own weekly at 16:00.
OBLIGATIONS = """
[[obligations]]
kinds = ["weekly"]
owner = "cadre"
due = "thursday 14:00"

[[obligations]]
kinds = ["weekly"]
owner = "cadre"
units = ["ccb-tram-lo"]
due = "thursday 12:00"

[[obligations]]
kinds = ["urgent"]
owner = "cadre"

[[obligations]]
kinds = ["weekly"]
owner = "unit"
level = "ward"
due = "thursday 16:00"
"""
W48 = "2026-W48"


def thursday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 26, hour, minute, tzinfo=VN)


def oblige(home: Path, obligations: str) -> None:
    """Load the two-level plan again with these obligations, as `tinhhinh network load`."""
    store = open_store(home)
    plan = parse_plan(TWO_LEVEL.read_text(encoding="utf-8") + obligations)
    apply_plan(store, Directory(store), plan, FixedClock(THURSDAY_MORNING))
    store.close()


@pytest.fixture
async def system(home: Path, nats_server: EmbeddedNats) -> AsyncIterator[System]:
    oblige(home, OBLIGATIONS)
    async with running_system(home, nats_server.url) as running:
        yield running


async def owed(system: System, username: str, **params: str) -> Any:
    token = await system.token(username)
    resp = await system.client.get("/api/v1/obligations", params=params,
                                   headers={"Authorization": f"Bearer {token}"})
    return resp


def owners(body: Any) -> set[tuple[str, str]]:
    return {(o["owner"]["type"], o["owner"]["id"]) for o in body["obligations"]}


def statuses(body: Any) -> dict[str, str]:
    return {o["owner"]["id"]: o["status"] for o in body["obligations"]}


async def weekly(system: System, username: str, area_id: str, key: str) -> Any:
    token = await system.token(username)
    resp = await system.submit(token, key, kind="weekly", area_id=area_id, period=W48,
                               assessment="stable", summary="Tình hình ổn định.")
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_a_leader_sees_the_items_of_their_subtree_and_never_a_siblings(system: System):
    # When the Thuận Thành leader asks what is owed this week
    resp = await owed(system, "ld.ccb.thuanthanh", period=W48)

    # Then their cadres' weekly reports and their unit's own, nothing of Trạm Lộ
    assert resp.status_code == 200, resp.text
    assert owners(resp.json()) == {("cadre", "cb-thuan-thanh-dong-coi"),
                                   ("cadre", "cb-thuan-thanh-dong-ho"),
                                   ("unit", "ccb-thuan-thanh")}
    item = next(o for o in resp.json()["obligations"] if o["owner"]["type"] == "unit")
    assert item == {"kind": "weekly", "period": W48,
                    "owner": {"type": "unit", "id": "ccb-thuan-thanh"}, "area_id": None,
                    "unit_id": "ccb-thuan-thanh", "deadline": item["deadline"],
                    "status": "pending", "received_at": None}
    assert datetime.fromisoformat(item["deadline"]) == thursday(16)
    # and naming the sibling unit finds nothing to show them
    refused = await owed(system, "ld.ccb.thuanthanh", unit_id="ccb-tram-lo")
    assert refused.status_code == 404
    assert refused.json()["error"]["field"] == "unit_id"


async def test_the_province_leader_narrows_to_one_unit(system: System):
    # When the province leader asks for Trạm Lộ's subtree only
    resp = await owed(system, "ld.ccb.tinh", period=W48, unit_id="ccb-tram-lo")

    # Then Trạm Lộ's cadres, due at Trạm Lộ's 12:00, and its association
    assert owners(resp.json()) == {("cadre", "cb-tram-lo-tram-lo"), ("cadre", "cb-tram-lo-nghi-an"),
                                   ("unit", "ccb-tram-lo")}
    dues = {o["owner"]["id"]: datetime.fromisoformat(o["deadline"])
            for o in resp.json()["obligations"]}
    assert dues["cb-tram-lo-tram-lo"] == thursday(12)


async def test_a_cadre_sees_their_own_items_only(system: System):
    # When a cadre asks what is open now (Thursday 10:00)
    resp = await owed(system, "cb.thuanthanh.dongcoi")

    # Then this week's weekly report for their area, nobody else's, no unit's
    assert resp.status_code == 200, resp.text
    [item] = resp.json()["obligations"]
    assert (item["owner"], item["area_id"], item["period"], item["status"]) == (
        {"type": "cadre", "id": "cb-thuan-thanh-dong-coi"}, "thuan-thanh-dong-coi", W48,
        "pending")


async def test_each_item_stands_received_late_overdue_or_pending_at_the_instant_asked(
        system: System):
    # Given Đông Côi reports at 10:00, Đông Hồ at 15:00 (after 14:00), Trạm Lộ never
    await weekly(system, "cb.thuanthanh.dongcoi", "thuan-thanh-dong-coi", "dong-coi-w48")
    system.clock.set(thursday(15))
    await weekly(system, "cb.thuanthanh.dongho", "thuan-thanh-dong-ho", "dong-ho-w48")

    # When the admin asks at 15:00 how the week stands
    now = await owed(system, "admin", period=W48)

    # Then
    assert statuses(now.json()) == {
        "cb-thuan-thanh-dong-coi": "received", "cb-thuan-thanh-dong-ho": "late",
        "cb-tram-lo-tram-lo": "overdue", "cb-tram-lo-nghi-an": "overdue",
        "ccb-thuan-thanh": "pending", "ccb-tram-lo": "pending"}
    # and what was open at 11:00 stood otherwise then: only Đông Côi had reported
    earlier = await owed(system, "admin", at=thursday(11).isoformat())
    assert statuses(earlier.json()) == {
        "cb-thuan-thanh-dong-coi": "received", "cb-thuan-thanh-dong-ho": "pending",
        "cb-tram-lo-tram-lo": "pending", "cb-tram-lo-nghi-an": "pending",
        "ccb-thuan-thanh": "pending", "ccb-tram-lo": "pending"}
    # and the association's own report stays owed after its deadline: no unit reports yet
    system.clock.set(thursday(17))
    later = await owed(system, "admin", period=W48)
    assert statuses(later.json())["ccb-thuan-thanh"] == "overdue"


async def test_a_report_after_the_areas_own_deadline_is_late_though_the_schedule_says_14(
        system: System):
    # Given Trạm Lộ's cadres owe the weekly report at 12:00 (the schedule says 14:00)
    system.clock.set(thursday(13))

    # When a Trạm Lộ cadre reports at 13:00
    report = await weekly(system, "cb.tramlo.tramlo", "tram-lo-tram-lo", "tram-lo-w48")

    # Then it is late, against 12:00
    assert report["on_time"] is False
    assert datetime.fromisoformat(report["deadline"]) == thursday(12)


async def test_the_answer_comes_in_pages_with_the_total(system: System):
    # When the admin asks for two items at a time
    first = (await owed(system, "admin", period=W48, limit="2")).json()
    second = (await owed(system, "admin", period=W48, limit="2",
                         cursor=first["next_cursor"])).json()

    # Then the pages follow on, in deadline order, and say how many there are in all
    assert first["total"] == second["total"] == 6
    assert len(first["obligations"]) == len(second["obligations"]) == 2
    assert not owners(first) & owners(second)
    dues = [o["deadline"] for o in first["obligations"] + second["obligations"]]
    assert [datetime.fromisoformat(d) for d in dues] == sorted(
        datetime.fromisoformat(d) for d in dues)


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"period": "2026-W99"}, 422, "period"),
    ({"at": "thursday"}, 422, "at"),
    ({"at": "2026-11-26T10:00:00"}, 422, "at"),
    ({"unit_id": "no-such-unit"}, 404, "unit_id"),
])
async def test_a_bad_question_is_refused_naming_the_field(
        system: System, params: dict[str, str], status: int, field: str):
    resp = await owed(system, "admin", **params)

    assert resp.status_code == status
    error = resp.json()["error"]
    assert error["field"] == field
    assert error["message"] and error["message_vi"]


async def test_an_outsider_without_a_token_is_refused(system: System):
    resp = await system.client.get("/api/v1/obligations")

    assert resp.status_code == 401


async def test_a_report_of_a_kind_the_area_does_not_owe_has_no_deadline_to_miss(system: System):
    # Given these cadres owe weekly and urgent reports only
    token = await system.token("cb.thuanthanh.dongcoi")

    # When one sends a monthly report all the same
    resp = await system.submit(token, "dong-coi-11", kind="monthly",
                               area_id="thuan-thanh-dong-coi", period="2026-11",
                               assessment="stable", summary="Tình hình ổn định.")

    # Then it is taken, with no deadline, and not late
    assert resp.status_code == 201, resp.text
    assert (resp.json()["deadline"], resp.json()["on_time"]) == (None, True)
