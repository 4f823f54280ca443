"""The leader's home: completeness first, then alerts one line per group, filtered by a GET
form, and a group acknowledged at once by a CSRF form whose key makes a double submit one."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from services.common.natsd import EmbeddedNats
from tests.integration.conftest import running_system
from tests.integration.test_web_ports import FakeNotifier, alert
from tests.integration.web_client import browser, csrf_of

pytestmark = pytest.mark.integration

LEADER = "ld.ccb.thuanthanh"
W48 = "overdue|weekly|2026-W48|ccb-thuan-thanh"


def many() -> FakeNotifier:
    """Twelve overdue weekly reports of W48, two reminders, a hot spot, and W47's overdue."""
    alerts = [alert(f"od-{n:02d}", f"2026-11-26T07:{n:02d}:00+00:00",
                    message_vi=f"Cán bộ số {n} chưa gửi báo cáo tuần 2026-W48")
              for n in range(12)]
    alerts += [alert(f"rm-{n}", f"2026-11-26T02:0{n}:00+00:00", type_="reminder",
                     message_vi=f"Nhắc hạn số {n}") for n in range(2)]
    alerts += [alert("hs-1", "2026-11-26T08:00:00+00:00", type_="hot_spot", kind="urgent",
                     period=None, message_vi="Điểm nóng: tranh chấp đất")]
    alerts += [alert("old-1", "2026-11-19T07:00:00+00:00", period="2026-W47",
                     message_vi="Chưa gửi báo cáo tuần 2026-W47")]
    return FakeNotifier(alerts=alerts)


def _titles(page: str) -> list[str]:
    start = page.index('id="canh-bao"')
    section = page[start:page.index("</section>", start)]
    return [html.unescape(t) for t in re.findall(r'class="group-title">(.*?)<', section)]


async def test_the_home_shows_completeness_then_one_line_per_alert_group(
    home: Path, nats_server: EmbeddedNats,
):
    # Given a leader with 16 open alerts in 4 groups
    async with running_system(home, nats_server.url, notifier=many()) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            # When the leader opens the home page
            page = (await leader.get("/lanh-dao")).text
        finally:
            await leader.aclose()
    # Then the week's completeness comes before the alerts
    assert page.index("Báo cáo tuần này theo đơn vị") < page.index('id="canh-bao"')
    # And the alerts are one line per group, newest group first, no alert listed one by one
    assert _titles(page) == ["Điểm nóng urgent (1)", "Quá hạn weekly kỳ 2026-W48 (12)",
                             "Nhắc hạn weekly kỳ 2026-W48 (2)",
                             "Quá hạn weekly kỳ 2026-W47 (1)"]
    assert "Cán bộ số 3 chưa gửi" not in page
    assert "(16 chưa tiếp nhận)" in page and "14:11 ngày 26/11/2026" in page
    # each group opens on its own alerts, and a GET form filters by type, kind and period
    assert f'href="/lanh-dao/canh-bao?nhom={html.escape(quote(W48))}"' in page
    assert re.search(r'<form method="get" action="/lanh-dao/canh-bao"', page)
    assert all(f'name="{n}"' in page for n in ("loai", "bao_cao", "ky"))


async def test_the_filter_form_narrows_the_groups_and_refuses_a_bad_period(
    home: Path, nats_server: EmbeddedNats,
):
    fake = many()
    async with running_system(home, nats_server.url, notifier=fake) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            # When the leader filters by overdue weekly reports of W48, then by a made-up week
            narrowed = await leader.get("/lanh-dao/canh-bao?loai=overdue&bao_cao=weekly"
                                        "&ky=2026-W48")
            asked = fake.asked[-1]
            bad = await leader.get("/lanh-dao/canh-bao?loai=overdue&ky=tuan-truoc")
            bad_type = await leader.get("/lanh-dao/canh-bao?loai=moi")
        finally:
            await leader.aclose()
    # Then only that group shows, the notifier having been asked for just that
    assert narrowed.status_code == 200
    assert _titles(narrowed.text) == ["Quá hạn weekly kỳ 2026-W48 (12)"]
    assert asked == {"type": "overdue", "kind": "weekly", "period": "2026-W48"}
    # the form keeps what was chosen
    assert 'value="2026-W48"' in narrowed.text
    assert re.search(r'<option value="overdue" selected>', narrowed.text)
    # And a period that is no period, or an unknown type, is 422 saying so, the page intact
    assert bad.status_code == 422 and "Kỳ báo cáo" in bad.text and 'id="canh-bao"' in bad.text
    assert bad_type.status_code == 422 and "Loại cảnh báo" in bad_type.text


