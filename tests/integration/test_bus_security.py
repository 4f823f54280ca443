"""The bus takes no one's word: attacks on a real nats-server started as `tinhhinh up` starts
it (credentials generated in the home, per-user permissions), as an attacker on the same
host would try them (issue 13)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import Error as JsError

from services.common import nats_auth
from services.common.natsd import EmbeddedNats
from services.common.streams import ALERTS_STREAM, EVENTS_STREAM, declare_streams


class Refusals:
    """The errors the server sends one connection (a permissions violation arrives so)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    async def record(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    def violations(self) -> list[str]:
        return [e for e in self.errors if "permissions violation" in e.lower()]


@asynccontextmanager
async def connected(server: EmbeddedNats, user: str | None,
                    refusals: Refusals | None = None) -> AsyncIterator[NATS]:
    auth: dict[str, Any] = {} if user is None else server.auth(user)
    nc = await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=1,
                            connect_timeout=2, error_cb=(refusals or Refusals()).record, **auth)
    try:
        yield nc
    finally:
        await nc.close()


async def _settle(nc: NATS) -> None:
    await nc.flush(timeout=2)
    await asyncio.sleep(0.2)  # the server's -ERR follows the refused operation


@pytest.fixture
async def streams(nats_server: EmbeddedNats) -> EmbeddedNats:
    """The streams as the intake declares them, with one real event in the events stream."""
    async with connected(nats_server, nats_auth.INTAKE) as nc:
        js = nc.jetstream()
        await declare_streams(js)
        await js.publish("tinhhinh.events.a.ReportSubmitted", b"{}", headers={
            "Nats-Msg-Id": "real-1"})
    return nats_server


async def _messages(server: EmbeddedNats, stream: str = EVENTS_STREAM) -> int:
    async with connected(server, nats_auth.READER) as nc:
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.messages)


