"""An admin on a phone issues a cadre's account and assigns an area; the cadre changes the
temporary password with the keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Served, no_horizontal_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CADRE_ID = "cb-tram-lo-nghi-an"  # Lương Thị Mai, in Nghi An since 2025 by the plan
USERNAME = "cb.tramlo.nghian.2"
NEW_AREA = "tram-lo-tram-lo"
NEW_PASSWORD = "hoa-sen-tram-lo-2026"
TODAY = "2026-11-26"  # the served clock's Thursday, Vietnam time


def tab_to(page: Any, text: str) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    pytest.fail(f"Tab never reaches {text!r}")


def test_admin_issues_an_account_and_its_cadre_changes_the_password(phone: Any,
                                                                     served: Served) -> None:
    # Given the admin signed in on a phone
    sign_in(phone, "admin")
    expect(phone.get_by_role("heading", name="Quản trị mạng lưới")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "admin-home")

    # When they issue a second account for a cadre of the plan
    phone.get_by_role("link", name="Cấp tài khoản").click()
    expect(phone.get_by_role("heading", name="Cấp tài khoản mới")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "admin-account-new")
    phone.get_by_label("Tên đăng nhập").fill(USERNAME)
    phone.get_by_label("Vai trò").select_option("cadre")
    phone.get_by_label("Cán bộ (chỉ với tài khoản cán bộ)").select_option(CADRE_ID)
    phone.get_by_role("button", name="Cấp tài khoản").click()

    # Then the temporary password is shown once
    expect(phone.get_by_role("heading", name="Đã cấp tài khoản")).to_be_visible()
    expect(phone.get_by_role("status")).to_contain_text("Mật khẩu này chỉ hiện một lần.")
    temporary = phone.locator("#mat-khau").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary)
    no_horizontal_scroll(phone)
    shot(phone, "admin-account-issued")

    # When they assign the cadre a second area from today
    phone.get_by_role("link", name="Phân công").click()
    expect(phone.get_by_role("heading", name="Phân công cán bộ phụ trách địa bàn")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "admin-assignments")
    phone.get_by_label("Cán bộ", exact=True).select_option(CADRE_ID)
    phone.get_by_label("Địa bàn", exact=True).select_option(NEW_AREA)
    phone.get_by_label("Từ ngày", exact=True).fill(TODAY)
    phone.get_by_role("button", name="Thêm phân công").click()

    # Then the assignment is listed, in force
    expect(phone.get_by_role("status")).to_contain_text("Đã thêm phân công.")
    added = phone.locator(f"#cb-{CADRE_ID} li", has_text="Khu phố Trạm Lộ")
    expect(added).to_contain_text("từ ngày 26/11/2026, không thời hạn · đang hiệu lực")
    no_horizontal_scroll(phone)
    shot(phone, "admin-assignment-added")
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone.get_by_text("Đồng chí đã đăng xuất.")).to_be_visible()

    # When the cadre signs in with the temporary password, the admin knows it: they are
    # taken straight to the password page, which says why, and nothing else opens
    sign_in(phone, USERNAME, temporary)
    expect(phone.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    expect(phone.get_by_role("status")).to_contain_text(
        "Đồng chí cần đổi mật khẩu do người khác cấp")
    no_horizontal_scroll(phone)
    shot(phone, "password-form")
    phone.goto("/can-bo")
    expect(phone.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()

    # When they fill it, keyboard only
    for label, text in (("Mật khẩu hiện tại", temporary), ("Mật khẩu mới", NEW_PASSWORD),
                        ("Nhập lại mật khẩu mới", NEW_PASSWORD)):
        if label != "Mật khẩu hiện tại":
            phone.keyboard.press("Tab")
        expect(phone.get_by_label(label, exact=True)).to_be_focused()
        phone.keyboard.type(text)
    phone.keyboard.press("Enter")

    # Then the change is confirmed, and they are still signed in
    expect(phone.get_by_role("status")).to_contain_text("Đã đổi mật khẩu.")
    expect(phone.get_by_role("button", name="Đăng xuất")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "password-changed")

    # And their home opens, both areas theirs
    phone.get_by_role("link", name="Về trang chủ").click()
    expect(phone.get_by_role("heading", name="Địa bàn phụ trách")).to_be_visible()
    expect(phone.get_by_role("heading", name="Khu phố Trạm Lộ")).to_be_visible()
    expect(phone.get_by_role("heading", name="Khu phố Nghi An")).to_be_visible()

    # And after signing out only the new password lets them in
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone.get_by_text("Đồng chí đã đăng xuất.")).to_be_visible()
    sign_in(phone, USERNAME, temporary)
    expect(phone.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu")
    sign_in(phone, USERNAME, NEW_PASSWORD)
    expect(phone.get_by_role("heading", name="Địa bàn phụ trách")).to_be_visible()