async def test_a_group_is_acknowledged_at_once_and_a_double_submit_counts_once(
    home: Path, nats_server: EmbeddedNats,
):
    fake = many()
    async with running_system(home, nats_server.url, notifier=fake) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            before = (await leader.get("/lanh-dao")).text
            form = _group_form(before, W48)
            # When a forged form (no CSRF) is posted, then the real one twice (a double tap)
            forged = await leader.client.post("/lanh-dao/canh-bao/nhom",
                                              data={**form, "csrf_token": "x"})
            assert forged.status_code == 403 and fake.group_acks == {}
            first = await leader.client.post("/lanh-dao/canh-bao/nhom", data=form)
            again = await leader.client.post("/lanh-dao/canh-bao/nhom", data=form)
            after = await leader.get(first.headers["location"])
            # And one without its key, or with a key already used for another group
            keyless = await leader.client.post("/lanh-dao/canh-bao/nhom",
                                               data={**form, "idempotency_key": ""})
            reused = await leader.client.post("/lanh-dao/canh-bao/nhom", data={
                **form, "nhom": "reminder|weekly|2026-W48|ccb-thuan-thanh"})
        finally:
            await leader.aclose()
    # Then the group's twelve are acknowledged once, with one key, and the page says so
    assert first.status_code == 303 and again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert first.headers["location"].startswith("/lanh-dao?da_xem=12")
    assert len(fake.group_acks) == 1
    [(selection, count)] = fake.group_acks.values()
    assert selection == {"group": W48} and count == 12
    assert "Đã đánh dấu đã xem 12 cảnh báo." in after.text
    assert "Quá hạn weekly kỳ 2026-W48" not in after.text
    assert "Nhắc hạn weekly kỳ 2026-W48 (2)" in after.text
    # And the bad ones are refused, nothing more acknowledged
    assert keyless.status_code == 422 and reused.status_code == 409
    assert len(fake.group_acks) == 1
    assert sum(a["status"] == "acknowledged" for a in fake.items) == 12


async def test_a_group_opens_on_its_own_alerts(home: Path, nats_server: EmbeddedNats):
    async with running_system(home, nats_server.url, notifier=many()) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            page = await leader.get(f"/lanh-dao/canh-bao?nhom={quote(W48)}")
            unknown = await leader.get("/lanh-dao/canh-bao?nhom=" + quote("overdue|weekly|"
                                                                        "2030-W01|x"))
        finally:
            await leader.aclose()
    # Then its twelve alerts, each with its own acknowledge, and nothing of the other groups
    assert page.status_code == 200
    assert "Quá hạn weekly kỳ 2026-W48 (12)" in page.text
    assert page.text.count("Xác nhận đã tiếp nhận") == 12
    assert "Cán bộ số 11 chưa gửi" in page.text and "Nhắc hạn số 0" not in page.text
    assert "Đã xem tất cả" in page.text and csrf_of(page.text)
    # And a group with nothing open says so
    assert unknown.status_code == 200 and "Không có cảnh báo nào." in unknown.text


def _group_form(page: str, key: str) -> dict[str, str]:
    """The fields of the "Đã xem tất cả" form of the group `key`, as the page gave them."""
    for form in re.findall(r'<form method="post" action="/lanh-dao/canh-bao/nhom">(.*?)</form>',
                           page, flags=re.S):
        fields = {n: html.unescape(v) for n, v in
                  re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}
        if fields.get("nhom") == key:
            assert "Đã xem tất cả" in form
            return fields
    raise AssertionError(f"no acknowledge form for {key}")


def across_units() -> FakeNotifier:
    """W47's weekly report overdue from five units: five notifier groups of one."""
    units = ["ch-a", "ch-b", "ch-c", "ch-d", "ccb-thuan-thanh"]
    return FakeNotifier(alerts=[alert(f"w47-{u}", f"2026-11-20T07:0{n}:00+00:00",
                                      period="2026-W47", unit_id=u,
                                      message_vi=f"{u} chưa gửi báo cáo tuần 2026-W47")
                                for n, u in enumerate(units)]
                        + [alert("rm-1", "2026-11-26T02:00:00+00:00", type_="reminder")])


async def test_one_report_late_from_many_units_is_one_line_acknowledged_at_once(
    home: Path, nats_server: EmbeddedNats,
):
    # Given one kind and period overdue from five units (five groups of the notifier's)
    fake = across_units()
    async with running_system(home, nats_server.url, notifier=fake) as system:
        leader = browser(system)
        await leader.login(LEADER)
        try:
            # When the leader opens the home page
            page = (await leader.get("/lanh-dao")).text
            form = next(f for f in _forms(page) if f.get("ky") == "2026-W47")
            resp = await leader.client.post("/lanh-dao/canh-bao/nhom", data=form)
            after = (await leader.get(resp.headers["location"])).text
        finally:
            await leader.aclose()
    # Then it is one line naming how many units, opening on the filtered list
    assert _titles(page) == ["Nhắc hạn weekly kỳ 2026-W48 (1)",
                             "Quá hạn báo cáo tuần kỳ 2026-W47 — 5 đơn vị (5)"]
    assert 'href="/lanh-dao/canh-bao?loai=overdue&amp;bao_cao=weekly&amp;ky=2026-W47"' in page
    # And "Đã xem tất cả" acknowledges the five at once, by type, kind and period
    assert resp.status_code == 303 and "Đã đánh dấu đã xem 5 cảnh báo." in after
    [(selection, count)] = fake.group_acks.values()
    assert selection == {"type": "overdue", "kind": "weekly", "period": "2026-W47"}
    assert count == 5 and _titles(after) == ["Nhắc hạn weekly kỳ 2026-W48 (1)"]


def _forms(page: str) -> list[dict[str, str]]:
    return [{n: html.unescape(v) for n, v in
             re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}
            for form in re.findall(r'<form method="post" action="/lanh-dao/canh-bao/nhom">'
                                   r'(.*?)</form>', page, flags=re.S)]
