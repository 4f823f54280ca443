"""Kill the notifier at each step; after a restart every notification goes out exactly once.

In process, a gate holds a delivery between the outbox commit and the send, or
between the send and its record, and the runtime is then dropped as a crash
would drop it; as a subprocess, the notifier is SIGKILLed at those same steps.
Exactly once is by delivery id: the one window where a channel can see a message
twice is a kill after the channel took it and before the notifier recorded it,
and then it sees the same Message-ID, which is what receivers de-duplicate on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from nats.aio.msg import Msg

from domain.delivery import EMAIL, Delivery
from services.notifier.bootstrap import Runtime, bootstrap
from services.notifier.mailer import SmtpSender
from tests.integration.conftest import System
from tests.integration.sinks import SmtpSink
from tests.integration.test_notifier import (
    CADRE,
    LINE,
    eventually,
    inbox,
    rpc,
    settings_for,
    urgent,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class Gate:
    """A sender that stops for good before or after handing a message to SMTP."""

    def __init__(self, inner: SmtpSender, hold: str) -> None:
        self.inner = inner
        self.hold = hold
        self.reached = asyncio.Event()

    async def send(self, delivery: Delivery) -> None:
        if self.hold == "before_send":
            self.reached.set()
            await asyncio.Event().wait()
        await self.inner.send(delivery)
        if self.hold == "after_send":
            self.reached.set()
            await asyncio.Event().wait()


async def crash(runtime: Runtime) -> None:
    """Drop the runtime mid-flight: no drain, no final bookkeeping, in-flight work lost."""
    # Bounded: a crashed process waits for nothing. (A full-suite run once hung here,
    # awaiting in-flight work forever; the crash must not depend on it finishing.)
    for task in runtime._tasks:
        task.cancel()
    for task in runtime._tasks:
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 5)
    if runtime.broker is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runtime.broker.stop(), 5)
    if runtime.nc is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runtime.nc.close(), 5)
    runtime.executor.shutdown(wait=True)
    runtime.store.close()


@asynccontextmanager
async def restarted(system: System, home: Path, smtp: SmtpSink) -> AsyncIterator[Runtime]:
    settings = dataclasses.replace(settings_for(system, home, smtp_port=smtp.port),
                                   ack_wait_seconds=1.0)
    runtime = bootstrap(settings, clock=system.clock)
    await runtime.start()
    try:
        yield runtime
    finally:
        # What these tests check is delivery after a restart, not the clean stop after it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runtime.stop(), 15)


async def gated(system: System, home: Path, smtp: SmtpSink, hold: str) -> tuple[Runtime, Gate]:
    settings = dataclasses.replace(settings_for(system, home, smtp_port=smtp.port),
                                   ack_wait_seconds=1.0)
    gate = Gate(SmtpSender(settings.channels), hold)
    runtime = bootstrap(settings, clock=system.clock, senders={EMAIL: gate})
    await runtime.start()
    return runtime, gate


async def submit_urgent(system: System) -> None:
    token = await system.token(CADRE)
    resp = await system.submit(token, "u-1", **urgent())
    assert resp.status_code == 201, resp.text


def assert_each_leader_has_one_message_id(smtp: SmtpSink) -> None:
    for leader in LINE:
        assert len({str(m["Message-ID"]) for m in smtp.to(leader)}) == 1, leader
    assert len(set(smtp.ids())) == len(LINE)


async def test_killed_between_the_commit_and_the_send(system: System, home: Path,
                                                      smtp: SmtpSink):
    runtime, gate = await gated(system, home, smtp, "before_send")
    await submit_urgent(system)
    await asyncio.wait_for(gate.reached.wait(), 10)
    await crash(runtime)
    assert smtp.messages == []
    async with restarted(system, home, smtp):
        await eventually(lambda: len(smtp.messages) == len(LINE))
        await asyncio.sleep(0.5)
    assert len(smtp.messages) == len(LINE)
    assert_each_leader_has_one_message_id(smtp)


async def test_killed_after_the_send_before_it_was_recorded(system: System, home: Path,
                                                            smtp: SmtpSink):
    runtime, gate = await gated(system, home, smtp, "after_send")
    await submit_urgent(system)
    await asyncio.wait_for(gate.reached.wait(), 10)
    await crash(runtime)
    [first] = smtp.messages
    async with restarted(system, home, smtp):
        await eventually(lambda: len(set(smtp.ids())) == len(LINE))
        await asyncio.sleep(0.5)
    # The one message in flight went again, under the same Message-ID; nothing else did.
    assert Counter(smtp.ids()) == Counter({**{i: 1 for i in smtp.ids()},
                                          str(first["Message-ID"]): 2})
    assert_each_leader_has_one_message_id(smtp)


async def test_killed_after_the_commit_before_the_stream_ack(
        system: System, home: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch):
    never: asyncio.Event = asyncio.Event()
    real_ack = Msg.ack

    async def lost_ack(self: Msg) -> None:
        if b'"ReportSubmitted"' in self.data:  # the crash comes before this ack
            await never.wait()
        await real_ack(self)

    monkeypatch.setattr(Msg, "ack", lost_ack)
    runtime, gate = await gated(system, home, smtp, "before_send")
    await submit_urgent(system)
    await asyncio.wait_for(gate.reached.wait(), 10)
    await crash(runtime)
    monkeypatch.undo()
    async with restarted(system, home, smtp) as again:
        # JetStream redelivers the unacknowledged report after ack_wait
        await eventually(lambda: again.consumer is not None and again.consumer.position > 0)
        await eventually(lambda: len(smtp.messages) == len(LINE))
        await asyncio.sleep(0.5)
        assert len(await inbox(system, "ld.ccb.thuanthanh")) == 1
    assert len(smtp.messages) == len(LINE)
    assert_each_leader_has_one_message_id(smtp)


# --- a real process, really killed ---------------------------------------------------------

class NotifierProcess:
    def __init__(self, home: Path, nats_url: str) -> None:
        self.home = home
        self.env = {**os.environ, "NATS_URL": nats_url, "TINHHINH_HOME": str(home)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.runs += 1
        with (self.home / f"notifier-{self.runs}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "services.notifier", "--home", str(self.home)],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)

    async def start(self, system: System) -> None:
        self.proc = self._spawn()

        async def healthy() -> bool:
            try:
                answer = await rpc(system, "notifier.health", {})
            except Exception:  # not answering yet
                return False
            return bool(answer["body"]["status"] == "ok")
        await eventually(healthy, within=30)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def configure(home: Path, smtp_port: int) -> None:
    (home / "notifier.toml").write_text(
        "[notifier]\n"
        'smtp_host = "127.0.0.1"\n'
        f"smtp_port = {smtp_port}\n"
        'email_pattern = "{username}@example.org"\n'
        "expected_kinds = []\n"
        "tick_seconds = 0.2\n", encoding="utf-8")


@pytest.fixture
async def process(system: System, home: Path) -> AsyncIterator[NotifierProcess]:
    proc = NotifierProcess(home, system.nats_url)
    try:
        yield proc
    finally:
        proc.stop()


async def test_sigkilled_process_with_mail_down_sends_once_after_restart(
        system: System, home: Path, process: NotifierProcess):
    sink = SmtpSink()
    configure(home, sink.port)
    try:
        await process.start(system)
        await submit_urgent(system)
        await eventually(lambda: inbox(system, "ld.bdv.tinhuy"))
        process.kill()  # the alert is committed; the mail server never answered
        sink.start()
        await process.start(system)
        await eventually(lambda: len(sink.messages) == len(LINE), within=20)
        process.kill()  # everything sent and recorded
        await process.start(system)
        await asyncio.sleep(1.0)
        assert len(sink.messages) == len(LINE)
        assert_each_leader_has_one_message_id(sink)
        assert len(await inbox(system, "ld.bdv.tinhuy")) == 1
    finally:
        sink.stop()


async def test_sigkilled_in_the_middle_of_an_smtp_transaction(
        system: System, home: Path, process: NotifierProcess):
    sink = SmtpSink()
    configure(home, sink.port)

    def kill_once() -> None:
        # Killed before the server's 250: the notifier cannot know the mail arrived.
        sink.on_data = None
        process.kill()

    sink.on_data = kill_once
    sink.start()
    try:
        await process.start(system)
        await submit_urgent(system)
        await eventually(lambda: process.proc is not None and process.proc.poll() is not None,
                         within=20)
        assert len(sink.messages) == 1
        first = str(sink.messages[0]["Message-ID"])
        await process.start(system)
        await eventually(lambda: len(set(sink.ids())) == len(LINE), within=20)
        await asyncio.sleep(1.0)
    finally:
        sink.stop()
    counts: Counter[Any] = Counter(sink.ids())
    assert counts[first] == 2 and sum(counts.values()) == len(LINE) + 1
    assert_each_leader_has_one_message_id(sink)
