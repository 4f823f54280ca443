"""Cadres report through the web forms: weekly, one-tap stable, urgent, pre-filled, refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from tests.integration.conftest import VN, System
from tests.integration.web_client import Browser, browser, csrf_of, key_of

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"
WEEKLY = f"/bao-cao/tuan?area={AREA}"
REPORT_URL = re.compile(r"^/bao-cao/([0-9a-f-]{36})\?moi=1$")


@pytest.fixture
async def cadre(system: System) -> AsyncIterator[Browser]:
    b = browser(system)
    await b.login(CADRE)
    try:
        yield b
    finally:
        await b.aclose()


def weekly(**over: str) -> dict[str, str]:
    fields = {"area_id": AREA, "period": "2026-W48", "assessment": "attention",
              "summary": "Nhân dân phấn khởi, có một vụ tranh chấp đất."}
    fields.update(over)
    return fields


async def test_home_shows_my_area_and_the_countdown_to_thursday_14_00(cadre: Browser):
    page = await cadre.get("/can-bo")
    assert "Khu phố Đông Côi" in page.text
    assert "14:00 thứ Năm, 26/11/2026" in page.text
    assert "còn 4 giờ 0 phút" in page.text
    assert 'data-deadline="2026-11-26T07:00:00+00:00"' in page.text


async def test_cadre_submits_the_weekly_form_and_sees_the_report_number(
    system: System, cadre: Browser,
):
    resp = await cadre.post_form("/bao-cao/tuan", WEEKLY, **weekly(**{
        "hot_spots[0].title": "Tranh chấp ranh giới đất", "hot_spots[0].category": "land",
        "hot_spots[0].severity": "high", "counts.complaints_received": "2",
        "sections.opinions": "Mong sớm làm đường liên thôn"}))
    assert resp.status_code == 303, resp.text
    match = REPORT_URL.match(resp.headers["location"])
    assert match
    receipt = await cadre.get(resp.headers["location"])
    assert "Đã gửi báo cáo" in receipt.text and match[1] in receipt.text
    assert "VV-2026-000001" in receipt.text
    account = system.runtime.directory.account_by_username(CADRE)
    assert account is not None
    stored = system.runtime.service.get_report(account, match[1])
    assert stored["period"] == "2026-W48" and stored["on_time"] is True
    assert stored["counts"] == {"complaints_received": 2}
    assert stored["sections"] == {"opinions": "Mong sớm làm đường liên thôn"}
    assert stored["hot_spots"][0]["category"] == "land"
    home = await cadre.get("/can-bo")
    assert "Đã gửi đủ báo cáo tuần này" in home.text


async def test_the_same_form_sent_twice_is_one_report(system: System, cadre: Browser):
    page = await cadre.get(WEEKLY)
    fields = {"csrf_token": csrf_of(page.text), "idempotency_key": key_of(page.text),
              **weekly()}
    first = await cadre.client.post("/bao-cao/tuan", data=fields)
    position = system.position()
    again = await cadre.client.post("/bao-cao/tuan", data=fields)
    assert first.headers["location"] == again.headers["location"]
    assert system.position() == position


async def test_one_tap_stable_sends_a_stable_report(system: System, cadre: Browser):
    resp = await cadre.post_form("/bao-cao/tuan", WEEKLY, area_id=AREA, period="2026-W48",
                                 intent="quick_stable", summary="")
    assert resp.status_code == 303
    report_id = REPORT_URL.match(resp.headers["location"])[1]  # type: ignore[index]
    account = system.runtime.directory.account_by_username(CADRE)
    assert account is not None
    stored = system.runtime.service.get_report(account, report_id)
    assert (stored["assessment"], stored["summary"]) == ("stable", "Ổn định, không có gì mới")


async def test_next_weeks_form_is_prefilled_and_carries_open_cases(
    system: System, cadre: Browser,
):
    await cadre.post_form("/bao-cao/tuan", WEEKLY, **weekly(**{
        "hot_spots[0].title": "Tranh chấp ranh giới đất", "hot_spots[0].category": "land",
        "hot_spots[0].severity": "high"}))
    system.clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=VN))
    await cadre.login(CADRE)  # a week later the session has long expired
    page = await cadre.get(WEEKLY)
    assert "Đã điền sẵn theo báo cáo tuần 2026-W48" in page.text
    assert 'name="period" value="2026-W49"' in page.text
    assert "Nhân dân phấn khởi, có một vụ tranh chấp đất." in page.text
    assert 'value="VV-2026-000001"' in page.text and 'value="attention" checked' in page.text
    resp = await cadre.post_form("/bao-cao/tuan", WEEKLY, **weekly(**{
        "period": "2026-W49", "hot_spots[0].case_id": "VV-2026-000001",
        "hot_spots[0].title": "Tranh chấp ranh giới đất", "hot_spots[0].category": "land",
        "hot_spots[0].severity": "urgent"}))
    receipt = await cadre.get(resp.headers["location"])
    assert "VV-2026-000001" in receipt.text and "VV-2026-000002" not in receipt.text


async def test_a_bad_count_is_named_in_vietnamese_and_records_nothing(
    system: System, cadre: Browser,
):
    position = system.position()
    resp = await cadre.post_form("/bao-cao/tuan", WEEKLY,
                                 **weekly(**{"counts.households_visited": "mười"}))
    assert resp.status_code == 422
    assert "Hộ gia đình đã nắm tình hình: phải là số nguyên không âm" in resp.text
    assert 'aria-invalid="true" aria-describedby="counts-households_visited-err"' in resp.text
    assert "Nhân dân phấn khởi" in resp.text  # what was typed is kept
    assert system.position() == position


async def test_adding_a_hot_spot_without_javascript_keeps_the_form(cadre: Browser):
    resp = await cadre.post_form("/bao-cao/tuan", WEEKLY, **weekly(**{
        "intent": "add_hot_spot", "hot_spots[0].title": "Vụ thứ nhất"}))
    assert resp.status_code == 200
    assert 'value="Vụ thứ nhất"' in resp.text and 'name="hot_spots[1].title"' in resp.text


async def test_a_late_week_can_be_sent_afterwards_but_not_a_future_one(cadre: Browser):
    home = await cadre.get("/can-bo")
    assert "Tuần 47/2026" in home.text and "period=2026-W47" in home.text
    late = await cadre.post_form("/bao-cao/tuan", f"{WEEKLY}&period=2026-W47",
                                 **weekly(period="2026-W47"))
    assert late.status_code == 303
    future = await cadre.get(f"{WEEKLY}&period=2026-W50")
    assert future.status_code == 422 and "Chưa đến tuần 2026-W50" in future.text


async def test_cadre_sends_an_urgent_report(cadre: Browser):
    form = await cadre.get("/bao-cao/dot-xuat")
    assert '<label for="area_id">Địa bàn</label>' in form.text
    resp = await cadre.post_form("/bao-cao/dot-xuat", "/bao-cao/dot-xuat", **{
        "area_id": AREA, "assessment": "complex", "summary": "Tụ tập đông người",
        "hot_spots[0].title": "Tụ tập đông người tại nhà văn hoá",
        "hot_spots[0].category": "security", "hot_spots[0].severity": "urgent",
        "device_time": "2026-11-26T09:58:00+07:00"})
    receipt = await cadre.get(resp.headers["location"])
    assert "BÁO CÁO ĐỘT XUẤT" in receipt.text and "VV-2026-000001" in receipt.text


async def test_a_cadre_cannot_report_for_an_area_not_assigned(system: System, cadre: Browser):
    resp = await cadre.get("/bao-cao/tuan?area=tram-lo-tram-lo")
    assert resp.status_code == 403 and "không được phân công" in resp.text
    position = system.position()
    posted = await cadre.post_form("/bao-cao/dot-xuat", "/bao-cao/dot-xuat",
                                   area_id="tram-lo-tram-lo", assessment="stable", summary="x")
    assert posted.status_code == 403 and "không được phân công" in posted.text
    assert system.position() == position


async def test_a_two_line_summary_from_a_form_without_its_script_is_taken(
    system: System, cadre: Browser,
):
    # A browser with the script off posts a textarea's line ends as CRLF
    resp = await cadre.post_form("/bao-cao/tuan", WEEKLY,
                                 **weekly(summary="Dòng thứ nhất\r\nDòng thứ hai"))
    assert resp.status_code == 303, resp.text
    match = REPORT_URL.match(resp.headers["location"])
    assert match
    account = system.runtime.directory.account_by_username(CADRE)
    assert account is not None
    assert system.runtime.service.get_report(account, match[1])["summary"] == (
        "Dòng thứ nhất\nDòng thứ hai")
