"""The notifier against a real nats-server, a real SMTP server and a real HTTP server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nats
import pytest

from domain.errors import DomainError
from domain.ids import account_id
from services.cli import overdue_command
from services.common import nats_auth, wire
from services.common.natsd import free_port
from services.common.notifier_client import NotifierClient
from services.common.streams import ALERTS_STREAM, EVENTS_STREAM
from services.notifier.bootstrap import Runtime, bootstrap
from services.notifier.settings import Channels, NotifierSettings
from services.notifier.store import AlertStore, alert_store_env
from tests.integration.conftest import VN, System
from tests.integration.sinks import SmtpSink
from tests.integration.test_aggregator import another_version

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"
LINE = ("ld.ch.thuanthanh.dongcoi", "ld.ccb.thuanthanh", "ld.ccb.tinh", "ld.bdv.tinhuy")
UNRELATED = ("ld.ccb.tramlo", "ld.ch.tramlo.tramlo", "ld.ch.thuanthanh.dongho")
SECRET = "webhook-test-secret"
THURSDAY_1400 = datetime(2026, 11, 26, 14, 0, tzinfo=VN)


# --- real servers --------------------------------------------------------------------

class WebhookSink:
    """A local HTTP server answering with the statuses it is given, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        statuses_left = list(statuses or [])
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sink.requests.append((dict(self.headers), body))
                status = statuses_left.pop(0) if statuses_left else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


# --- the notifier ----------------------------------------------------------------------

def settings_for(system: System, home: Path, *, smtp_port: int | None = None,
                 webhook: str | None = None, kinds: tuple[str, ...] = ()) -> NotifierSettings:
    channels = Channels(smtp_host="127.0.0.1" if smtp_port else None, smtp_port=smtp_port or 25,
                        email_pattern="{username}@example.org", webhook_url=webhook,
                        webhook_secret=SECRET if webhook else None)
    return NotifierSettings(home=home, nats_url=system.nats_url, channels=channels, kinds=kinds,
                            tick_seconds=0.05, retry_base_seconds=1.0, retry_max_seconds=60.0)


