"""The hooks other services plug into the web: rollups, alerts with acknowledge, audit status."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from services.intake.audit.verify import verify
from services.intake.web import web_deps
from tests.integration.conftest import System
from tests.integration.web_client import browser

pytestmark = pytest.mark.integration

LEADER = "ld.ccb.thuanthanh"


class FakeRollups:
    """Answers like the aggregator would, and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def __call__(self, unit_id: str, period: str) -> dict[str, Any] | None:
        self.asked.append((unit_id, period))
        if period == "2026-W40":
            return None
        return {"unit_id": unit_id, "period": period, "expected": 2, "received": 1,
                "on_time": 1, "late": 0,
                "missing": [{"cadre_id": "cb-thuan-thanh-dong-ho",
                             "area_id": "thuan-thanh-dong-ho"}],
                "counts": {"complaints_received": 3}, "assessment": "attention",
                "hot_spots": [{"title": "Tranh chấp đất", "severity": "high"}],
                "children": [
                    {"unit_id": "ch-thuan-thanh-dong-coi", "expected": 1, "received": 1,
                     "on_time": 1, "late": 0},
                    {"unit_id": "ch-thuan-thanh-dong-ho", "expected": 1, "received": 0,
                     "on_time": 0, "late": 0}]}


class FakeAlerts:
    def __init__(self) -> None:
        self.acked: list[tuple[UUID, str]] = []

    async def alerts(self, account_id: UUID) -> list[dict[str, Any]]:
        status = "acknowledged" if self.acked else "open"
        return [{"alert_id": "al-1", "kind": "overdue", "status": status,
                 "message_vi": "Khu phố Đông Hồ chưa gửi báo cáo tuần 2026-W48",
                 "area_id": "thuan-thanh-dong-ho", "period": "2026-W48",
                 "raised_at": "2026-11-26T07:00:00+00:00"}]

    async def ack(self, account_id: UUID, alert_id: str) -> None:
        self.acked.append((account_id, alert_id))


async def test_rollup_hook_fills_the_table_the_trend_and_the_document(system: System):
    leader = browser(system)
    rollups = FakeRollups()
    web_deps(leader.app).rollup = rollups
    await leader.login(LEADER)
    try:
        home = await leader.get("/lanh-dao")
        document = await leader.get("/lanh-dao/tong-hop?ky=2026-11")
        bad = await leader.get("/lanh-dao/tong-hop?ky=tuan-nay")
    finally:
        await leader.aclose()
    assert 'data-hook="rollup"' not in home.text and 'data-hook="trend"' not in home.text
    assert "Tổng hợp tuần 2026-W48" in home.text and "Đã gửi 1/2 (50%)" in home.text
    assert "Đơn vị chưa có báo cáo: Chi hội Cựu chiến binh khu phố Đông Hồ" in home.text
    assert 'aria-label="Xu hướng 12 tuần: 2026-W37 50%' in home.text
    assert "2026-W40 0%" in home.text  # a week without a rollup draws as empty
    weeks = [p for u, p in rollups.asked if u == "ccb-thuan-thanh"]
    assert "2026-W48" in weeks and "2026-W37" in weeks
    assert document.status_code == 200 and "Tổng hợp tình hình kỳ 2026-11" in document.text
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in document.text
    assert "Cán bộ chưa gửi: Phạm Văn Toàn (Khu phố Đông Hồ)" in document.text
    assert bad.status_code == 422 and "Kỳ báo cáo" in bad.text


async def test_alert_inbox_acknowledges_through_the_hook_with_csrf(system: System):
    leader = browser(system)
    fake = FakeAlerts()
    deps = web_deps(leader.app)
    deps.alerts, deps.ack = fake.alerts, fake.ack
    await leader.login(LEADER)
    try:
        home = await leader.get("/lanh-dao")
        assert "Khu phố Đông Hồ chưa gửi báo cáo tuần 2026-W48" in home.text
        assert "(1 chưa tiếp nhận)" in home.text
        forged = await leader.client.post("/lanh-dao/canh-bao/al-1", data={})
        assert forged.status_code == 403 and fake.acked == []
        resp = await leader.post_form("/lanh-dao/canh-bao/al-1", "/lanh-dao")
        assert resp.status_code == 303
        after = await leader.get(resp.headers["location"])
    finally:
        await leader.aclose()
    account = system.runtime.directory.account_by_username(LEADER)
    assert account is not None and fake.acked == [(account.id, "al-1")]
    assert "Đã xác nhận tiếp nhận cảnh báo." in after.text and "Đã tiếp nhận" in after.text


async def test_audit_status_hook_shows_the_verification(system: System):
    admin = browser(system)
    web_deps(admin.app).audit_status = lambda: {
        "ok": False, "checked_at": "2026-11-26T02:00:00+00:00", "position": 44,
        "first_bad": 17, "message_vi": "Băm sự kiện không khớp."}
    await admin.login("admin")
    try:
        page = await admin.get("/kiem-tra")
    finally:
        await admin.aclose()
    assert "Phát hiện sai lệch tại vị trí #17. Băm sự kiện không khớp." in page.text
    assert "Kiểm tra lúc 09:00 ngày 26/11/2026" in page.text


async def test_without_hooks_the_sections_are_marked_placeholders(system: System):
    # create_app wires the real audit status; this test is about a web with no hooks.
    admin = browser(system)
    web_deps(admin.app).audit_status = None
    await admin.login("admin")
    try:
        page = await admin.get("/kiem-tra")
    finally:
        await admin.aclose()
    assert 'data-hook="audit_status"' in page.text


async def test_the_audit_page_shows_the_real_verification(system: System):
    # Given a history the sealer has sealed to its last position
    admin = browser(system)
    await admin.login("admin")
    last = system.position()
    sealer = system.runtime.sealer
    assert sealer is not None and await sealer.wait_sealed(last, within=10)
    try:
        # When an admin opens the audit page
        page = await admin.get("/kiem-tra")
    finally:
        await admin.aclose()
    # Then it shows the verification of that store: intact up to the position verify finds
    checked = verify(system.runtime.store)
    assert checked.ok and checked.sealed == last
    assert f"Lịch sử sự kiện nguyên vẹn đến vị trí #{last}." in page.text
    assert "Kiểm tra lúc 10:00 ngày 26/11/2026" in page.text  # the clock's now, Vietnam time
