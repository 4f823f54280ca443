"""The demo town's leader on a phone, the day after the weekly deadlines passed unreported:
completeness before the alerts, the alerts one line per group, a group acknowledged at once,
and the whole page a few phone screens tall."""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from domain.clock import FixedClock
from services.common.demo import DEMO_PLAN
from services.common.plan_file import load_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from services.intake.web.alert_inbox import HOME_GROUPS
from tests.browser.conftest import PHONE, Served, no_horizontal_scroll, shot, sign_in
from tests.integration.conftest import THURSDAY_MORNING, VN

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TOWN_LEADER = "ld.ccb.thixa"  # Hội Cựu chiến binh thị xã Thuận Thành (services/common/demo.py)
# Friday of W48: every cadre's (Thursday 14:00) and every unit's weekly report overdue.
FRIDAY_NOON = datetime(2026, 11, 27, 12, 0, tzinfo=VN)
# The demo's 12 cadres and 5 units under the town all silent gave the town leader 75
# alerts in a list about 17,000 px tall. Grouped, the home page must stay within about five
# phone screens (740 px each) with the completeness table, the charts and the cases on it
# (4000 px), and the child units' own reports above the alerts, a line for each of the
# town's four communes (measured 4473 px in all when that block joined the page).
MAX_HEIGHT = 4600


@pytest.fixture(scope="module")
def demo_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plan loaded once (argon2 hashing is slow on purpose); copied per test."""
    home = tmp_path_factory.mktemp("demo")
    store = open_store(home)
    apply_plan(store, Directory(store), load_plan(DEMO_PLAN), FixedClock(THURSDAY_MORNING))
    store.close()
    return home / "events.sqlite"


@pytest.fixture
def home(tmp_path: Path, demo_store_file: Path) -> Path:
    """The demo network instead of the two-level one (the `served` fixture takes it)."""
    target = tmp_path / "home"
    target.mkdir(exist_ok=True)
    shutil.copy(demo_store_file, target / "events.sqlite")
    return target


def open_groups(served: Served, token: str) -> dict[str, Any]:
    resp = served.api("GET", "/api/v1/alerts/groups", token)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_town_leader_sees_completeness_first_and_acknowledges_a_group(
    phone: Any, served: Served,
) -> None:
    # Given the demo town the day after the weekly deadlines, nobody having reported, and
    # the notifier (on the same clock) having raised its overdue alerts
    served.clock.set(FRIDAY_NOON)
    phone.clock.set_fixed_time(FRIDAY_NOON)
    token = served.token(TOWN_LEADER)
    deadline = time.monotonic() + 60
    while (opened := open_groups(served, token))["total"] < 3:
        assert time.monotonic() < deadline, f"the notifier raised too little: {opened}"
        time.sleep(0.5)
    time.sleep(1)  # let the sweep finish
    opened = open_groups(served, token)
    alerts = sum(g["open"] for g in opened["groups"])
    # The leader acts per report kind and period, whichever units are late (web/alert_inbox.py)
    lines_expected = len({(g["type"], g["kind"], g["period"] or g["key"])
                          for g in opened["groups"]})
    print(f"\n{TOWN_LEADER}: {alerts} open alerts, {opened['total']} notifier groups, "
          f"{lines_expected} lines")
    assert alerts > lines_expected, "no line holds more than one alert: nothing to show"

    # When the town's leader signs in on a phone
    sign_in(phone, TOWN_LEADER)
    # Then completeness comes before the alerts
    completeness = phone.get_by_role("heading", name="Báo cáo tuần này theo đơn vị")
    inbox = phone.locator("#canh-bao")
    expect(completeness).to_be_visible()
    expect(inbox.get_by_role("heading", name=f"Cảnh báo ({alerts} chưa tiếp nhận)")).to_be_visible()
    assert completeness.bounding_box()["y"] < inbox.bounding_box()["y"]
    # And the alerts are one line per kind and period, not one per alert
    lines = inbox.locator("li.alert-group")
    expect(lines).to_have_count(min(lines_expected, HOME_GROUPS))
    assert phone.locator("li.alert").count() == 0
    # And the page is a few phone screens tall, not a wall of alerts
    height = phone.evaluate("document.body.scrollHeight")
    print(f"leader home at {PHONE['width']} px: {height} px tall "
          f"({height / PHONE['height']:.1f} screens)")
    shot(phone, "leader-alert-groups")
    assert height <= MAX_HEIGHT
    no_horizontal_scroll(phone)

    # When they acknowledge the first line at once
    first = lines.first
    title = first.locator(".group-title").inner_text()
    count = int(first.locator(".meta").inner_text().split()[0])
    fields = {i.get_attribute("name"): i.get_attribute("value")
              for i in first.locator('input[type="hidden"]').all()}
    first.get_by_role("button", name="Đã xem tất cả").click()
    # Then the page says how many, and the line is gone from the open list
    expect(phone.get_by_text(f"Đã đánh dấu đã xem {count} cảnh báo.")).to_be_visible()
    expect(phone.locator("#canh-bao .group-title", has_text=title)).to_have_count(0)
    left = sum(g["open"] for g in open_groups(served, token)["groups"])
    assert left == alerts - count
    # And the same form posted again (a second tap that got through) acknowledges nothing more
    again = phone.request.post("/lanh-dao/canh-bao/nhom", form=fields, max_redirects=0)
    assert again.status == 303 and f"da_xem={count}" in again.headers["location"]
    assert sum(g["open"] for g in open_groups(served, token)["groups"]) == left
    no_horizontal_scroll(phone)
    shot(phone, "leader-alert-group-acknowledged")


def test_a_group_opens_on_its_alerts_each_acknowledged_alone(phone: Any, served: Served) -> None:
    served.clock.set(FRIDAY_NOON)
    phone.clock.set_fixed_time(FRIDAY_NOON)
    token = served.token(TOWN_LEADER)
    deadline = time.monotonic() + 60
    while open_groups(served, token)["total"] < 3:
        assert time.monotonic() < deadline, "the notifier raised too little"
        time.sleep(0.5)
    time.sleep(1)  # let the sweep finish
    sign_in(phone, TOWN_LEADER)
    # When the leader opens a line of several alerts
    line = phone.locator("#canh-bao li.alert-group", has_text="đơn vị").first
    count = int(line.locator(".meta").inner_text().split()[0])
    line.locator(".group-title").click()
    # Then its alerts are listed, each with its own acknowledge
    listing = phone.locator("#danh-sach")
    expect(listing.get_by_role("heading", name=f"({count} chưa tiếp nhận)")).to_be_visible()
    buttons = listing.get_by_role("button", name="Xác nhận đã tiếp nhận")
    expect(buttons).to_have_count(min(count, 20))
    # When one is acknowledged, the page stays on the same list, one fewer
    buttons.first.click()
    expect(phone.get_by_text("Đã xác nhận tiếp nhận cảnh báo.")).to_be_visible()
    expect(listing.get_by_role("heading", name=f"({count - 1} chưa tiếp nhận)")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "leader-alert-group-page")
