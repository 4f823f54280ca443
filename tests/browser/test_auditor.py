"""An admin issues an auditor's account by plan; the auditor replays a case's timeline."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Served, no_horizontal_scroll, shot, sign_in
from tests.integration.conftest import PASSWORD, TWO_LEVEL

pytestmark = [pytest.mark.browser, pytest.mark.integration]

AUDITOR = ('\n[[accounts]]\nusername = "kiemtra"\npassword = "demo-2026"\nrole = "auditor"\n'
           'name = "Kiểm tra viên"\n')


def open_case(served: Served) -> str:
    resp = served.api("POST", "/api/v1/reports", served.token("cb.thuanthanh.dongcoi"),
                      headers={"Idempotency-Key": "browser-u1"},
                      json={"kind": "urgent", "area_id": "thuan-thanh-dong-coi",
                            "assessment": "complex", "summary": "Phát sinh vụ việc phức tạp",
                            "hot_spots": [{"category": "land", "severity": "urgent",
                                           "title": "Tụ tập đông người tại khu Đồng Nội"}]})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["case_ids"][0])


def add_auditor(page: Any) -> None:
    """On the signed-in admin's home: the plan again, with the auditor "kiemtra" added."""
    page.get_by_label("Hoặc dán nội dung kế hoạch").fill(TWO_LEVEL.read_text() + AUDITOR)
    page.get_by_label("Tôi xác nhận đây là kế hoạch đầy đủ của toàn mạng lưới").check()
    page.get_by_role("button", name="Áp dụng kế hoạch").click()
    expect(page.get_by_role("status")).to_contain_text("Tài khoản mới: 1")


def test_auditor_opens_a_case_timeline(phone: Any, chromium: Any, served: Served) -> None:
    number = open_case(served)
    # Given an admin who adds an auditor's account by pasting the plan
    sign_in(phone, "admin")
    add_auditor(phone)
    no_horizontal_scroll(phone)
    shot(phone, "admin-plan-applied")
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone.get_by_text("Đồng chí đã đăng xuất.")).to_be_visible()

    # And the auditor, whose password the plan set, is made to change it at first sign-in
    sign_in(phone, "kiemtra")
    expect(phone.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    expect(phone.get_by_role("status")).to_contain_text(
        "Đồng chí cần đổi mật khẩu do người khác cấp")
    no_horizontal_scroll(phone)
    shot(phone, "auditor-must-change-password")
    phone.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    phone.get_by_label("Mật khẩu mới", exact=True).fill("kiem-tra-rieng-2026")
    phone.get_by_label("Nhập lại mật khẩu mới").fill("kiem-tra-rieng-2026")
    phone.get_by_role("button", name="Đổi mật khẩu").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã đổi mật khẩu.")
    phone.get_by_role("link", name="Về trang chủ").click()

    # When the auditor searches the case by its number
    expect(phone.get_by_role("heading", name="Kiểm tra, giám sát")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "auditor-home")
    phone.get_by_label("Số vụ việc (ví dụ VV-2026-000123)").fill(number)
    phone.get_by_label("Số vụ việc (ví dụ VV-2026-000123)").press("Enter")

    # Then the timeline opens, its first event the case's opening
    expect(phone.get_by_role("heading", name=f"Vụ việc {number}")).to_be_visible()
    expect(phone.locator("ol.timeline li").first).to_contain_text("Mở vụ việc")
    no_horizontal_scroll(phone)
    shot(phone, "auditor-timeline")

    # And the as-of view rebuilds the state at an earlier instant
    phone.get_by_label("Xem trạng thái tại thời điểm (giờ Việt Nam)").fill("2026-11-26T10:00:00")
    phone.get_by_role("button", name="Xem", exact=True).click()
    expect(phone.get_by_role("status")).to_contain_text("Trạng thái tại thời điểm 10:00:00")
    no_horizontal_scroll(phone)
    shot(phone, "auditor-as-of")
