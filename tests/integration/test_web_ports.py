"""What the web shows from the other services, through the ports bootstrap() takes:
rollups (the aggregator), alerts with acknowledge (the notifier), the audit status."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

import pytest

from domain.errors import Conflict, InvalidInput, NotFound
from services.common.contracts import Alerts
from services.common.natsd import EmbeddedNats
from services.common.paging import newest_first
from services.common.store import Store
from tests.integration.conftest import load_two_level, running_system
from tests.integration.web_client import browser

pytestmark = pytest.mark.integration

LEADER = "ld.ccb.thuanthanh"


class FakeAggregator:
    """Answers like the aggregator would, and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def rollup(self, account_id: UUID, unit_id: str, period: str,
                     fmt: str = "json") -> dict[str, Any]:
        self.asked.append((unit_id, period))
        if period == "2026-W40":
            raise NotFound("not_found", "no rollup", "Chưa có số liệu tổng hợp")
        if fmt == "article":  # the document the aggregator renders, as it renders it
            return {"html": f'<article class="official page association">'
                            f'<div class="number">Số: …/BC-CCB</div>{unit_id} {period}'
                            f'<div class="recipients-title">Nơi nhận:</div></article>'}
        if fmt == "docx":
            return {"docx": base64.b64encode(b"PK-docx-" + unit_id.encode()).decode(),
                    "filename": f"bao-cao-{unit_id}-{period}.docx"}
        return {"body": {
            "unit_id": unit_id, "period": period, "expected": 2, "received": 1,
            "on_time": 1, "late": 0,
            "missing": [{"cadre_id": "cb-thuan-thanh-dong-ho", "area_id": "thuan-thanh-dong-ho"}],
            "counts": {"complaints_received": 3}, "assessment": "attention",
            "hot_spots": [{"title": "Tranh chấp đất", "severity": "high"}],
            "children": [
                {"unit_id": "ch-thuan-thanh-dong-coi", "expected": 1, "received": 1,
                 "on_time": 1, "late": 0},
                {"unit_id": "ch-thuan-thanh-dong-ho", "expected": 1, "received": 0,
                 "on_time": 0, "late": 0}]}}

    async def health(self) -> dict[str, Any]:
        return {"status": "ok"}


GROUP_VI = {"reminder": "Nhắc hạn", "overdue": "Quá hạn", "hot_spot": "Điểm nóng",
            "unit_report": "Báo cáo đơn vị", "returned": "Trả lại"}


def alert(alert_id: str, raised_at: str, type_: str = "overdue", kind: str = "weekly",
          period: str | None = "2026-W48", unit_id: str | None = "ccb-thuan-thanh",
          message_vi: str = "Khu phố Đông Hồ chưa gửi báo cáo tuần 2026-W48",
          area_id: str | None = "thuan-thanh-dong-ho") -> dict[str, Any]:
    """One alert as the notifier lists it."""
    return {"alert_id": alert_id, "kind": type_, "report_kind": kind, "status": "open",
            "message_vi": message_vi, "area_id": area_id, "period": period,
            "unit_id": unit_id, "raised_at": raised_at}


def group_key(a: dict[str, Any]) -> str:
    return "|".join((a["kind"], a["report_kind"], a["period"] or "", a["unit_id"] or ""))