@asynccontextmanager
async def notifier(system: System, home: Path, **over: Any) -> AsyncIterator[Runtime]:
    runtime = bootstrap(settings_for(system, home, **over), clock=system.clock)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def eventually(check: Callable[[], Awaitable[bool]] | Callable[[], bool],
                     within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def rpc(system: System, name: str, body: object) -> dict[str, Any]:
    reply = await system.nc.request(f"tinhhinh.svc.v1.{name}", json.dumps(body).encode(),
                                    timeout=10)
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


async def inbox(system: System, username: str, status: str = "open") -> list[dict[str, Any]]:
    answer = await rpc(system, "alerts.list", {"account_id": str(account_id(username)),
                                               "status": status})
    assert answer["status"] == 200, answer
    alerts: list[dict[str, Any]] = answer["body"]["alerts"]
    return alerts


def urgent(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "urgent", "area_id": AREA, "assessment": "complex",
        "summary": "Người dân tập trung đông trước UBND phường",
        "hot_spots": [{"category": "land", "severity": "urgent",
                       "title": "Tranh chấp đất <đền bù> & giải phóng mặt bằng"}]}
    body.update(over)
    return body


def weekly(area: str, period: str) -> dict[str, object]:
    return {"kind": "weekly", "area_id": area, "period": period, "assessment": "stable",
            "summary": "Ổn định"}


def printed_json(out: str) -> Any:
    """The JSON document the CLI printed last (structlog shares stdout in tests)."""
    lines = out.splitlines()
    start = max(i for i, line in enumerate(lines) if line in ("[", "[]"))
    return json.loads("\n".join(lines[start:]))


async def alerts_in_stream(system: System) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    # As an operator reads it: the reader user may read the alerts stream, not the intake.
    nc = await nats.connect(system.nats_url, **nats_auth.connect_options(
        system.runtime.settings.home, nats_auth.READER))
    try:
        js = nc.jetstream()
        info = await js.stream_info(ALERTS_STREAM)
        out = []
        for seq in range(1, (info.state.last_seq or 0) + 1):
            msg = await js.get_msg(ALERTS_STREAM, seq=seq)
            out.append((msg.subject, dict(msg.headers or {}), json.loads(msg.data or b"{}")))
        return out
    finally:
        await nc.close()


# --- hot spots ---------------------------------------------------------------------------

async def test_urgent_hot_spot_reaches_the_line_at_once_and_no_unrelated_leader(
        system: System, home: Path, smtp: SmtpSink):
    async with notifier(system, home, smtp_port=smtp.port):
        token = await system.token(CADRE)
        resp = await system.submit(token, "u-1", **urgent())
        assert resp.status_code == 201, resp.text
        await eventually(lambda: len(smtp.messages) == len(LINE))
        for leader in LINE:
            [alert] = await inbox(system, leader)
            assert alert["kind"] == "hot_spot" and alert["severity"] == "urgent"
            assert alert["area_name"] and alert["report_id"] == resp.json()["report_id"]
            [mail] = smtp.to(leader)
            assert "Điểm nóng mức khẩn cấp" in str(mail["Subject"])
            html = mail.get_body(("html",))
            assert html is not None
            assert "&lt;đền bù&gt; &amp; giải phóng" in html.get_content()
            text = mail.get_body(("plain",))
            assert text is not None and "<đền bù> & giải phóng" in text.get_content()
        for leader in UNRELATED:
            assert await inbox(system, leader, "all") == []
            assert smtp.to(leader) == []
        assert smtp.to(CADRE) == []


async def test_only_an_addressee_acknowledges_and_the_inbox_says_so(system: System, home: Path):
    async with notifier(system, home):
        token = await system.token(CADRE)
        await system.submit(token, "u-1", **urgent())
        await eventually(lambda: inbox(system, "ld.ccb.thuanthanh"))
        [alert] = await inbox(system, "ld.ccb.thuanthanh")
        assert alert["message_vi"].startswith("Điểm nóng mức khẩn cấp")
        client = NotifierClient(system.nc)
        with pytest.raises(DomainError) as refused:
            await client.ack(account_id("ld.ccb.tramlo"), alert["alert_id"])
        assert refused.value.status == 404 and refused.value.message_vi
        acked = await client.ack(account_id("ld.ccb.thuanthanh"), alert["alert_id"])
        assert acked["status"] == "acknowledged"
        assert (await client.alerts(account_id("ld.ccb.thuanthanh")))["alerts"] == []
        acknowledged = await client.alerts(account_id("ld.bdv.tinhuy"), "acknowledged")
        assert len(acknowledged["alerts"]) == 1 and acknowledged["total"] == 1
    with pytest.raises(DomainError) as down:
        await NotifierClient(system.nc, timeout=1).alerts(account_id("ld.bdv.tinhuy"))
    assert down.value.status == 503


async def test_bad_requests_are_refused_with_vietnamese_errors(system: System, home: Path):
    async with notifier(system, home):
        bad_status = await rpc(system, "alerts.list", {"account_id": str(account_id(CADRE)),
                                                       "status": "whatever"})
        not_object = await rpc(system, "alerts.ack", ["x"])
        bad_time = await rpc(system, "overdue", {"at": "2026-11-26 14:00"})
        for answer in (bad_status, not_object, bad_time):
            assert answer["status"] == 422 and answer["body"]["error"]["message_vi"]
        assert bad_time["body"]["error"]["field"] == "at"


async def test_alerts_are_published_on_nats_with_ids_only_and_the_delivery_id(
        system: System, home: Path):
    async with notifier(system, home) as runtime:
        token = await system.token(CADRE)
        await system.submit(token, "u-1", **urgent())

        async def published() -> bool:
            return bool(await alerts_in_stream(system))
        await eventually(published)
        await eventually(lambda: runtime.dispatchers["nats"].sent >= 1)
        [(subject, headers, payload)] = await alerts_in_stream(system)
        assert subject == "tinhhinh.alerts.hot_spot.bdv-tinh-uy"
        assert headers[wire.MSG_ID_HEADER] == payload["delivery_id"]
        assert payload["change"] == "raised" and payload["area_id"] == AREA
        assert "Tranh chấp" not in json.dumps(payload, ensure_ascii=False)


async def last_report(system: System) -> tuple[str, dict[str, Any]]:
    """(subject, envelope) of the last ReportSubmitted on the stream."""
    js = system.nc.jetstream()
    seq = (await js.stream_info(EVENTS_STREAM)).state.last_seq
    while True:
        msg = await js.get_msg(EVENTS_STREAM, seq=seq)
        envelope: dict[str, Any] = json.loads(msg.data or b"{}")
        if envelope["type"] == "ReportSubmitted":
            return str(msg.subject), envelope
        seq -= 1


async def test_malformed_envelopes_are_dead_lettered_once_and_alerts_go_on(
        system: System, home: Path):
    js = system.nc.jetstream()
    async with notifier(system, home) as runtime:
        token = await system.token(CADRE)
        assert (await system.submit(token, "u-1", **urgent())).status_code == 201
        await eventually(lambda: inbox(system, LINE[0]))
        subject, real = await last_report(system)
        # Given, straight on the stream: a report without data, a weekly one for a week that
        # does not exist, and a copy of the real one claiming position 10**15
        empty = json.dumps({**real, "data": {}}).encode()
        no_week = json.dumps({**real, **another_version(real), "data": {
            **real["data"], "kind": "weekly", "period": "2026-W99"}}).encode()
        forged = json.dumps({**real, "position": 10**15}).encode()
        bad = [(await js.publish(subject, payload)).seq for payload in (empty, no_week)]
        await js.publish(subject, forged)
        # When a real urgent report follows them
        resp = await system.submit(token, "u-2", **urgent(summary="Lần hai"))
        assert resp.status_code == 201, resp.text
        # Then it is alerted, and the copy raised nothing
        await eventually(lambda: len(runtime.service.book.alerts) == 2)
        alerts = await inbox(system, LINE[0])
        assert sorted(a["report_id"] for a in alerts) == sorted(
            [real["aggregate_id"], resp.json()["report_id"]])
        # And each malformed envelope is one dead letter: sequence, subject, reason, bytes
        letters = sorted(runtime.service.book.dead_letters.values(), key=lambda d: d.seq)
        assert [(d.seq, d.subject, d.payload) for d in letters] == [
            (bad[0], subject, empty), (bad[1], subject, no_week)]
        assert "lacks 'kind'" in letters[0].reason and "2026-W99" in letters[1].reason
        assert runtime.health()["dead_letters"] == 2
        info = await js.consumer_info(EVENTS_STREAM, "notifier")
        assert info.num_ack_pending == 0 and info.num_redelivered == 0
    # And after a restart they are still there, once each, and nothing came back
    async with notifier(system, home) as again:
        assert again.health()["dead_letters"] == 2
        assert len(again.service.book.alerts) == 2


class FailingStore(AlertStore):
    """The notifier's real store, whose saves fail while `failing` is set (a full disk)."""

    name = AlertStore.name
    failing = False

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if self.failing:
            raise OSError("injected: database or disk is full")
        return super().save(*objs, **kwargs)


async def test_a_message_failing_for_over_a_minute_shows_the_notifier_stuck(
        system: System, home: Path):
    store = FailingStore(env=alert_store_env(home))
    runtime = bootstrap(settings_for(system, home), clock=system.clock, store=store)
    await runtime.start()
    try:
        consumer = runtime.consumer
        assert consumer is not None
        # Given an urgent report the notifier cannot save alerts for
        store.failing = True
        token = await system.token(CADRE)
        assert (await system.submit(token, "u-1", **urgent())).status_code == 201
        await eventually(lambda: consumer.health.failures >= 1)
        assert runtime.health()["status"] == "ok"
        # When a minute passes without progress
        system.clock.set(system.clock.now() + timedelta(seconds=61))
        # Then its health says stuck, why, and what waits
        health = (await rpc(system, "notifier.health", {}))["body"]
        assert health["status"] == "stuck"
        assert "disk is full" in health["reason"] and "disk is full" in health["last_error"]
        # And once the store takes writes again the alert is raised and it is healthy
        store.failing = False
        await eventually(lambda: inbox(system, LINE[0]))
        await eventually(lambda: runtime.health()["status"] == "ok")
    finally:
        await runtime.stop()


# --- deadlines ---------------------------------------------------------------------------

async def test_the_weekly_ladder_reminds_flags_and_escalates_by_email(
        system: System, home: Path, smtp: SmtpSink):
    # Given every cadre sent W46 and W47, and the notifier watches weekly reports
    tokens = {u: await system.token(u) for u in (CADRE, "cb.thuanthanh.dongho",
                                                  "cb.tramlo.tramlo", "cb.tramlo.nghian")}
    areas = {CADRE: AREA, "cb.thuanthanh.dongho": "thuan-thanh-dong-ho",
             "cb.tramlo.tramlo": "tram-lo-tram-lo", "cb.tramlo.nghian": "tram-lo-nghi-an"}
    for user, token in tokens.items():
        for period in ("2026-W46", "2026-W47"):
            await system.submit(token, f"{user}-{period}", **weekly(areas[user], period))
    async with notifier(system, home, smtp_port=smtp.port, kinds=("weekly",)) as runtime:
        # When it is Thursday 10:00, the cadres are reminded
        await eventually(lambda: len(smtp.messages) == 4)
        assert "Nhắc gửi" in str(smtp.to(CADRE)[0]["Subject"])
        # and a report sent at 13:59:59 takes its cadre off the ladder
        system.clock.set(THURSDAY_1400 - timedelta(seconds=1))
        await system.submit(tokens[CADRE], "w48", **weekly(AREA, "2026-W48"))
        await eventually(lambda: runtime.consumer is not None
                         and runtime.consumer.position >= system.runtime.relay.position)  # type: ignore[union-attr]
        system.clock.set(THURSDAY_1400)
        await runtime.sweep()
        await eventually(lambda: len(smtp.messages) == 4 + 6)
        assert len(smtp.to(CADRE)) == 1
        assert len(smtp.to("ld.ch.thuanthanh.dongho")) == 1
        assert "Quá hạn" in str(smtp.to("ld.ch.thuanthanh.dongho")[0]["Subject"])
        assert smtp.to("ld.ccb.thuanthanh") == []
        # Then 24 hours later the commune associations get one digest each
        system.clock.set(THURSDAY_1400 + timedelta(hours=24))
        await runtime.sweep()
        await eventually(lambda: len(smtp.messages) == 10 + 2)
        [digest] = smtp.to("ld.ccb.tramlo")
        assert "2 thông báo" in str(digest["Subject"]) or "Chuyển cấp" in str(digest["Subject"])
        assert len(smtp.to("ld.ccb.thuanthanh")) == 1


async def test_overdue_is_exact_to_the_second_over_rpc_and_cli(
        system: System, home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    token = await system.token(CADRE)
    for period in ("2026-W47", "2026-W48"):
        await system.submit(token, period, **weekly(AREA, period))
    before = (THURSDAY_1400 - timedelta(seconds=1)).isoformat()
    at = THURSDAY_1400.isoformat()
    monkeypatch.setenv("NATS_URL", system.nats_url)
    # With no notifier running the CLI reads the stream itself
    assert await asyncio.to_thread(overdue_command, home, at, True) == 0
    from_stream = printed_json(capsys.readouterr().out)
    async with notifier(system, home, kinds=("weekly",)):
        answer = await rpc(system, "overdue", {"at": at})
        early = await rpc(system, "overdue", {"at": before})
        scoped = await rpc(system, "overdue", {"at": at,
                                               "account_id": str(account_id("ld.ccb.tramlo"))})
        assert await asyncio.to_thread(overdue_command, home, at, True) == 0
        from_rpc = printed_json(capsys.readouterr().out)
    rows = answer["body"]["overdue"]
    assert answer["body"]["next_cursor"] is None and answer["body"]["total"] == len(rows)
    w48 = {(r["cadre_id"], r["area_id"]) for r in rows if r["period"] == "2026-W48"}
    assert w48 == {("cb-thuan-thanh-dong-ho", "thuan-thanh-dong-ho"),
                   ("cb-tram-lo-tram-lo", "tram-lo-tram-lo"),
                   ("cb-tram-lo-nghi-an", "tram-lo-nghi-an")}
    assert not [r for r in early["body"]["overdue"] if r["period"] == "2026-W48"]
    assert {r["area_id"] for r in scoped["body"]["overdue"]} == {"tram-lo-tram-lo",
                                                                  "tram-lo-nghi-an"}
    row = next(r for r in rows if r["area_id"] == "tram-lo-nghi-an"
               and r["period"] == "2026-W48")
    assert row == {"kind": "weekly", "period": "2026-W48", "cadre_id": "cb-tram-lo-nghi-an",
                   "area_id": "tram-lo-nghi-an", "unit_id": "ch-tram-lo-nghi-an",
                   "deadline": "2026-11-26T07:00:00+00:00"}
    assert from_rpc == rows
    # The stream fallback knows no notifier.toml here, so it judges every kind.
    assert sorted((r for r in from_stream if r["kind"] == "weekly"), key=json.dumps) == \
        sorted(rows, key=json.dumps)


async def test_cli_without_nats_reads_the_store_and_refuses_a_bad_time(
        system: System, home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("NATS_URL", f"nats://127.0.0.1:{free_port()}")
    (home / "notifier.toml").write_text('[notifier]\nexpected_kinds = ["weekly"]\n')
    at = THURSDAY_1400.isoformat()
    assert await asyncio.to_thread(overdue_command, home, at, False) == 0
    out = capsys.readouterr().out
    assert "Quá hạn lúc 14:00 thứ Năm, 26/11/2026: 8 báo cáo chưa gửi" in out
    assert await asyncio.to_thread(overdue_command, home, "thursday", True) == 2
    assert "ISO 8601" in capsys.readouterr().err


# --- channels ----------------------------------------------------------------------------

async def test_webhook_is_signed_and_retried_with_backoff_until_it_answers(
        system: System, home: Path):
    sink = WebhookSink(statuses=[503, 502])
    try:
        async with notifier(system, home, webhook=sink.url) as runtime:
            token = await system.token(CADRE)
            await system.submit(token, "u-1", **urgent())
            await eventually(lambda: len(sink.requests) == 1)
            dispatcher = runtime.dispatchers["webhook"]
            await eventually(lambda: dispatcher.failures == 1)
            for _ in range(3):  # 1 s, then 2 s of backoff, on the test's clock
                system.clock.advance(timedelta(seconds=2))
                dispatcher.wake()
                await asyncio.sleep(0.2)
            await eventually(lambda: len(sink.requests) == 2 + len(LINE))
            await asyncio.sleep(0.3)
            assert len(sink.requests) == 2 + len(LINE)
    finally:
        sink.close()
    deliveries = [h["X-Tinhhinh-Delivery"] for h, _ in sink.requests]
    assert deliveries[0] == deliveries[1] == deliveries[2]
    assert len(set(deliveries)) == len(LINE)
    for headers, body in sink.requests:
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Tinhhinh-Signature"] == f"sha256={expected}"
        payload = json.loads(body)
        assert payload["delivery_id"] == headers["X-Tinhhinh-Delivery"]
        assert "Điểm nóng" in payload["subject"]


async def test_a_mail_server_down_for_ten_minutes_gets_each_message_once_when_back(
        system: System, home: Path):
    sink = SmtpSink()  # not started: the port refuses connections
    try:
        async with notifier(system, home, smtp_port=sink.port) as runtime:
            token = await system.token(CADRE)
            await system.submit(token, "u-1", **urgent())
            dispatcher = runtime.dispatchers["email"]
            await eventually(lambda: dispatcher.failures >= 1)
            for _ in range(10):
                system.clock.advance(timedelta(minutes=1))
                dispatcher.wake()
                await asyncio.sleep(0.1)
            sink.start()
            system.clock.advance(timedelta(minutes=1))
            dispatcher.wake()
            await eventually(lambda: len(sink.messages) == len(LINE))
            system.clock.advance(timedelta(minutes=5))
            dispatcher.wake()
            await asyncio.sleep(0.5)
    finally:
        sink.stop()
    assert len(sink.messages) == len(set(sink.ids())) == len(LINE)


async def test_alerts_over_http_come_in_pages_that_walk_every_alert_once(
        system: System, home: Path):
    async with notifier(system, home):
        # Given three urgent hot spots, each alerting the commune's leader
        token = await system.token(CADRE)
        for n in range(3):
            system.clock.advance(timedelta(minutes=1))
            await system.submit(token, f"page-{n}", **urgent())
        await eventually(lambda: _count(inbox(system, "ld.ccb.thuanthanh"), 3))
        leader = {"Authorization": f"Bearer {await system.token('ld.ccb.thuanthanh')}"}
        # When the leader reads them two at a time
        first = (await system.client.get("/api/v1/alerts?status=open&limit=2",
                                         headers=leader)).json()
        second = (await system.client.get(
            f"/api/v1/alerts?status=open&limit=2&cursor={first['next_cursor']}",
            headers=leader)).json()
        # Then two pages, newest first, every alert once, the total on each
        assert (len(first["alerts"]), len(second["alerts"])) == (2, 1)
        assert first["total"] == second["total"] == 3 and second["next_cursor"] is None
        ids = [a["alert_id"] for a in first["alerts"] + second["alerts"]]
        assert len(set(ids)) == 3
        raised = [a["raised_at"] for a in first["alerts"] + second["alerts"]]
        assert raised == sorted(raised, reverse=True)
        # And a cursor or a limit it did not give is refused, naming it
        bad_cursor = await system.client.get("/api/v1/alerts?cursor=abc", headers=leader)
        too_many = await system.client.get("/api/v1/alerts?limit=501", headers=leader)
        assert bad_cursor.status_code == 422
        assert bad_cursor.json()["error"]["field"] == "cursor"
        assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "limit"


async def _count(alerts: Awaitable[list[dict[str, Any]]], n: int) -> bool:
    return len(await alerts) == n
