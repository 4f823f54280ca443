"""A leader sees the week's reports, acts on a case, and acknowledges an alert when wired."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from services.common.notifier_client import NotifierClient
from tests.browser.conftest import Served, no_horizontal_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CADRE = "cb.thuanthanh.dongcoi"
LEADER = "ld.ccb.thuanthanh"
LAND = {"category": "land", "severity": "high", "title": "Tranh chấp ranh giới đất khu Đồng Nội",
        "description": "Hai hộ tranh chấp ranh giới, có dấu hiệu gây mất trật tự."}


def send_weekly(served: Served) -> dict[str, Any]:
    resp = served.api("POST", "/api/v1/reports", served.token(CADRE),
                      headers={"Idempotency-Key": "browser-w48"},
                      json={"kind": "weekly", "area_id": "thuan-thanh-dong-coi",
                            "period": "2026-W48", "assessment": "attention",
                            "summary": "Có một vụ tranh chấp đất cần theo dõi.",
                            "hot_spots": [LAND]})
    assert resp.status_code == 201, resp.text
    report: dict[str, Any] = resp.json()
    return report


def test_leader_sees_the_report_and_moves_its_case_on(phone: Any, served: Served) -> None:
    # Given a cadre's weekly report with a hot spot
    report = send_weekly(served)
    # When the ward association's leader signs in on a phone
    sign_in(phone, LEADER)
    # Then this week's reports name the branch that sent and the one still silent
    expect(phone.get_by_role("heading", name="Báo cáo tuần này theo đơn vị")).to_be_visible()
    expect(phone.locator(f'a[href="/bao-cao/{report["report_id"]}"]')).to_be_visible()
    branch = phone.get_by_role("row", name="Chi hội Cựu chiến binh khu phố Đông Côi")
    expect(branch).to_contain_text("1/1")
    expect(phone.get_by_text("Phạm Văn Toàn (Khu phố Đông Hồ)")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "leader-home")

    # When they open the case and move it to verification with a reason
    phone.get_by_role("link", name="VV-2026-000001").click()
    expect(phone.get_by_role("heading", name="Vụ việc VV-2026-000001")).to_be_visible()
    phone.get_by_label("Chuyển sang trạng thái").select_option("verifying")
    phone.get_by_label("Lý do").fill("Giao tổ hoà giải khu phố xác minh")
    phone.get_by_role("button", name="Chuyển trạng thái").click()
    # Then the timeline shows the change
    expect(phone.get_by_text("Đã lưu.")).to_be_visible()
    expect(phone.locator("ol.timeline")).to_contain_text("Giao tổ hoà giải khu phố xác minh")
    no_horizontal_scroll(phone)
    shot(phone, "leader-case")


def test_leader_acknowledges_an_alert(phone: Any, served: Served) -> None:
    assert isinstance(served.runtime.notifier, NotifierClient)  # the real one, over NATS
    send_weekly(served)
    sign_in(phone, LEADER)
    inbox = phone.locator("#canh-bao")
    for _ in range(20):
        if inbox.locator(".group-title").count():
            break
        phone.wait_for_timeout(500)
        phone.reload()
    # The home lists groups; a group opens on its alerts, each acknowledged alone
    inbox.locator(".group-title").first.click()
    phone.locator("#danh-sach").get_by_role("button", name="Xác nhận đã tiếp nhận").first.click()
    expect(phone.get_by_text("Đã xác nhận tiếp nhận cảnh báo.")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "leader-alert-acknowledged")