class FakeNotifier:
    """The notifier's alert book in memory, answering as services/notifier does: filters,
    groups newest first, acknowledge one, or a group at once (a key and its selection
    acknowledge once; the same key with another selection is a conflict)."""

    def __init__(self, extra: int = 0, alerts: list[dict[str, Any]] | None = None) -> None:
        self.acked: list[tuple[UUID, str]] = []
        self.group_acks: dict[tuple[UUID, str], tuple[dict[str, str], int]] = {}
        self.asked: list[dict[str, str]] = []  # the filters each groups/alerts call carried
        if alerts is None:  # one this week, and `extra` more, one a minute earlier each
            alerts = [alert("al-1", "2026-11-26T07:00:00+00:00")]
            alerts += [alert(f"al-x{n:03d}",
                             f"2026-11-26T06:{59 - n % 60:02d}:{n // 60:02d}+00:00",
                             period="2026-W47", message_vi=f"Cảnh báo cũ số {n}")
                       for n in range(extra)]
        self.items = alerts

    def _selected(self, status: str, filters: Mapping[str, str | None] | None,
                  ) -> list[dict[str, Any]]:
        given = {k: v for k, v in (filters or {}).items() if v}
        self.asked.append(dict(given))
        if given.get("type") and given["type"] not in GROUP_VI:
            raise InvalidInput("invalid_type", "bad type", "Loại cảnh báo không hợp lệ", "type")
        fields = {"type": "kind", "kind": "report_kind", "period": "period",
                  "unit_id": "unit_id"}
        return [a for a in self.items if (status == "all" or a["status"] == status)
                and all((group_key(a) == v) if k == "group" else (a[fields[k]] or "") == v
                        for k, v in given.items())]

    async def alerts(self, account_id: UUID, status: str = "open", limit: int | None = None,
                     cursor: str | None = None,
                     filters: Mapping[str, str | None] | None = None) -> Alerts:
        chosen = self._selected(status, filters)
        page = newest_first(chosen, lambda a: (a["raised_at"], a["alert_id"]), limit, cursor)
        return {"alerts": page.items, "next_cursor": page.next_cursor, "total": page.total}

    async def groups(self, account_id: UUID, status: str = "open",
                     filters: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        by_key: dict[str, list[dict[str, Any]]] = {}
        for a in self._selected(status, filters):
            by_key.setdefault(group_key(a), []).append(a)
        found = []
        for key, members in by_key.items():
            head = max(members, key=lambda a: a["raised_at"])
            title = f"{GROUP_VI[head['kind']]} {head['report_kind']}"
            title += f" kỳ {head['period']}" if head["period"] else ""
            found.append({"key": key, "type": head["kind"], "kind": head["report_kind"],
                          "period": head["period"], "unit_id": head["unit_id"],
                          "count": len(members),
                          "open": sum(a["status"] == "open" for a in members),
                          "newest_at": head["raised_at"],
                          "title_vi": f"{title} ({len(members)})"})
        found.sort(key=lambda g: (g["newest_at"], g["key"]), reverse=True)
        return {"groups": found, "total": len(found)}

    async def ack_many(self, account_id: UUID, idempotency_key: str,
                       selection: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        chosen = {k: v for k, v in (selection or {}).items() if v}
        known = self.group_acks.get((account_id, idempotency_key))
        if known is not None:
            if known[0] != chosen:
                raise Conflict("idempotency_conflict", "key used for another selection",
                               "Khoá chống gửi trùng này đã dùng cho một lựa chọn khác",
                               "Idempotency-Key")
            return {"acknowledged": known[1]}
        hit = self._selected("open", chosen)
        for a in hit:
            a["status"] = "acknowledged"
        self.group_acks[(account_id, idempotency_key)] = (chosen, len(hit))
        return {"acknowledged": len(hit)}

    async def ack(self, account_id: UUID, alert_id: str) -> dict[str, Any]:
        self.acked.append((account_id, alert_id))
        for a in self.items:
            if a["alert_id"] == alert_id:
                a["status"] = "acknowledged"
        return {"alert_id": alert_id, "status": "acknowledged"}

    async def overdue(self, at: str, account_id: UUID | None = None, limit: int | None = None,
                      cursor: str | None = None) -> dict[str, Any]:
        return {"overdue": [], "next_cursor": None, "total": 0}

    async def health(self) -> dict[str, Any]:
        return {"status": "ok"}


async def test_the_aggregator_fills_the_table_the_trend_and_the_document(
    home: Path, nats_server: EmbeddedNats,
):
    # Given an intake whose aggregator port answers rollups (none for week 40)
    rollups = FakeAggregator()
    async with running_system(home, nats_server.url, aggregator=rollups) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            # When the leader opens the dashboard and the document, for a good and a bad period
            home_page = await leader.get("/lanh-dao")
            document = await leader.get("/lanh-dao/tong-hop?ky=2026-11")
            bad = await leader.get("/lanh-dao/tong-hop?ky=tuan-nay")
        finally:
            await leader.aclose()
    # Then the rollup fills the table, the trend and the document
    assert "Tổng hợp tuần 2026-W48" in home_page.text and "Đã gửi 1/2 (50%)" in home_page.text
    assert "Đơn vị chưa có báo cáo: Chi hội Cựu chiến binh khu phố Đông Hồ" in home_page.text
    assert 'aria-label="Xu hướng 12 tuần: 2026-W37 50%' in home_page.text
    assert "2026-W40 0%" in home_page.text  # a week without a rollup draws as empty
    weeks = [p for u, p in rollups.asked if u == "ccb-thuan-thanh"]
    assert "2026-W48" in weeks and "2026-W37" in weeks
    # the page embeds the aggregator's document, the API's, as it is, with print and .docx
    assert document.status_code == 200
    assert ('<article class="official page association"><div class="number">Số: …/BC-CCB'
            '</div>ccb-thuan-thanh 2026-11') in document.text
    assert 'href="/lanh-dao/tong-hop.docx?ky=2026-11"' in document.text
    assert "data-print" in document.text and 'href="/static/official.css"' in document.text
    assert bad.status_code == 422 and "Kỳ báo cáo" in bad.text


async def test_alert_inbox_acknowledges_through_the_notifier_with_csrf(
    home: Path, nats_server: EmbeddedNats,
):
    # Given an intake whose notifier port holds one open alert
    fake = FakeNotifier()
    group = "/lanh-dao/canh-bao?nhom=" + quote("overdue|weekly|2026-W48|ccb-thuan-thanh")
    async with running_system(home, nats_server.url, notifier=fake) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            # When the leader reads the inbox, opens its group, posts a forged form, then the
            # real one
            home_page = await leader.get("/lanh-dao")
            assert "Quá hạn weekly kỳ 2026-W48 (1)" in home_page.text
            assert f'href="{html.escape(group)}"' in home_page.text
            listed = await leader.get(group)
            assert "Khu phố Đông Hồ chưa gửi báo cáo tuần 2026-W48" in listed.text
            forged = await leader.client.post("/lanh-dao/canh-bao/al-1", data={})
            assert forged.status_code == 403 and fake.acked == []
            resp = await leader.post_form("/lanh-dao/canh-bao/al-1", group, ve=group)
            assert resp.status_code == 303
            after = await leader.get(resp.headers["location"])
        finally:
            await leader.aclose()
        account = system.runtime.directory.account_by_username(LEADER)
    # Then only the real one reached the notifier, for this leader, and the page it came
    # from says so, the alert no longer open
    assert account is not None and fake.acked == [(account.id, "al-1")]
    assert resp.headers["location"].startswith(group)
    assert "Đã xác nhận tiếp nhận cảnh báo." in after.text
    assert "Khu phố Đông Hồ chưa gửi báo cáo tuần 2026-W48" not in after.text


async def test_a_long_alert_list_is_read_a_page_at_a_time(
    home: Path, nats_server: EmbeddedNats,
):
    # Given a leader with 45 open alerts
    fake = FakeNotifier(extra=44)
    async with running_system(home, nats_server.url, notifier=fake) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            # When the leader opens every alert, then follows "Xem tiếp" twice
            first = await leader.get("/lanh-dao/canh-bao")
            second = await leader.get(_next_link(first.text))
            third = await leader.get(_next_link(second.text))
            stale = await leader.get("/lanh-dao/canh-bao?canh_bao=not-a-cursor")
        finally:
            await leader.aclose()
    # Then 20, 20 and 5 alerts, newest first, each once, the total always 45
    pages = [_alert_texts(page.text) for page in (first, second, third)]
    assert [len(p) for p in pages] == [20, 20, 5]
    assert pages[0][0] == "Khu phố Đông Hồ chưa gửi báo cáo tuần 2026-W48"
    assert len({text for page in pages for text in page}) == 45
    assert all("(45 chưa tiếp nhận)" in page.text for page in (first, second, third))
    assert "Xem tiếp" not in third.text and "Về cảnh báo mới nhất" in third.text
    # And a link it did not give says so, without breaking the page
    assert stale.status_code == 200 and "Con trỏ trang" in stale.text


def _next_link(page: str) -> str:
    match = re.search(r'href="(/lanh-dao/canh-bao\?[^"#]*canh_bao=[^"#]+)#danh-sach">Xem tiếp',
                      page)
    assert match, "no next-page link"
    return html.unescape(match.group(1))


def _alert_texts(page: str) -> list[str]:
    start = page.index('id="danh-sach"')
    section = page[start:page.index("</section>", start)]
    item = r'<li class="alert[^>]*>\s*<p>.*?</p>\s*<p>(.*?)</p>'
    return [html.unescape(t) for t in re.findall(item, section, flags=re.S)]


async def test_the_audit_page_shows_the_audit_status_it_is_given(
    home: Path, nats_server: EmbeddedNats,
):
    # Given an audit status that found damage
    def damaged() -> dict[str, Any]:
        return {"ok": False, "checked_at": "2026-11-26T02:00:00+00:00", "position": 44,
                "first_bad": 17, "message_vi": "Băm sự kiện không khớp."}

    async with running_system(home, nats_server.url, audit_status=damaged) as system:
        admin = browser(system)
        await admin.login("admin")
        try:
            # When the admin opens the audit page
            page = await admin.get("/kiem-tra")
        finally:
            await admin.aclose()
    # Then it says where, and when it was checked (Vietnam time)
    assert "Phát hiện sai lệch tại vị trí #17. Băm sự kiện không khớp." in page.text
    assert "Kiểm tra lúc 09:00 ngày 26/11/2026" in page.text


async def test_a_store_that_cannot_be_audited_is_marked_on_the_audit_page(
    home: Path, nats_server: EmbeddedNats,
):
    # Given an intake on an in-memory store (not one SQLite file: no sealer, no status)
    store = Store(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    load_two_level(store)
    async with running_system(home, nats_server.url, store=store) as system:
        assert system.runtime.audit_status is None
        admin = browser(system)
        await admin.login("admin")
        try:
            # When the admin opens the audit page
            page = await admin.get("/kiem-tra")
        finally:
            await admin.aclose()
    # Then the section is a marked placeholder that says why
    assert 'data-hook="audit_status"' in page.text
    assert "Kho sự kiện đang dùng không hỗ trợ xác minh toàn vẹn." in page.text


async def test_the_audit_page_shows_the_real_verification(home: Path, nats_server: EmbeddedNats):
    # Given the real intake, its sealer having sealed every stored event
    async with running_system(home, nats_server.url) as system:
        sealer = system.runtime.sealer
        assert sealer is not None and await sealer.wait_sealed(system.position(), 10)
        admin = browser(system)
        await admin.login("admin")
        try:
            # When the admin opens the audit page
            page = await admin.get("/kiem-tra")
        finally:
            await admin.aclose()
        sealed = sealer.position
    # Then it shows the verification of this store: intact, every position checked
    assert sealed > 0 and f"Lịch sử sự kiện nguyên vẹn đến vị trí #{sealed}." in page.text
    assert "Kiểm tra lúc 10:00 ngày 26/11/2026" in page.text  # now, on the intake's clock
