"""Cases through the intake: opened by hot spots, acted on by leaders, replayed by auditors."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest

from tests.integration.conftest import System

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"
LAND = {"category": "land", "severity": "high", "title": "Tranh chấp đất đai khu Đồng Nội",
        "description": "Hai hộ tranh chấp ranh giới, có dấu hiệu gây mất trật tự."}


def urgent(**over: object) -> dict[str, object]:
    body: dict[str, object] = {"kind": "urgent", "area_id": AREA, "assessment": "complex",
                               "summary": "Phát sinh vụ việc phức tạp", "hot_spots": [LAND]}
    body.update(over)
    return body


def auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


async def open_case(system: System) -> str:
    cadre = await system.token(CADRE)
    resp = await system.submit(cadre, "u-1", **urgent())
    assert resp.status_code == 201, resp.text
    (number,) = resp.json()["case_ids"]
    return str(number)


async def test_a_hot_spot_opens_a_case_and_a_later_report_joins_it(system: System):
    number = await open_case(system)
    assert number == "VV-2026-000001"
    cadre = await system.token(CADRE)
    joined = await system.submit(cadre, "u-2", **urgent(hot_spots=[{**LAND, "case_id": number,
                                                                     "severity": "urgent"}]))
    assert joined.json()["case_ids"] == [number]
    leader = await system.token("ld.ccb.thuanthanh")
    case = (await system.client.get(f"/api/v1/cases/{number}", headers=auth(leader))).json()
    assert case["severity"] == "urgent" and len(case["report_ids"]) == 2
    replay = await system.submit(cadre, "u-1", **urgent())
    assert replay.status_code == 200 and replay.json()["case_ids"] == [number]


async def test_a_hot_spot_naming_an_unknown_case_is_refused(system: System):
    cadre = await system.token(CADRE)
    position = system.position()
    resp = await system.submit(cadre, "u-3", **urgent(hot_spots=[{**LAND,
                                                                  "case_id": "VV-2026-009999"}]))
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "hot_spots[0].case_id"
    assert system.position() == position


async def test_leader_of_the_subtree_acts_and_a_reason_is_required(system: System):
    number = await open_case(system)
    leader = await system.token("ld.ccb.thuanthanh")
    no_reason = await system.client.post(f"/api/v1/cases/{number}/status",
                                         json={"status": "verifying"}, headers=auth(leader, "s1"))
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    moved = await system.client.post(
        f"/api/v1/cases/{number}/status", headers=auth(leader, "s1"),
        json={"status": "verifying", "reason": "Giao tổ hoà giải xác minh"})
    assert moved.status_code == 200 and moved.json()["status"] == "verifying"
    again = await system.client.post(
        f"/api/v1/cases/{number}/status", headers=auth(leader, "s1"),
        json={"status": "verifying", "reason": "Giao tổ hoà giải xác minh"})
    assert again.status_code == 200
    history = (await system.client.get(f"/api/v1/cases/{number}/history",
                                       headers=auth(leader))).json()
    assert [e["type"] for e in history["events"]] == ["Opened", "StatusChanged"]


async def test_sibling_leader_neither_sees_nor_acts(system: System):
    number = await open_case(system)
    sibling = await system.token("ld.ccb.tramlo")
    assert (await system.client.get(f"/api/v1/cases/{number}",
                                    headers=auth(sibling))).status_code == 404
    resp = await system.client.post(f"/api/v1/cases/{number}/notes", json={"text": "x"},
                                    headers=auth(sibling, "n1"))
    assert resp.status_code == 404
    listed = await system.client.get("/api/v1/cases", headers=auth(sibling))
    assert listed.json()["cases"] == []


async def test_auditor_reads_and_the_read_is_recorded_but_cannot_write(system: System):
    number = await open_case(system)
    auditor_token = await _auditor(system)
    position = system.position()
    resp = await system.client.get(f"/api/v1/cases/{number}/history",
                                   headers=auth(auditor_token))
    assert resp.status_code == 200
    assert system.position() == position + 1  # the read itself, in the global order
    again = (await system.client.get(f"/api/v1/cases/{number}/history",
                                     headers=auth(auditor_token))).json()
    assert len(again["reads"]) == 1 and again["reads"][0]["what"] == "history"
    refused = await system.client.post(f"/api/v1/cases/{number}/notes", json={"text": "x"},
                                       headers=auth(auditor_token, "n1"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only_role"


async def test_as_of_rebuilds_the_state_at_an_instant_from_the_events(system: System):
    number = await open_case(system)
    opened_at = system.clock.now()
    leader = await system.token("ld.ccb.thuanthanh")
    for i, status in enumerate(("verifying", "handling", "resolved"), start=1):
        system.clock.advance(timedelta(hours=1))
        resp = await system.client.post(f"/api/v1/cases/{number}/status",
                                         headers=auth(leader, f"k{i}"),
                                         json={"status": status, "reason": f"bước {i}"})
        assert resp.status_code == 200
    def as_of(at: datetime) -> str:
        return at.isoformat().replace("+", "%2B")
    seen = {}
    for minutes, expected in ((0, "received"), (90, "verifying"), (150, "handling"),
                              (181, "resolved")):
        at = opened_at + timedelta(minutes=minutes)
        resp = await system.client.get(f"/api/v1/cases/{number}/history?as_of={as_of(at)}",
                                       headers=auth(leader))
        seen[minutes] = resp.json()["state"]["status"]
        assert seen[minutes] == expected, seen
    before = opened_at - timedelta(minutes=1)
    resp = await system.client.get(f"/api/v1/cases/{number}/history?as_of={as_of(before)}",
                                   headers=auth(leader))
    assert resp.status_code == 404


async def test_history_as_html_timeline(system: System):
    number = await open_case(system)
    leader = await system.token("ld.ccb.thuanthanh")
    resp = await system.client.get(f"/api/v1/cases/{number}/history",
                                   headers={**auth(leader), "Accept": "text/html"})
    assert resp.status_code == 200 and "text/html" in resp.headers["content-type"]
    assert f"Diễn biến vụ việc {number}" in resp.text
    assert "Tranh chấp đất đai khu Đồng Nội" in resp.text


async def _auditor(system: System) -> str:
    """The two-level plan has no auditor; add one the way an admin would: a plan change."""
    from services.common.plan_file import parse_plan
    from services.intake.network_plan import apply_plan
    from tests.integration.conftest import TWO_LEVEL

    text = TWO_LEVEL.read_text() + (
        '\n[[accounts]]\nusername = "auditor"\npassword = "demo-2026"\nrole = "auditor"\n'
        'name = "Kiểm tra viên"\n')
    apply_plan(system.runtime.store, system.runtime.directory, parse_plan(text), system.clock)
    # The plan is not a demo: the auditor changes the password it set before anything else.
    return await system.own_token("auditor", "demo-2026")


async def test_concurrent_reports_that_open_cases_are_all_taken_with_distinct_numbers(
        system: System):
    # Given four cadres on four villages, each sending urgent reports with one hot spot
    cadres = {"cb.thuanthanh.dongcoi": "thuan-thanh-dong-coi",
              "cb.thuanthanh.dongho": "thuan-thanh-dong-ho",
              "cb.tramlo.tramlo": "tram-lo-tram-lo",
              "cb.tramlo.nghian": "tram-lo-nghi-an"}
    tokens = {name: await system.token(name) for name in cadres}

    async def send(name: str, n: int) -> httpx.Response:
        return await system.submit(tokens[name], f"burst-{n}",
                                   **urgent(area_id=cadres[name]))

    # When they all submit at once, several rounds of twelve at a time
    answers = []
    for round_ in range(4):
        answers += await asyncio.gather(*(send(name, round_ * 3 + i)
                                          for name in cadres for i in range(3)))

    # Then every one is stored (no 409 busy), and the case numbers run without gap or repeat
    assert [r.status_code for r in answers] == [201] * len(answers), \
        [r.text for r in answers if r.status_code != 201][:3]
    numbers = sorted(n for r in answers for n in r.json()["case_ids"])
    assert numbers == [f"VV-2026-{i:06d}" for i in range(1, len(answers) + 1)]
