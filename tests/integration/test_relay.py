"""The relay against a nats-server that dies with publishes in flight (found by bench/faults.py:
kill:nats left every later report answered `published: false` until the intake restarted)."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import nats
import pytest

from services.common import wire
from services.common.natsd import EmbeddedNats
from services.common.streams import EVENTS_STREAM
from tests.integration.conftest import System

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"


def weekly(period: str) -> dict[str, object]:
    return {"kind": "weekly", "area_id": "thuan-thanh-dong-coi", "period": period,
            "assessment": "stable", "summary": "Ổn định"}


def submit(system: System, token: str, key: str, period: str) -> int:
    account = system.runtime.service.authenticate(token)
    outcome = system.runtime.service.submit(account, key, weekly(period))
    assert outcome.position is not None
    return outcome.position


async def report_ids_in_stream(url: str, auth: dict[str, Any]) -> list[str]:
    nc = await nats.connect(url, **auth)
    try:
        sub = await nc.jetstream().subscribe("tinhhinh.events.>", ordered_consumer=True,
                                             stream=EVENTS_STREAM)
        ids = []
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return ids
            envelope = wire.decode(msg.data)
            if envelope["type"] == "ReportSubmitted":
                ids.append(str(envelope["aggregate_id"]))
    finally:
        await nc.close()


async def test_the_relay_goes_on_after_nats_dies_with_publishes_unacknowledged(
        system: System, nats_server: EmbeddedNats):
    relay = system.runtime.relay
    relay.ack_timeout = 1.0
    token = await system.token(CADRE)
    # Given a server that stops answering while the relay has a publish out
    os.kill(nats_server.pid, signal.SIGSTOP)
    first = await asyncio.to_thread(submit, system, token, "before-kill", "2026-W47")
    relay.wake()
    await asyncio.sleep(0.5)
    # When it dies, and a new one starts on the same port and store
    nats_server.kill()
    await asyncio.to_thread(nats_server.start)
    second = await asyncio.to_thread(submit, system, token, "after-restart", "2026-W48")
    relay.wake()
    # Then the relay publishes both, each once, with no restart of the intake
    assert await relay.wait_published(max(first, second), 20)
    ids = await report_ids_in_stream(nats_server.url, nats_server.auth("reader"))
    assert len(ids) == len(set(ids)) == 2
