"""The aggregator against a real nats-server: reports in through the intake, rollups out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nats.errors
import pytest
from nats.aio.msg import Msg

from domain.access import may_read_rollup
from domain.ids import account_id
from services.aggregator.bootstrap import Runtime, bootstrap
from services.aggregator.consumer import DURABLE, ConsumerSettings, ack, sequence
from services.common.contracts import AGGREGATOR_HEALTH, ROLLUPS_GET
from services.common.settings import Settings
from services.common.streams import EVENTS_STREAM
from tests.integration.conftest import VN, System

pytestmark = pytest.mark.integration

DONG_COI = ("cb.thuanthanh.dongcoi", "thuan-thanh-dong-coi")
TRAM_LO = ("cb.tramlo.tramlo", "tram-lo-tram-lo")
# Short, so that what was never acknowledged comes back within a test.
SETTINGS = ConsumerSettings(ack_wait=1.0, fetch_timeout=0.2)

Acker = Callable[[Msg], Awaitable[None]]


def another_version(envelope: dict[str, Any]) -> dict[str, Any]:
    """Another event of the same aggregate, with the id the relay would give it."""
    version = int(envelope["aggregate_version"]) + 100
    return {"aggregate_version": version,
            "event_id": f"{envelope['aggregate_id'].replace('-', '')}-{version}"}


def start(system: System, acker: Acker = ack) -> Runtime:
    return bootstrap(Settings(home=system.runtime.settings.home, nats_url=system.nats_url),
                     system.clock, consumer=SETTINGS, acker=acker)


@pytest.fixture
async def aggregator(system: System) -> AsyncIterator[Runtime]:
    runtime = start(system)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def stream_last(system: System) -> int:
    return int((await system.nc.jetstream().stream_info(EVENTS_STREAM)).state.last_seq)


async def caught_up(system: System, runtime: Runtime) -> int:
    last = await stream_last(system)
    assert await runtime.wait_applied(last, within=10), "the aggregator did not catch up"
    return last


async def submit(system: System, who: tuple[str, str], key: str, **body: Any) -> None:
    username, area = who
    token = await system.token(username)
    report = {"kind": "weekly", "area_id": area, "period": "2026-W48",
              "assessment": "stable", "summary": "Ổn định"}
    report.update(body)
    resp = await system.submit(token, key, **report)
    assert resp.status_code == 201, resp.text


async def ask(system: System, **request: Any) -> dict[str, Any]:
    # On behalf of an account that reads the whole tree (the aggregator checks it).
    request.setdefault("account_id", str(account_id("ld.bdv.tinhuy")))
    reply = await system.nc.request(ROLLUPS_GET.subject, json.dumps(request).encode(), timeout=5)
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


async def rollup(system: System, unit_id: str = "ccb-tinh", period: str = "2026-W48",
                 ) -> dict[str, Any]:
    answer = await ask(system, unit_id=unit_id, period=period)
    assert answer["status"] == 200, answer
    body: dict[str, Any] = answer["body"]
    return body


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_reports_submitted_to_the_intake_roll_up_over_nats(
    system: System, aggregator: Runtime,
):
    await submit(system, DONG_COI, "w48-a", hot_spots=[
        {"category": "land", "severity": "high", "title": "Tranh chấp đất"}])
    system.clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    await submit(system, TRAM_LO, "w48-b", assessment="attention")
    await caught_up(system, aggregator)
    province = await rollup(system)
    assert (province["expected"], province["received"], province["late"]) == (4, 2, 1)
    assert province["assessment"] == "attention"
    assert province["hot_spots"][0]["area_id"] == DONG_COI[1]
    assert {(m["area_id"]) for m in province["missing"]} == {"thuan-thanh-dong-ho",
                                                              "tram-lo-nghi-an"}
    ward = await rollup(system, "ccb-thuan-thanh")
    assert (ward["expected"], ward["received"], ward["completeness"]) == (2, 1, 0.5)
    html = await ask(system, unit_id="ccb-thuan-thanh", period="2026-W48", format="html")
    assert html["status"] == 200 and "BÁO CÁO" in html["html"]
    nowhere = await ask(system, unit_id="ccb-nowhere", period="2026-W48")
    assert nowhere["status"] == 404 and nowhere["body"]["error"]["message_vi"]
    bad = await ask(system, unit_id="ccb-tinh", period="W48")
    assert (bad["status"], bad["body"]["error"]["field"]) == (422, "period")


async def test_a_backlog_spanning_many_periods_is_applied_in_one_batch_without_wedging(
    system: System,
):
    # Given twenty weeks of reports (all but this week's late) submitted while it is down
    weeks = [f"2026-W{week:02d}" for week in range(29, 49)]
    for week in weeks:
        await submit(system, DONG_COI, f"late-{week}", period=week)
    last = await stream_last(system)
    # When it starts and pulls them all in one batch
    runtime = start(system)
    await runtime.start()
    try:
        # Then it applies the batch once, without a failure, and counts every week
        assert await runtime.wait_applied(last, within=10), "the aggregator wedged"
        assert runtime.consumer is not None and runtime.consumer.failures == 0
        oldest = await rollup(system, "ccb-thuan-thanh", weeks[0])
        assert (oldest["received"], oldest["late"]) == (1, 1)
        current = await rollup(system, "ccb-thuan-thanh", weeks[-1])
        assert (current["received"], current["on_time"]) == (1, 1)
        assert runtime.health()["status"] == "ok"
        # And `tinhhinh replay` reads the same backlog in one batch too
        from services.aggregator.replay import replay

        assert await replay(runtime.path.parent, system.nats_url) == last
        assert await rollup(system, "ccb-thuan-thanh", weeks[0]) == oldest
    finally:
        await runtime.stop()


async def published_envelopes(system: System) -> list[tuple[str, dict[str, Any]]]:
    """(subject, envelope) of every message on the stream, in order."""
    js = system.nc.jetstream()
    last = await stream_last(system)
    out = []
    for seq in range(1, last + 1):
        msg = await js.get_msg(EVENTS_STREAM, seq)
        out.append((str(msg.subject), json.loads(msg.data or b"{}")))
    return out


async def test_malformed_envelopes_are_dead_lettered_once_and_a_forged_position_changes_nothing(
    system: System, aggregator: Runtime,
):
    js = system.nc.jetstream()
    await submit(system, DONG_COI, "w48-a")
    subject, real = (await published_envelopes(system))[-1]
    # Given, straight on the stream between real reports: a report without data, one for a
    # week that does not exist, and a copy of the real one that claims position 10**15
    empty = json.dumps({**real, "data": {}}).encode()
    no_week = json.dumps({**real, **another_version(real), "data": {
        **real["data"], "period": "2026-W99"}}).encode()
    forged = json.dumps({**real, "position": 10**15}).encode()
    bad = [(await js.publish(subject, payload)).seq for payload in (empty, no_week)]
    await js.publish(subject, forged)
    await submit(system, TRAM_LO, "w48-b")
    # When the aggregator has read them all
    await caught_up(system, aggregator)
    # Then the real reports are counted, once each, and the later one was not dropped
    province = await rollup(system)
    assert (province["received"], province["reports"]) == (2, 2)
    # And each malformed one is one dead letter: sequence, subject, reason, raw bytes
    expected = [(bad[0], subject, empty), (bad[1], subject, no_week)]

    def letters() -> list[tuple[Any, ...]]:
        with sqlite3.connect(aggregator.path) as db:
            return db.execute("SELECT seq, subject, payload, reason FROM dead_letters "
                              "ORDER BY seq").fetchall()
    assert [row[:3] for row in letters()] == expected
    assert "lacks 'kind'" in letters()[0][3] and "2026-W99" in letters()[1][3]
    assert aggregator.health()["dead_letters"] == 2
    # And a restart (redelivering what was not acknowledged) records them no second time
    await aggregator.stop()
    await aggregator.start()
    await caught_up(system, aggregator)
    assert [row[:3] for row in letters()] == expected
    assert aggregator.health()["dead_letters"] == 2
    assert (await rollup(system))["received"] == 2


async def test_a_lost_ack_brings_the_message_back_and_it_is_counted_once(system: System):
    # Given an aggregator whose first acknowledgements never reach the server
    acked: list[int] = []
    lost = 2

    async def lossy(msg: Msg) -> None:
        nonlocal lost
        acked.append(sequence(msg))
        if lost > 0:
            lost -= 1
            return
        await msg.ack()

    runtime = start(system, lossy)
    await runtime.start()
    try:
        await submit(system, DONG_COI, "w48-a")
        last = await caught_up(system, runtime)
        # When the ack wait passes, the server redelivers what it never saw acknowledged
        js = system.nc.jetstream()

        async def settled() -> bool:
            info = await js.consumer_info(EVENTS_STREAM, DURABLE)
            return info.num_ack_pending == 0 and info.ack_floor.stream_seq == last
        await eventually(settled)
        # Then the redelivered messages were acknowledged and nothing was counted twice
        assert len(acked) > len(set(acked))
        assert (await rollup(system))["received"] == 1
    finally:
        await runtime.stop()


async def fail_writing_a_hot_spot(system: System, aggregator: Runtime) -> None:
    """A report with a hot spot whose batch fails inside the transaction (an injected SQLite
    trigger, until `DROP TRIGGER fail_hot_spots`), once the consumer has failed on it."""
    with sqlite3.connect(aggregator.path) as db:
        db.execute("CREATE TRIGGER fail_hot_spots BEFORE INSERT ON hot_spots "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    consumer = aggregator.consumer
    assert consumer is not None
    await submit(system, DONG_COI, "w48-a", hot_spots=[
        {"category": "land", "severity": "low", "title": "Tranh chấp nhỏ"}])

    async def failed() -> bool:
        return consumer.failures >= 1
    await eventually(failed)


async def test_a_failed_transaction_rolls_back_and_is_applied_on_retry(
    system: System, aggregator: Runtime,
):
    await caught_up(system, aggregator)
    path = aggregator.path
    # Given a write that fails inside the transaction, after some of its rows
    await fail_writing_a_hot_spot(system, aggregator)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM reports").fetchone() == (0,)
        # When the cause goes away
        db.execute("DROP TRIGGER fail_hot_spots")
    # Then the batch is applied once, whole
    await caught_up(system, aggregator)
    province = await rollup(system)
    assert (province["received"], province["reports"], province["hot_spot_count"]) == (1, 1, 1)


async def test_a_batch_failing_for_over_a_minute_turns_healthz_503_naming_the_consumer(
    system: System, aggregator: Runtime,
):
    await caught_up(system, aggregator)
    system.runtime.settings = replace(system.runtime.settings, required_services=("aggregator",))
    assert (await system.client.get("/healthz")).status_code == 200
    # Given a batch whose write fails every time
    await fail_writing_a_hot_spot(system, aggregator)
    # When the clock passes a minute of failing on it
    system.clock.set(system.clock.now() + timedelta(seconds=61))
    # Then /healthz is 503 and names the stuck consumer and its last error
    resp = await system.client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["aggregator"] == "stuck"
    assert "injected failure" in resp.json()["reasons"]["aggregator"]
    # And /metrics shows how long, the lag and the failures
    metrics = (await system.client.get("/metrics")).text
    assert 'tinhhinh_consumer_up{consumer="aggregator"} 1.0' in metrics
    stuck = next(line for line in metrics.splitlines()
                 if line.startswith('tinhhinh_consumer_stuck_seconds{consumer="aggregator"}'))
    assert float(stuck.split()[-1]) >= 61
    assert 'tinhhinh_consumer_lag{consumer="aggregator"} 0.0' not in metrics
    # And once the cause is gone it catches up and is healthy again
    with sqlite3.connect(aggregator.path) as db:
        db.execute("DROP TRIGGER fail_hot_spots")
    await caught_up(system, aggregator)
    assert (await system.client.get("/healthz")).status_code == 200
    assert aggregator.health()["last_error"] is not None


async def test_a_crash_between_commit_and_ack_redelivers_and_counts_once(system: System):
    # Given an aggregator that commits and dies before any acknowledgement leaves
    async def crashed(_: Msg) -> None:
        return None

    first = start(system, crashed)
    await first.start()
    await submit(system, DONG_COI, "w48-a")
    last = await caught_up(system, first)
    await first.stop()
    info = await system.nc.jetstream().consumer_info(EVENTS_STREAM, DURABLE)
    assert info.ack_floor.stream_seq < last
    with sqlite3.connect(first.path) as db:
        assert db.execute("SELECT COUNT(*) FROM reports").fetchone() == (1,)
    # When it starts again on the same read model and the same durable consumer
    acked: list[int] = []

    async def recording(msg: Msg) -> None:
        acked.append(sequence(msg))
        await msg.ack()

    second = start(system, recording)
    await second.start()
    try:
        # Then the server redelivers what was committed, and it is ignored, then acked
        async def settled() -> bool:
            info = await system.nc.jetstream().consumer_info(EVENTS_STREAM, DURABLE)
            return info.ack_floor.stream_seq == last and info.num_ack_pending == 0
        await eventually(settled)
        assert acked and max(acked) <= last
        assert second.projector is not None and second.projector.position == last
        assert (await rollup(system))["received"] == 1
        # And the next report is counted as usual
        await submit(system, TRAM_LO, "w48-b")
        await caught_up(system, second)
        assert (await rollup(system))["received"] == 2
    finally:
        await second.stop()


async def test_a_replay_rebuilds_rollups_equal_to_the_live_ones(
    system: System, aggregator: Runtime,
):
    from services.aggregator.replay import replay

    await submit(system, DONG_COI, "w48-a", counts={"complaints_received": 2})
    system.clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=VN))
    await submit(system, TRAM_LO, "w48-b", assessment="complex", hot_spots=[
        {"category": "security", "severity": "urgent", "title": "Tụ tập đông người"}])
    await submit(system, TRAM_LO, "u-1", kind="urgent", period=None, assessment="complex")
    await caught_up(system, aggregator)
    queries = [(unit, period) for unit in ("bdv-tinh-uy", "ccb-tinh", "ccb-tram-lo",
                                           "ch-thuan-thanh-dong-coi")
               for period in ("2026-W48", "2026-11", "2026")]
    live = [await rollup(system, unit, period) for unit, period in queries]
    # When the read model is rebuilt from the stream while the aggregator runs
    progress: list[tuple[int, int]] = []
    position = await replay(aggregator.path.parent, system.nats_url,
                            lambda done, total: progress.append((done, total)))
    assert position == await stream_last(system)
    assert progress[-1] == (position, position)
    # Then every rollup reads the same as before
    assert [await rollup(system, unit, period) for unit, period in queries] == live
    # And the running aggregator notices the swap and carries on counting
    await submit(system, DONG_COI, "w48-c", summary="Bổ sung")
    await caught_up(system, aggregator)
    assert (await rollup(system))["duplicates"] == 1


async def test_a_restart_resumes_from_the_read_model(system: System):
    runtime = start(system)
    await runtime.start()
    await submit(system, DONG_COI, "w48-a")
    last = await caught_up(system, runtime)
    before = await rollup(system)
    await runtime.stop()
    again = start(system)
    await again.start()
    try:
        assert again.projector is not None and again.projector.position == last
        assert await rollup(system) == before
        await submit(system, TRAM_LO, "w48-b")
        await caught_up(system, again)
        assert (await rollup(system))["received"] == 2
    finally:
        await again.stop()


async def test_the_cli_prints_a_rollup_and_refuses_an_unknown_unit(
    system: System, aggregator: Runtime, capsys: pytest.CaptureFixture[str],
):
    from services.aggregator.cli import rollup_command

    await submit(system, DONG_COI, "w48-a")
    await caught_up(system, aggregator)
    home = aggregator.path.parent
    code = await asyncio.to_thread(rollup_command, home, "ccb-thuan-thanh", "2026-W48", "json")
    out = capsys.readouterr().out
    # The running aggregator logs to the same captured stdout: find the printed JSON in it.
    printed, _ = json.JSONDecoder().raw_decode(out[out.index('{\n  "unit_id"'):])
    assert code == 0 and printed["received"] == 1
    code = await asyncio.to_thread(rollup_command, home, "ccb-thuan-thanh", "2026-W48", "html")
    assert code == 0 and "BÁO CÁO" in capsys.readouterr().out
    code = await asyncio.to_thread(rollup_command, home, "ccb-nowhere", "2026-W48", "json")
    assert code == 1 and "Không tìm thấy đơn vị" in capsys.readouterr().err


async def test_the_intake_view_scopes_rollups_to_the_leaders_subtree(system: System):
    view = system.runtime.directory.view
    system.runtime.directory.refresh()
    assert may_read_rollup(view, "leader", "ccb-thuan-thanh", "ccb-thuan-thanh")
    assert may_read_rollup(view, "leader", "ccb-thuan-thanh", "ch-thuan-thanh-dong-coi")
    assert not may_read_rollup(view, "leader", "ccb-thuan-thanh", "ccb-tram-lo")
    assert may_read_rollup(view, "leader", "ccb-tinh", "ccb-tram-lo")
    assert not may_read_rollup(view, "cadre", "ch-thuan-thanh-dong-coi", "ccb-thuan-thanh")


async def test_the_replay_command_rebuilds_with_a_progress_bar(
    system: System, aggregator: Runtime, capsys: pytest.CaptureFixture[str],
):
    from services.aggregator.cli import replay_command

    await submit(system, DONG_COI, "w48-a")
    await caught_up(system, aggregator)
    before = await rollup(system, "ccb-thuan-thanh")
    code = await asyncio.to_thread(replay_command, aggregator.path.parent, system.nats_url)
    captured = capsys.readouterr()
    assert code == 0
    assert "Dựng lại" in captured.err and "100%" in captured.err
    assert "Đã dựng lại dữ liệu tổng hợp" in captured.out
    assert await rollup(system, "ccb-thuan-thanh") == before


async def test_the_service_runs_alone_and_stops_on_sigterm(system: System, tmp_path: Path):
    home = tmp_path / "aggregator-home"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.aggregator", "--home", str(home),
        env={**os.environ, "NATS_URL": system.nats_url},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async def answering() -> bool:
            try:
                reply = await system.nc.request(AGGREGATOR_HEALTH.subject, b"{}",
                                                timeout=1)
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                return False
            return bool(json.loads(reply.data)["body"]["status"] == "ok")
        await eventually(answering, within=20)
        assert (home / "aggregator.sqlite").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    assert b"aggregator_started" in err
