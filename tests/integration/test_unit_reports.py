"""Unit reports over HTTP against the real intake (and a real aggregator for the prefill),
on the demo network of seed 002: Hội CCB thị xã sends its weekly summary before 13:30 on
Thursday to Ban Dân vận Thị ủy, with copies to Ban Thường vụ Thị ủy, Ban Dân vận Tỉnh ủy
and Hội CCB tỉnh."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.clock import FixedClock
from services.aggregator.bootstrap import Runtime as AggregatorRuntime
from services.aggregator.bootstrap import bootstrap as aggregator_bootstrap
from services.aggregator.consumer import ConsumerSettings
from services.common.natsd import EmbeddedNats
from services.common.plan_file import load_plan
from services.common.settings import Settings
from services.common.store import open_store
from services.common.streams import EVENTS_STREAM
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.conftest import PLANS, THURSDAY_MORNING, VN, System, running_system
from tests.integration.test_notifier import eventually, inbox, notifier

pytestmark = pytest.mark.integration

W48 = "2026-W48"
TOWN = "ld.ccb.thixa"            # Hội CCB thị xã (association, code CCB)
PARENT = "ld.bdv.thiuy"          # Ban Dân vận Thị ủy: the town association's parent
COPY = "ld.btv.thiuy"            # Ban Thường vụ Thị ủy: a copy recipient
PROVINCE_COPY = "ld.bdv.tinhuy"  # Ban Dân vận Tỉnh ủy: a copy recipient
HO = "ld.ccb.ho"                 # Hội CCB phường Hồ
SIBLING = "ld.ccb.songho"        # Hội CCB phường Song Hồ, Hồ's sibling
TOWN_RECIPIENTS = ["bdv-thi-uy", "btv-thi-uy", "bdv-tinh-uy", "ccb-tinh"]


def thursday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 26, hour, minute, tzinfo=VN)


@pytest.fixture(scope="session")
def demo_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    store = open_store(home)
    apply_plan(store, Directory(store), load_plan(PLANS / "demo-thuan-thanh.toml"),
               FixedClock(THURSDAY_MORNING))
    store.close()
    return home / "events.sqlite"


@pytest.fixture
async def system(tmp_path: Path, demo_store_file: Path,
                 nats_server: EmbeddedNats) -> AsyncIterator[System]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(demo_store_file, home / "events.sqlite")
    async with running_system(home, nats_server.url) as running:
        yield running


@pytest.fixture
async def aggregator(system: System) -> AsyncIterator[AggregatorRuntime]:
    runtime = aggregator_bootstrap(
        Settings(home=system.runtime.settings.home, nats_url=system.nats_url), system.clock,
        consumer=ConsumerSettings(ack_wait=1.0, fetch_timeout=0.2))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


class Leader:
    def __init__(self, system: System, token: str):
        self.system, self.token = system, token

    def headers(self, key: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    async def draft(self, unit_id: str, key: str, **body: Any) -> httpx.Response:
        payload = {"kind": "weekly", "period": W48, "assessment": "stable",
                   "summary": "Tình hình ổn định.", **body}
        return await self.system.client.post(f"/api/v1/units/{unit_id}/reports", json=payload,
                                             headers=self.headers(key))

    async def post(self, report_id: str, action: str, key: str,
                   body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.system.client.post(f"/api/v1/unit-reports/{report_id}/{action}",
                                             json=body or {}, headers=self.headers(key))

    async def get(self, report_id: str) -> httpx.Response:
        return await self.system.client.get(f"/api/v1/unit-reports/{report_id}",
                                             headers=self.headers())

    async def owed(self, **params: str) -> dict[str, str]:
        resp = await self.system.client.get("/api/v1/obligations", params=params,
                                            headers=self.headers())
        assert resp.status_code == 200, resp.text
        return {f'{o["owner"]["id"]}/{o["kind"]}': o["status"]
                for o in resp.json()["obligations"] if o["owner"]["type"] == "unit"}


async def leader(system: System, username: str) -> Leader:
    return Leader(system, await system.token(username))


async def drafted(who: Leader, unit_id: str, key: str = "d1", **body: Any) -> str:
    resp = await who.draft(unit_id, key, **body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["unit_report_id"])


async def test_draft_send_return_correct_and_resend_keep_the_id_and_the_number(
    system: System, aggregator: AggregatorRuntime,
):
    # Given a cadre's report under the town, rolled up by the aggregator
    cadre = await system.token("cb.ho.dongcoi")
    resp = await system.submit(cadre, "w48", kind="weekly", area_id="ho-dong-coi", period=W48,
                               assessment="attention", summary="Có tranh chấp đất.",
                               hot_spots=[{"category": "land", "severity": "high",
                                           "title": "Tranh chấp đất"}])
    assert resp.status_code == 201, resp.text
    last = (await system.nc.jetstream().stream_info(EVENTS_STREAM)).state.last_seq
    assert await aggregator.wait_applied(last, within=10)
    town, parent = await leader(system, TOWN), await leader(system, PARENT)

    # When the town's leader drafts the weekly summary
    resp = await town.draft("ccb-thi-xa", "d1", sections={"forecast": "Ổn định"},
                            proposals="Đề nghị hỗ trợ kinh phí")
    assert resp.status_code == 201, resp.text
    draft = resp.json()
    rid = draft["unit_report_id"]
    # Then it is a draft prefilled from the rollup: figures, hot spots, silent areas
    assert draft["status"] == "draft" and draft["published"] is True
    rollup = draft["prefill"]["rollup"]
    assert rollup["received"] == 1 and rollup["expected"] >= 12
    assert rollup["hot_spots"][0]["title"] == "Tranh chấp đất"
    assert any(m["area_id"] == "dinh-to-but-thap" for m in rollup["missing"])
    # and the parent does not see a draft
    assert (await parent.get(rid)).status_code == 404

    # When it is sent
    resp = await town.post(rid, "send", "s1")
    assert resp.status_code == 200, resp.text
    sent = resp.json()
    assert (sent["status"], sent["number"], sent["recipients"]) == (
        "sent", "1/BC-CCB", TOWN_RECIPIENTS)
    assert sent["on_time"] is True
    assert (await town.owed(period=W48))["ccb-thi-xa/weekly"] == "received"

    # When the parent returns it with a reason
    resp = await parent.post(rid, "return", "r1", {"reason": "Thiếu số liệu xã Đình Tổ"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "returned"
    assert (await town.owed(period=W48))["ccb-thi-xa/weekly"] == "returned"
    mine = (await town.get(rid)).json()
    assert (mine["status"], mine["return_reason"]) == ("returned", "Thiếu số liệu xã Đình Tổ")
    # a returned report is not sent again uncorrected
    resp = await town.post(rid, "send", "s2")
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "not_revised")

    # When the drafter corrects it and sends it again (late, after 13:30)
    system.clock.set(thursday(15))
    resp = await town.post(rid, "revisions", "v1",
                           {"summary": "Đã bổ sung số liệu xã Đình Tổ.",
                            "sections": {"forecast": "Ổn định", "unit_activities": "Giao ban"}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["revision"] == 2
    resp = await town.post(rid, "send", "s3")
    assert resp.status_code == 200, resp.text
    # Then the same report, revision 2, keeps its number and its first sending's timeliness
    again = resp.json()
    assert (again["unit_report_id"], again["revision"], again["number"], again["on_time"]) == (
        rid, 2, "1/BC-CCB", True)
    assert (await town.owed(period=W48))["ccb-thi-xa/weekly"] == "received"
    document = (await parent.get(rid)).json()
    assert document["content"]["summary"] == "Đã bổ sung số liệu xã Đình Tổ."
    assert document["content"]["proposals"] == "Đề nghị hỗ trợ kinh phí"
    assert document["unit"]["code"] == "CCB" and document["unit"]["kind"] == "association"
    assert [r["role"] for r in document["recipient_units"]] == ["parent", "copy", "copy", "copy"]
    assert [(h["type"], h["revision"]) for h in document["history"]] == [
        ("drafted", 1), ("sent", 1), ("returned", 1), ("revised", 2), ("resent", 2)]
    assert document["history"][2]["reason"] == "Thiếu số liệu xã Đình Tổ"
    assert [r["revision"] for r in document["revisions"]] == [1, 2]
    # and the parent's received box holds it
    resp = await system.client.get("/api/v1/unit-reports", params={"box": "received"},
                                   headers=parent.headers())
    assert [r["unit_report_id"] for r in resp.json()["unit_reports"]] == [rid]


async def test_a_summary_sent_after_1330_is_late_and_the_next_week_starts_from_it(
    system: System,
):
    town = await leader(system, TOWN)
    system.clock.set(thursday(13, 45))
    rid = await drafted(town, "ccb-thi-xa", sections={"forecast": "Ổn định"})
    resp = await town.post(rid, "send", "s1")
    assert resp.status_code == 200, resp.text
    # Then the 13:30 deadline of the town's weekly summary makes it late
    assert resp.json()["on_time"] is False
    assert datetime.fromisoformat(resp.json()["deadline"]) == thursday(13, 30)
    assert (await town.owed(period=W48))["ccb-thi-xa/weekly"] == "late"
    # When next week's draft leaves the summary and sections out, they start from this one
    payload = {"kind": "weekly", "period": "2026-W49", "assessment": "stable"}
    resp = await system.client.post("/api/v1/units/ccb-thi-xa/reports", json=payload,
                                    headers=town.headers("d3"))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["content"]["summary"] == "Tình hình ổn định."
    assert body["content"]["sections"] == {"forecast": "Ổn định"}
    assert body["prefill"]["previous"]["number"] == "1/BC-CCB"


async def test_replays_record_nothing_and_other_bodies_conflict(system: System):
    town, parent = await leader(system, TOWN), await leader(system, PARENT)
    rid = await drafted(town, "ccb-thi-xa")
    before = system.position()
    # Same key and body: the same draft, nothing recorded; another body: 409
    again = await town.draft("ccb-thi-xa", "d1")
    assert (again.status_code, again.json()["unit_report_id"]) == (200, rid)
    other = await town.draft("ccb-thi-xa", "d1", summary="Khác")
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_conflict")
    assert system.position() == before
    # A second draft of the same week under another key is refused
    second = await town.draft("ccb-thi-xa", "d2")
    assert (second.status_code, second.json()["error"]["code"]) == (409, "already_drafted")
    # Sending twice with one key: one number, nothing recorded the second time
    first = await town.post(rid, "send", "s1")
    at = system.position()
    replay = await town.post(rid, "send", "s1")
    assert replay.status_code == 200 and replay.json()["number"] == first.json()["number"]
    assert system.position() == at
    resent = await town.post(rid, "send", "s9")
    assert (resent.status_code, resent.json()["error"]["code"]) == (409, "not_a_draft")
    # Return: same key and reason replays, another reason under it conflicts,
    # the same reason under a new key is the same state
    assert (await parent.post(rid, "return", "r1", {"reason": "Thiếu"})).status_code == 200
    at = system.position()
    assert (await parent.post(rid, "return", "r1", {"reason": "Thiếu"})).status_code == 200
    clash = await parent.post(rid, "return", "r1", {"reason": "Sai"})
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "idempotency_conflict")
    same = await parent.post(rid, "return", "r2", {"reason": "Thiếu"})
    assert (same.status_code, same.json()["status"]) == (200, "returned")
    assert system.position() == at
    # Bad input: 422 naming the field, nothing recorded
    empty = await parent.post(rid, "return", "r3", {"reason": ""})
    assert (empty.status_code, empty.json()["error"]["field"]) == (422, "reason")
    keyless = await system.client.post(f"/api/v1/unit-reports/{rid}/send",
                                       headers=town.headers())
    assert keyless.status_code == 422
    assert keyless.json()["error"]["field"] == "Idempotency-Key"
    assert system.position() == at


async def test_two_reports_sent_at_once_take_two_consecutive_numbers(system: System):
    ho = await leader(system, HO)
    first = await drafted(ho, "ccb-ho", "w47", period="2026-W47")
    second = await drafted(ho, "ccb-ho", "w48")
    a, b = await asyncio.gather(ho.post(first, "send", "s-a"), ho.post(second, "send", "s-b"))
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    assert {a.json()["number"], b.json()["number"]} == {"1/BC-CCB", "2/BC-CCB"}
    # A party body numbers as HD 36 does
    parent = await leader(system, PARENT)
    rid = await drafted(parent, "bdv-thi-uy")
    resp = await parent.post(rid, "send", "s1")
    assert resp.json()["number"] == "1-BC/BDV"
    assert resp.json()["recipients"] == ["bdv-tinh-uy", "btv-thi-uy", "btv-tinh-uy"]


async def test_siblings_see_nothing_and_copy_recipients_only_read(system: System):
    ho, sibling = await leader(system, HO), await leader(system, SIBLING)
    rid = await drafted(ho, "ccb-ho")
    # A sibling may not draft for Hồ, nor see its report, drafted or sent
    refused = await sibling.draft("ccb-ho", "x")
    assert (refused.status_code, refused.json()["error"]["field"]) == (404, "unit_id")
    assert (await sibling.get(rid)).status_code == 404
    await ho.post(rid, "send", "s1")
    assert (await sibling.get(rid)).status_code == 404
    listed = await system.client.get("/api/v1/unit-reports", headers=sibling.headers())
    assert listed.json()["unit_reports"] == []
    assert (await sibling.post(rid, "return", "r", {"reason": "x"})).status_code == 404
    # The unit above Hồ's parent reads it (it lies in its line) but may not return it
    above = await leader(system, PARENT)
    assert (await above.get(rid)).status_code == 200
    not_parent = await above.post(rid, "return", "r", {"reason": "x"})
    assert (not_parent.status_code, not_parent.json()["error"]["code"]) == (403, "not_the_parent")
    town = await leader(system, TOWN)

    # The town's summary: a copy recipient reads and acknowledges, but may not return it
    summary = await drafted(town, "ccb-thi-xa")
    await town.post(summary, "send", "s1")
    for username in (COPY, PROVINCE_COPY):
        copy = await leader(system, username)
        assert (await copy.get(summary)).status_code == 200
        resp = await copy.post(summary, "return", "r", {"reason": "Thiếu"})
        assert (resp.status_code, resp.json()["error"]["code"]) == (403, "copy_recipient")
        received = await copy.post(summary, "receive", "a")
        assert received.status_code == 200, received.text
    document = (await town.get(summary)).json()
    assert set(document["received_by"]) == {"btv-thi-uy", "bdv-tinh-uy"}
    assert document["status"] == "sent"
    # A cadre drafts nothing
    cadre = Leader(system, await system.token("cb.ho.dongcoi"))
    assert (await cadre.draft("ch-ho-dong-coi", "c")).status_code in (403, 404)


async def test_a_unit_report_on_the_stream_changes_no_rollup_and_stops_no_aggregator(
    system: System, aggregator: AggregatorRuntime,
):
    cadre = await system.token("cb.ho.dongcoi")
    assert (await system.submit(cadre, "w48", kind="weekly", area_id="ho-dong-coi",
                                period=W48, assessment="stable", summary="Ổn định")
            ).status_code == 201
    js = system.nc.jetstream()
    assert await aggregator.wait_applied((await js.stream_info(EVENTS_STREAM)).state.last_seq)
    before = await system.client.get(f"/api/v1/units/ccb-thi-xa/rollups/{W48}",
                                     headers=(await leader(system, TOWN)).headers())
    town = await leader(system, TOWN)
    rid = await drafted(town, "ccb-thi-xa")
    assert (await town.post(rid, "send", "s1")).status_code == 200
    info = await js.stream_info(EVENTS_STREAM)
    last = info.state.last_seq
    message = await js.get_msg(EVENTS_STREAM, last - 1)
    assert message.subject.endswith(".bac-ninh.thuan-thanh.UnitReportSent")
    # Then the aggregator applies past it, stays healthy, and the rollup is the same
    assert await aggregator.wait_applied(last, within=10)
    assert aggregator.health()["status"] == "ok"
    after = await system.client.get(f"/api/v1/units/ccb-thi-xa/rollups/{W48}",
                                    headers=town.headers())
    drop = ("stream_seq",)
    assert ({k: v for k, v in after.json().items() if k not in drop}
            == {k: v for k, v in before.json().items() if k not in drop})


async def test_numbers_start_again_at_one_in_a_new_vietnamese_year(system: System):
    ho = await leader(system, HO)
    last_week = await drafted(ho, "ccb-ho", "w53", period="2026-W53")
    first_week = await drafted(ho, "ccb-ho", "w01", period="2027-W01")
    system.clock.set(datetime(2026, 12, 31, 23, 50, tzinfo=VN))
    ho = await leader(system, HO)  # a token of November has expired
    assert (await ho.post(last_week, "send", "s1")).json()["number"] == "1/BC-CCB"
    # 00:10 on 1 January in Vietnam is still 31 December in UTC: the year is Vietnam's
    system.clock.set(datetime(2027, 1, 1, 0, 10, tzinfo=VN))
    resp = await ho.post(first_week, "send", "s2")
    assert resp.json().get("number") == "1/BC-CCB", resp.text


async def test_the_parent_sees_how_each_child_units_report_stands(system: System):
    ho = await leader(system, HO)
    rid = await drafted(ho, "ccb-ho")
    await ho.post(rid, "send", "s1")
    song_ho = await leader(system, SIBLING)
    late = await drafted(song_ho, "ccb-song-ho")
    system.clock.set(thursday(15))
    await song_ho.post(late, "send", "s1")
    directory = system.runtime.directory
    town = directory.account_by_username(TOWN)
    assert town is not None
    rows = system.runtime.unit_reports.children_standing(town, "ccb-thi-xa", W48)
    standing = {r["unit_id"]: (r["status"], r["number"]) for r in rows if r["kind"] == "weekly"}
    assert standing == {"ccb-ho": ("received", "1/BC-CCB"), "ccb-song-ho": ("late", "1/BC-CCB"),
                        "ccb-gia-dong": ("overdue", None), "ccb-dinh-to": ("overdue", None)}
    # and a sibling may not ask about the town
    sibling = directory.account_by_username(SIBLING)
    assert sibling is not None
    with pytest.raises(Exception) as refused:
        system.runtime.unit_reports.children_standing(sibling, "ccb-thi-xa", W48)
    assert getattr(refused.value, "status", None) == 404


# --- through the whole system: the notifier follows unit reports -----------------------

FRIDAY = datetime(2026, 11, 27, 9, tzinfo=VN)


def _unit_rows(rows: list[dict[str, Any]], unit_id: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["cadre_id"] is None and r["unit_id"] == unit_id
            and r["kind"] == "weekly" and r["period"] == "2026-W48"]


async def test_a_unit_report_sent_and_returned_reaches_the_notifier_and_no_dead_letter(
    system: System, aggregator: AggregatorRuntime
):
    home = system.runtime.settings.home
    async with notifier(system, home, kinds=("weekly",)) as runtime:
        service = runtime.service
        # Given the town's weekly summary not sent by Friday: it is overdue (once the
        # notifier has read the network)
        await eventually(lambda: bool(_unit_rows(service.overdue(FRIDAY), "ccb-thi-xa")))

        # When the town's leader drafts and sends it on Thursday morning
        town, parent = await leader(system, TOWN), await leader(system, PARENT)
        rid = await drafted(town, "ccb-thi-xa")
        resp = await town.post(rid, "send", "s1")
        assert resp.status_code == 200, resp.text

        # Then the parent's leader is told, with the number, and the obligation is met
        async def told() -> bool:
            return any(a["kind"] == "unit_report" for a in await inbox(system, PARENT))
        await eventually(told)
        [alert] = [a for a in await inbox(system, PARENT) if a["kind"] == "unit_report"]
        assert "1/BC-CCB" in alert["message_vi"]
        await eventually(lambda: not _unit_rows(service.overdue(FRIDAY), "ccb-thi-xa"))

        # When the parent returns it with a reason
        resp = await parent.post(rid, "return", "r1", {"reason": "Thiếu số liệu"})
        assert resp.status_code == 200, resp.text

        # Then the drafter is told why, and nothing anywhere was set aside
        async def returned() -> bool:
            return any(a["kind"] == "returned" and "Thiếu số liệu" in a["message_vi"]
                       for a in await inbox(system, TOWN))
        await eventually(returned)
        last = (await system.nc.jetstream().stream_info(EVENTS_STREAM)).state.last_seq
        assert await aggregator.wait_applied(last, within=10)
        assert aggregator.projector is not None and aggregator.projector.dead_letters == 0
        assert service.book.dead_letters == {}
