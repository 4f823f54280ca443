"""A cadre on a 360 px phone signs in and sends the weekly report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Served, no_horizontal_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CADRE = "cb.thuanthanh.dongcoi"


def test_cadre_sends_the_weekly_report_from_a_phone(phone: Any, served: Served) -> None:
    # Given a cadre signed in on a phone
    sign_in(phone, CADRE)
    expect(phone.get_by_role("heading", name="Địa bàn phụ trách")).to_be_visible()
    # the server says "còn 4 giờ 0 phút"; the script then ticks on from the server's clock
    expect(phone.locator("[data-countdown]")).to_have_text(
        re.compile(r"còn 3 giờ 59 phút \d{1,2} giây"))
    no_horizontal_scroll(phone)
    shot(phone, "cadre-home")

    # When they open the weekly report, mark it, write a line and add a hot spot
    phone.get_by_role("link", name="Báo cáo tuần").last.click()
    expect(phone.get_by_role("heading", name="Báo cáo tuần", exact=True)).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "cadre-weekly-form")
    phone.get_by_text("Cần chú ý", exact=True).click()
    phone.get_by_label("Tóm tắt tình hình").fill("Nhân dân phấn khởi; có một vụ tranh chấp đất.")
    phone.get_by_text("Điểm nóng, vụ việc", exact=True).click()
    phone.get_by_label("Tiêu đề ngắn gọn").fill("Tranh chấp ranh giới đất khu Đồng Nội")
    phone.get_by_label("Lĩnh vực").select_option("land")
    phone.get_by_label("Mức độ").select_option("high")
    no_horizontal_scroll(phone)
    shot(phone, "cadre-weekly-filled")
    phone.get_by_role("button", name="Gửi báo cáo").click()

    # Then the report number and the new case number are shown
    expect(phone.get_by_role("heading", name="Đã gửi báo cáo")).to_be_visible()
    expect(phone.locator(".sent")).to_contain_text("VV-2026-000001")
    number = phone.locator(".sent strong.uuid").inner_text()
    assert re.fullmatch(r"[0-9a-f-]{36}", number)
    no_horizontal_scroll(phone)
    shot(phone, "cadre-weekly-sent")
    token = served.token(CADRE)
    stored = served.api("GET", f"/api/v1/reports/{number}", token).json()
    assert stored["assessment"] == "attention" and stored["case_ids"] == ["VV-2026-000001"]
    assert stored["device_time"] is not None  # pressed-send time, kept for offline drafts

    # And the home page says this week is done
    phone.get_by_role("link", name="Về trang chủ").click()
    expect(phone.locator(".due")).to_contain_text("Đã gửi đủ báo cáo tuần này")


def test_the_one_tap_stable_report_works_with_the_keyboard_alone(phone: Any,
                                                                  served: Served) -> None:
    # Given the sign-in page, used without a mouse
    phone.goto("/dang-nhap")
    # autofocus lands after the load event: typing earlier loses the first keys
    expect(phone.get_by_label("Tên đăng nhập")).to_be_focused()
    phone.keyboard.type(CADRE)
    phone.keyboard.press("Tab")
    expect(phone.get_by_label("Mật khẩu", exact=True)).to_be_focused()
    phone.keyboard.type("demo-2026")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Địa bàn phụ trách")).to_be_visible()
    # When Tab reaches the weekly report link, then the one-tap button
    for name, reached in (("Báo cáo tuần", "Gửi nhanh"),
                          ("Ổn định, không có gì mới", "Đã gửi báo cáo")):
        for _ in range(40):
            phone.keyboard.press("Tab")
            if phone.evaluate("document.activeElement.textContent.trim()") == name:
                break
        else:
            pytest.fail(f"Tab never reaches {name!r}")
        phone.keyboard.press("Enter")
        expect(phone.get_by_role("heading", name=reached)).to_be_visible()
    # Then the report is sent
    expect(phone.locator(".document")).to_contain_text("Ổn định, không có gì mới")


def test_a_report_written_offline_is_sent_once_when_the_network_is_back(
    phone: Any, served: Served,
) -> None:
    # Given a cadre with the weekly form open, who then loses the network
    sign_in(phone, CADRE)
    phone.goto("/bao-cao/tuan?area=thuan-thanh-dong-coi")
    key = phone.locator('input[name="idempotency_key"]').input_value()
    phone.context.set_offline(True)
    phone.get_by_text("Phức tạp", exact=True).click()
    phone.get_by_label("Tóm tắt tình hình").fill("Mất sóng, gửi lại khi có mạng.")
    # When they press send
    phone.get_by_role("button", name="Gửi báo cáo").click()
    # Then the report is kept on the phone, with its idempotency key
    expect(phone.locator("#draft-status")).to_contain_text("Chưa có mạng")
    shot(phone, "cadre-offline-kept")
    kept = phone.evaluate("localStorage.getItem('tinhhinh:draft:weekly:thuan-thanh-dong-coi:"
                          "2026-W48')")
    assert key in kept and '"pending":true' in kept
    # And once the network is back it is sent by itself, exactly once
    phone.context.set_offline(False)
    expect(phone.get_by_role("heading", name="Đã gửi báo cáo")).to_be_visible()
    assert phone.evaluate("localStorage.length") == 0
    reports = served.api("GET", "/api/v1/reports?period=2026-W48",
                         served.token(CADRE)).json()["reports"]
    assert [r["summary"] for r in reports] == ["Mất sóng, gửi lại khi có mạng."]
    shot(phone, "cadre-offline-sent")


def test_a_refused_report_shows_the_reason_in_place(phone: Any, served: Served) -> None:
    sign_in(phone, CADRE)
    phone.goto("/bao-cao/tuan?area=thuan-thanh-dong-coi")
    phone.get_by_text("Ổn định", exact=True).click()
    phone.get_by_label("Tóm tắt tình hình").fill("   ")
    phone.get_by_role("button", name="Gửi báo cáo").click()
    expect(phone.get_by_role("alert")).to_contain_text("Tóm tắt tình hình: không được để trống")
    expect(phone.get_by_label("Tóm tắt tình hình")).to_have_attribute("aria-invalid", "true")
    no_horizontal_scroll(phone)
    shot(phone, "cadre-weekly-refused")
