"""What the API takes in (issue 13): open periods by the plan's one rule, a sane
device_time, CRLF as LF."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.conftest import System

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"


def weekly(**over: object) -> dict[str, object]:
    body: dict[str, object] = {"kind": "weekly", "area_id": AREA, "period": "2026-W48",
                               "assessment": "stable", "summary": "Tình hình ổn định"}
    body.update(over)
    return body


async def test_a_far_future_week_is_refused_naming_the_period(system: System):
    token = await system.token(CADRE)
    position = system.position()
    resp = await system.submit(token, "f-1", **weekly(period="2030-W01"))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["field"] == "period"
    assert resp.json()["error"]["code"] == "period_not_open"
    assert system.position() == position


async def test_next_weeks_report_opens_after_this_weeks_deadline(system: System):
    token = await system.token(CADRE)
    early = await system.submit(token, "n-1", **weekly(period="2026-W49"))
    assert early.status_code == 422 and early.json()["error"]["field"] == "period"
    system.clock.advance(timedelta(days=1))  # Friday: this week's Thursday deadline passed
    token = await system.token(CADRE)
    friday = await system.submit(token, "n-2", **weekly(period="2026-W49"))
    assert friday.status_code == 201, friday.text


@pytest.mark.parametrize("device_time", ["9999-12-31T23:59:59-10:00",
                                         "2026-11-27T10:00:00+07:00",  # a day ahead
                                         "2025-01-01T10:00:00+07:00"])  # long before
async def test_a_device_time_far_from_the_servers_is_refused(system: System, device_time: str):
    token = await system.token(CADRE)
    resp = await system.submit(token, "d-1", **weekly(device_time=device_time))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["field"] == "device_time"


async def test_a_device_time_a_little_off_is_kept(system: System):
    token = await system.token(CADRE)
    resp = await system.submit(token, "d-2", **weekly(device_time="2026-11-26T10:03:00+07:00"))
    assert resp.status_code == 201, resp.text


async def test_crlf_is_taken_as_lf_and_hashes_alike(system: System):
    token = await system.token(CADRE)
    crlf = await system.submit(token, "c-1", **weekly(summary="Dòng một\r\nDòng hai"))
    assert crlf.status_code == 201, crlf.text
    assert crlf.json()["summary"] == "Dòng một\nDòng hai"
    again = await system.submit(token, "c-1", **weekly(summary="Dòng một\nDòng hai"))
    assert again.status_code == 200