def test_credentials_are_private_to_the_owner(nats_server: EmbeddedNats) -> None:
    creds = nats_server.creds_dir
    assert stat.S_IMODE(creds.stat().st_mode) == 0o700
    assert stat.S_IMODE(nats_server.nats_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(nats_server.config_path.stat().st_mode) == 0o600
    for user in nats_auth.USERS:
        path = creds / f"{user}.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secret = json.loads(path.read_text())["password"]
        # The server's config holds a bcrypt hash, never the password.
        assert secret not in nats_server.config_path.read_text()


def test_credentials_survive_a_restart(nats_server: EmbeddedNats) -> None:
    before = nats_server.credentials
    nats_server.stop()
    nats_server.start()
    assert nats_server.credentials == before


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # nats-py's socket
async def test_an_anonymous_connection_is_refused(nats_server: EmbeddedNats) -> None:
    with pytest.raises((nats.errors.Error, OSError)):
        async with connected(nats_server, None):
            pass
    gc.collect()  # nats-py leaves the refused socket: collected here, under this filter


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_wrong_password_is_refused(nats_server: EmbeddedNats) -> None:
    with pytest.raises((nats.errors.Error, OSError)):
        await nats.connect(nats_server.url, user=nats_auth.INTAKE, password="guess",
                           allow_reconnect=False, max_reconnect_attempts=1,
                           connect_timeout=2, error_cb=Refusals().record)
    gc.collect()


@pytest.mark.parametrize("user", [nats_auth.AGGREGATOR, nats_auth.NOTIFIER, nats_auth.READER,
                                  nats_auth.CLIENT, nats_auth.CLI])
async def test_only_the_intake_publishes_events(streams: EmbeddedNats, user: str) -> None:
    refusals = Refusals()
    async with connected(streams, user, refusals) as nc:
        # A forged report and a position far ahead, as the security test published them.
        await nc.publish("tinhhinh.events.a.ReportSubmitted", b'{"position": 1000000000000000}')
        await _settle(nc)
    assert refusals.violations()
    assert await _messages(streams) == 1


@pytest.mark.parametrize("user", nats_auth.USERS)
@pytest.mark.parametrize("operation", ["PURGE", "DELETE"])
async def test_no_user_purges_or_deletes_a_stream(streams: EmbeddedNats, user: str,
                                                  operation: str) -> None:
    refusals = Refusals()
    async with connected(streams, user, refusals) as nc:
        for stream in (EVENTS_STREAM, ALERTS_STREAM):
            with pytest.raises(nats.errors.Error):
                await nc.request(f"$JS.API.STREAM.{operation}.{stream}", b"", timeout=1)
        await _settle(nc)
    assert refusals.violations()
    assert await _messages(streams) == 1


@pytest.mark.parametrize("user", [u for u in nats_auth.USERS if u != nats_auth.INTAKE])
async def test_no_one_but_the_intake_declares_streams(streams: EmbeddedNats, user: str) -> None:
    """A stream update could cut its limits and so delete what it holds."""
    async with connected(streams, user) as nc:
        with pytest.raises((JsError, nats.errors.Error)):
            await nc.jetstream(timeout=1).update_stream(name=EVENTS_STREAM,
                                                        subjects=["tinhhinh.events.>"],
                                                        max_msgs=0)
    assert await _messages(streams) == 1


@pytest.mark.parametrize(("user", "subject"), [
    (nats_auth.CLIENT, "tinhhinh.rpc.v1.rollups.get"),
    (nats_auth.CLIENT, "tinhhinh.rpc.v1.auth.token"),  # would read machine clients' passwords
    (nats_auth.CLIENT, "tinhhinh.svc.v1.rollups.get"),
    (nats_auth.READER, "tinhhinh.rpc.v1.>"),
    (nats_auth.NOTIFIER, "tinhhinh.svc.v1.rollups.get"),
    (nats_auth.AGGREGATOR, "tinhhinh.svc.v1.alerts.list"),
    (nats_auth.AGGREGATOR, "tinhhinh.rpc.v1.reports.submit"),
    (nats_auth.CLIENT, "_INBOX_intake.>"),  # the intake's replies: tokens, rollups
])
async def test_a_rogue_responder_cannot_subscribe(nats_server: EmbeddedNats, user: str,
                                                   subject: str) -> None:
    refusals = Refusals()
    async with connected(nats_server, user, refusals) as nc:
        await nc.subscribe(subject, queue="rogue")
        await _settle(nc)
    assert refusals.violations(), refusals.errors


@pytest.mark.parametrize("subject", ["tinhhinh.svc.v1.rollups.get", "tinhhinh.svc.v1.overdue",
                                     "tinhhinh.svc.v1.alerts.list",
                                     "tinhhinh.svc.v1.alerts.ack"])
async def test_a_machine_client_cannot_ask_on_behalf_of_an_account(
        nats_server: EmbeddedNats, subject: str) -> None:
    """The internal subjects carry the account the intake vouches for: only it asks there."""
    received: list[bytes] = []

    async def on_request(msg: Any) -> None:
        received.append(msg.data)

    responder = nats_auth.AGGREGATOR if ".rollups." in subject else nats_auth.NOTIFIER
    async with connected(nats_server, responder) as answering:
        await answering.subscribe(subject, cb=on_request)
        await answering.flush()
        refusals = Refusals()
        async with connected(nats_server, nats_auth.CLIENT, refusals) as nc:
            await nc.publish(subject, b'{"account_id": "someone-else"}')
            await _settle(nc)
        assert refusals.violations()
    assert received == []


async def test_the_services_answer_what_they_own(nats_server: EmbeddedNats) -> None:
    """The positive side: each responder subscribes to its own subjects without refusal."""
    owned = {nats_auth.INTAKE: "tinhhinh.rpc.v1.auth.token",
             nats_auth.AGGREGATOR: "tinhhinh.svc.v1.rollups.get",
             nats_auth.NOTIFIER: "tinhhinh.svc.v1.alerts.list"}
    for user, subject in owned.items():
        refusals = Refusals()
        async with connected(nats_server, user, refusals) as nc:
            await nc.subscribe(subject, queue="q")
            await _settle(nc)
        assert refusals.errors == [], (user, refusals.errors)


def tinhhinh(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The console script, in a process of its own (it configures logging for itself)."""
    command = Path(sys.executable).parent / "tinhhinh"
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=60,
                          env=env, check=False)


def test_nats_creds_prints_the_path_and_never_the_secret(nats_server: EmbeddedNats) -> None:
    # Found through the home, where `up` keeps them.
    env = {k: v for k, v in os.environ.items() if k != nats_auth.CREDS_DIR_ENV}
    done = tinhhinh("nats-creds", "reader", "--home", str(nats_server.home), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(nats_server.creds_dir / "reader.json")
    assert nats_server.credentials["reader"].password not in done.stdout + done.stderr
    refused = tinhhinh("nats-creds", "root", "--home", str(nats_server.home), env=env)
    assert refused.returncode == 2


def test_nats_creds_before_the_first_start_fails(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != nats_auth.CREDS_DIR_ENV}
    done = tinhhinh("nats-creds", "client", "--home", str(tmp_path), env=env)
    assert done.returncode == 1 and "tinhhinh up" in done.stderr
