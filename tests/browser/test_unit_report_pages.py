"""A unit's report up the line on a phone (seed 002): the town association's leader drafts
the weekly summary due Thursday 13:30, edits and sends it; Ban Dân vận Thị ủy's leader
finds it in the inbox and returns it with a reason; the drafter corrects and resends; the
parent reads revision 2."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll, shot, sign_in
from tests.integration.test_unit_reports import demo_store_file  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REASON = "Thiếu số liệu của xã Đình Tổ"


@pytest.fixture
def home(tmp_path: Path, demo_store_file: Path) -> Path:  # noqa: F811
    """The served site on the demo network (overrides the two-level home)."""
    target = tmp_path / "home"
    target.mkdir(exist_ok=True)
    shutil.copy(demo_store_file, target / "events.sqlite")
    return target


def switch(page: Any, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, username)


def test_the_town_drafts_sends_the_parent_returns_and_the_town_resends(phone: Any) -> None:
    # Given the town association's leader on a phone, at their unit's reports
    sign_in(phone, "ld.ccb.thixa")
    phone.get_by_role("link", name="Báo cáo đơn vị").click()
    expect(phone.get_by_role("heading", name="Soạn báo cáo")).to_be_visible()
    # the weekly summary is owed with its 13:30 deadline
    expect(phone.locator("ul.owed")).to_contain_text("Báo cáo tuần 2026-W48 · hạn 13:30")
    no_horizontal_scroll(phone)

    # When they compose it, prefilled with a signer, and save the draft
    phone.get_by_role("link", name="Soạn báo cáo tuần").click()
    expect(phone.get_by_label("Họ tên người ký")).not_to_have_value("")
    phone.get_by_label("Tóm tắt tình hình").fill("Tình hình cơ bản ổn định.")
    phone.get_by_label("Kết quả hoạt động của đơn vị").fill("Giao ban với 4 Hội cơ sở.")
    phone.get_by_label("Dự báo tình hình").fill("Dự báo ổn định.")
    phone.get_by_label("Đề xuất, kiến nghị", exact=True).fill("Đề nghị hỗ trợ kinh phí.")
    phone.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Lưu dự thảo").click()
    # Then the preview is the official document, not yet numbered
    doc = phone.locator("article.official")
    expect(doc.locator(".number")).to_have_text("Số: …/BC-CCB")
    expect(doc).to_contain_text("Giao ban với 4 Hội cơ sở.")

    # When they edit it and send it, confirming
    phone.get_by_role("link", name="Sửa nội dung").click()
    phone.get_by_label("Dự báo tình hình").fill("Dự báo tình hình ổn định, cần theo dõi đất đai.")
    phone.get_by_role("button", name="Lưu dự thảo").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã lưu bản chỉnh sửa")
    phone.get_by_label("Tôi đã kiểm tra nội dung và đồng ý gửi").check()
    phone.get_by_role("button", name="Gửi báo cáo").click()
    # Then it has its number and goes to the parent and the copies
    expect(doc.locator(".number")).to_have_text("Số: 1/BC-CCB")
    expect(doc.locator(".recipients")).to_contain_text(
        "Ban Dân vận Thị ủy Thuận Thành (để báo cáo);")
    expect(doc).to_contain_text("cần theo dõi đất đai")
    expect(phone.get_by_role("link", name="Tải về (.docx)")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "unit-report-sent-phone")
    report_url = phone.url.split("?")[0]

    # When the parent's leader opens the inbox and returns it with a reason
    switch(phone, "ld.bdv.thiuy")
    expect(phone.locator("#don-vi-bao-cao")).to_contain_text("Số 1/BC-CCB")
    phone.goto("/lanh-dao/bao-cao-don-vi")
    inbox = phone.locator("ul.inbox")
    expect(inbox).to_contain_text("chưa xác nhận đã nhận")
    inbox.get_by_role("link").first.click()
    expect(doc.locator(".number")).to_have_text("Số: 1/BC-CCB")
    phone.get_by_label("Lý do trả lại để chỉnh sửa").fill(REASON)
    phone.get_by_role("button", name="Trả lại").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã trả lại")

    # Then the drafter sees the reason, corrects and resends
    switch(phone, "ld.ccb.thixa")
    phone.goto("/lanh-dao/bao-cao-don-vi")
    expect(phone.locator("ul.unit-reports")).to_contain_text(REASON)
    phone.goto(report_url)
    expect(phone.locator(".return-reason")).to_contain_text(REASON)
    phone.get_by_role("link", name="Sửa nội dung").click()
    phone.get_by_label("Tóm tắt tình hình").fill("Đã bổ sung số liệu của xã Đình Tổ.")
    phone.get_by_role("button", name="Lưu dự thảo").click()
    phone.get_by_label("Tôi đã kiểm tra nội dung và đồng ý gửi").check()
    phone.get_by_role("button", name="Gửi lại báo cáo").click()
    expect(phone.locator(".sub")).to_contain_text("Lần gửi 2")
    no_horizontal_scroll(phone)

    # And the parent reads the second sending (revision 3: the draft was edited once),
    # under the same number
    switch(phone, "ld.bdv.thiuy")
    phone.goto(report_url)
    expect(phone.locator(".sub")).to_contain_text("Lần gửi 2")
    expect(doc.locator(".number")).to_have_text("Số: 1/BC-CCB")
    expect(doc).to_contain_text("Đã bổ sung số liệu của xã Đình Tổ.")
    expect(phone.locator("ul.history")).to_contain_text(REASON)
    shot(phone, "unit-report-revision-2-phone")
