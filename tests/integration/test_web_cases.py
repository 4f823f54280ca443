"""Leaders, auditors and admins on the web: scope, case timelines, actions, the plan."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.conftest import PASSWORD, TWO_LEVEL, System
from tests.integration.web_client import Browser, browser, signed_in_own

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
LEADER = "ld.ccb.thuanthanh"
OTHER_LEADER = "ld.ccb.tramlo"
AUDITOR_PLAN = TWO_LEVEL.read_text() + (
    '\n[[accounts]]\nusername = "kiemtra"\npassword = "demo-2026"\nrole = "auditor"\n'
    'name = "Kiểm tra viên"\n')


async def signed_in(system: System, username: str) -> Browser:
    b = browser(system)
    resp = await b.login(username)
    assert resp.status_code == 303, resp.text
    return b


async def open_case(system: System) -> str:
    token = await system.token(CADRE)
    resp = await system.submit(token, "u-1", kind="urgent", area_id="thuan-thanh-dong-coi",
                               assessment="complex", summary="Phát sinh vụ việc",
                               hot_spots=[{"category": "land", "severity": "high",
                                           "title": "Tranh chấp đất khu Đồng Nội"}])
    assert resp.status_code == 201, resp.text
    return str(resp.json()["case_ids"][0])


async def test_leader_sees_this_weeks_reports_and_the_silent_branch(system: System):
    token = await system.token(CADRE)
    await system.submit(token, "w", kind="weekly", area_id="thuan-thanh-dong-coi",
                        period="2026-W48", assessment="stable", summary="Ổn định")
    leader = await signed_in(system, LEADER)
    page = await leader.get("/lanh-dao")
    await leader.aclose()
    assert page.status_code == 200
    assert "Hội Cựu chiến binh phường Thuận Thành" in page.text
    assert "Chi hội Cựu chiến binh khu phố Đông Côi</th><td class=\"num\">1/1" in page.text
    assert "Phạm Văn Toàn (Khu phố Đông Hồ)" in page.text  # silent, named
    # The ports are the real aggregator and notifier clients, but neither service runs here.
    assert 'data-hook="rollup"' not in page.text
    # No notifier answers: the page says so and still works.
    assert "Dịch vụ cảnh báo chưa sẵn sàng" in page.text


async def test_a_leader_of_another_unit_cannot_open_the_case_page(system: System):
    number = await open_case(system)
    own = await signed_in(system, LEADER)
    other = await signed_in(system, OTHER_LEADER)
    try:
        assert (await own.get(f"/vu-viec/{number}")).status_code == 200
        refused = await other.get(f"/vu-viec/{number}")
        assert refused.status_code == 404 and "Không tìm thấy vụ việc" in refused.text
        listed = await other.get("/vu-viec")
        assert number not in listed.text
        acted = await other.post_form(f"/vu-viec/{number}/ghi-chu", "/vu-viec", text="x",
                                      idempotency_key="n1")
        assert acted.status_code == 404
    finally:
        await own.aclose()
        await other.aclose()


async def test_leader_changes_a_case_status_with_a_reason(system: System):
    number = await open_case(system)
    leader = await signed_in(system, LEADER)
    try:
        no_reason = await leader.post_form(f"/vu-viec/{number}/trang-thai", f"/vu-viec/{number}",
                                           status="verifying", reason=" ")
        assert no_reason.status_code == 422 and "không được để trống" in no_reason.text
        moved = await leader.post_form(f"/vu-viec/{number}/trang-thai", f"/vu-viec/{number}",
                                       status="verifying", reason="Giao tổ hoà giải xác minh")
        assert moved.status_code == 303
        page = await leader.get(moved.headers["location"])
        assert "Đã lưu." in page.text and "Giao tổ hoà giải xác minh" in page.text
        assert "Đang xác minh" in page.text
    finally:
        await leader.aclose()


async def test_admin_adds_an_auditor_who_reads_a_timeline_as_of_an_instant(system: System):
    number = await open_case(system)
    system.clock.advance(timedelta(hours=1))
    leader = await signed_in(system, LEADER)
    await leader.post_form(f"/vu-viec/{number}/trang-thai", f"/vu-viec/{number}",
                           status="handling", reason="Bắt đầu xử lý")
    await leader.aclose()
    admin = await signed_in(system, "admin")
    applied = await admin.post_form("/quan-tri/ke-hoach", "/quan-tri", plan_text=AUDITOR_PLAN,
                                    confirm="1")
    await admin.aclose()
    assert applied.status_code == 200 and "Tài khoản mới: 1" in applied.text
    auditor = await signed_in_own(system, "kiemtra", PASSWORD)  # the plan set it
    try:
        found = await auditor.get(f"/vu-viec?q={number.lower()}")
        assert found.status_code == 303 and found.headers["location"] == f"/vu-viec/{number}"
        timeline = await auditor.get(f"/vu-viec/{number}")
        assert "Mở vụ việc" in timeline.text and "Bắt đầu xử lý" in timeline.text
        assert "Xử lý vụ việc" not in timeline.text  # auditors read only
        as_of = await auditor.get(f"/vu-viec/{number}?as_of=2026-11-26T10:30:00")
        assert "Trạng thái tại thời điểm 10:30:00 ngày 26/11/2026" in as_of.text
        assert "Tiếp nhận" in as_of.text and "Bắt đầu xử lý" not in as_of.text
        before = await auditor.get(f"/vu-viec/{number}?as_of=2026-11-26T09:00")
        assert before.status_code == 404 and "chưa có vào thời điểm" in before.text
        bad = await auditor.get(f"/vu-viec/{number}?as_of=hôm-qua")
        assert bad.status_code == 422 and "Thời điểm không hợp lệ" in bad.text
        again = await auditor.get(f"/vu-viec/{number}")
        assert "kiemtra: xem diễn biến" in again.text  # every read is on the record
    finally:
        await auditor.aclose()


async def test_a_broken_plan_names_the_field_and_changes_nothing(system: System):
    admin = await signed_in(system, "admin")
    position = system.position()
    try:
        broken = AUDITOR_PLAN.replace('role = "auditor"', 'role = "boss"')
        resp = await admin.post_form("/quan-tri/ke-hoach", "/quan-tri", plan_text=broken,
                                     confirm="1")
        unconfirmed = await admin.post_form("/quan-tri/ke-hoach", "/quan-tri",
                                            plan_text=AUDITOR_PLAN)
        page = await admin.get("/quan-tri")
    finally:
        await admin.aclose()
    assert resp.status_code == 422 and "chỗ sai: <code>accounts[13].role</code>" in resp.text
    assert unconfirmed.status_code == 422 and "Cần đánh dấu xác nhận" in unconfirmed.text
    assert system.position() == position
    assert "ld.ccb.thuanthanh" in page.text and "Quản trị hệ thống" in page.text


async def test_only_admins_load_plans(system: System):
    leader = await signed_in(system, LEADER)
    try:
        resp = await leader.get("/quan-tri")
    finally:
        await leader.aclose()
    assert resp.status_code == 403 and "quản trị" in resp.text
