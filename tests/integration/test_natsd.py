"""The embedded nats-server and the JetStream streams, against a real server."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType

import services.common.natsd
from services.common.natsd import (
    EmbeddedNats,
    PortInUseError,
    free_port,
    nats_server_binary,
    render_config,
)
from services.common.streams import (
    ALERTS_STREAM,
    DUPLICATE_WINDOW_SECONDS,
    EVENTS_STREAM,
    declare_streams,
)

pytestmark = pytest.mark.integration


async def _ignore_error(_exc: Exception) -> None:
    return None


@asynccontextmanager
async def connect(server: EmbeddedNats) -> AsyncIterator[Client]:
    # No reconnects: the crash test kills the server under this connection.
    nc = await nats.connect(server.url, allow_reconnect=False, error_cb=_ignore_error,
                            **server.auth("intake"))
    try:
        yield nc
    finally:
        await nc.close()


def _config_lines(text: str) -> list[str]:
    """The non-comment, non-blank lines of a nats-server config."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _non_loopback_ipv4() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1; a UDP connect sends nothing
        except OSError:
            return None
        address: str = sock.getsockname()[0]
    return None if address.startswith("127.") else address


def _process_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    # An orphan nobody reaps stays a zombie: dead all the same.
    return any(
        line.split()[1:2] == ["Z"] for line in status.splitlines() if line.startswith("State:")
    )


async def test_server_starts_with_jetstream_on_free_port(nats_server: EmbeddedNats) -> None:
    home = nats_server.home
    assert nats_server.running
    assert nats_server.url == f"nats://127.0.0.1:{nats_server.port}"
    assert nats_server.store_dir == home / "nats" / "jetstream"
    assert nats_server.config_path == home / "nats" / "nats-server.conf"
    assert nats_server.log_path.is_file()

    async with connect(nats_server) as nc:
        assert nc.connected_url is not None
        assert nc.connected_url.port == nats_server.port
        assert nc.max_payload == 1024 * 1024
        js = nc.jetstream()
        await js.account_info()
        await declare_streams(js)

    # The stream's files live in the file store under the home.
    assert any(nats_server.store_dir.rglob(EVENTS_STREAM))
    assert f'Store Directory: "{nats_server.store_dir}' in nats_server.log_tail(100)


def test_rendered_config_fsyncs_every_write_and_listens_on_loopback(tmp_path: Path) -> None:
    store = tmp_path / 'a "quoted" \\ store'
    text = render_config(port=4567, store_dir=store)
    lines = _config_lines(text)

    assert "sync_interval: always" in lines
    assert 'host: "127.0.0.1"' in lines
    assert "port: 4567" in lines
    assert "max_payload: 1MB" in lines
    assert 'server_name: "tinhhinh"' in lines
    assert not [line for line in lines if line.startswith(("http", "monitor"))]
    assert "$" not in text

    # The server itself accepts the rendered file, odd characters in paths included.
    conf = tmp_path / "nats-server.conf"
    conf.write_text(text)
    check = subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


async def test_running_server_listens_on_loopback_only(nats_server: EmbeddedNats) -> None:
    written = nats_server.config_path.read_text()
    assert written == render_config(port=nats_server.port, store_dir=nats_server.store_dir,
                                    credentials=nats_server.credentials)
    log = nats_server.log_tail(100)
    assert f"Listening for client connections on 127.0.0.1:{nats_server.port}" in log

    address = _non_loopback_ipv4()
    if address is not None:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, nats_server.port), timeout=2).close()


async def test_declare_streams_is_idempotent(nats_server: EmbeddedNats) -> None:
    async with connect(nats_server) as nc:
        js = nc.jetstream()
        await declare_streams(js)
        first = {str(info.config.name): info for info in await js.streams_info()}
        await declare_streams(js)
        second = {str(info.config.name): info for info in await js.streams_info()}

    assert sorted(first) == sorted(second) == [ALERTS_STREAM, EVENTS_STREAM]
    for name, info in second.items():
        assert info.config == first[name].config
        assert info.created == first[name].created
    events = second[EVENTS_STREAM].config
    assert events.subjects == ["tinhhinh.events.>"]
    assert second[ALERTS_STREAM].config.subjects == ["tinhhinh.alerts.>"]
    assert events.storage == StorageType.FILE
    assert events.discard == DiscardPolicy.OLD
    assert events.retention == RetentionPolicy.LIMITS
    assert events.duplicate_window == DUPLICATE_WINDOW_SECONDS == 600
    assert (events.max_msgs, events.max_bytes, events.max_age) == (-1, -1, 0)


async def test_declare_streams_updates_a_drifted_stream(nats_server: EmbeddedNats) -> None:
    async with connect(nats_server) as nc:
        js = nc.jetstream()
        await js.add_stream(
            name=EVENTS_STREAM,
            subjects=["tinhhinh.events.>"],
            storage=StorageType.FILE,
            max_age=3600,
            duplicate_window=60,
        )
        await declare_streams(js)
        config = (await js.stream_info(EVENTS_STREAM)).config

    assert config.max_age == 0
    assert config.duplicate_window == DUPLICATE_WINDOW_SECONDS


async def test_declare_streams_concurrently_from_two_connections(
    nats_server: EmbeddedNats,
) -> None:
    async with connect(nats_server) as nc1, connect(nats_server) as nc2:
        await asyncio.gather(declare_streams(nc1.jetstream()), declare_streams(nc2.jetstream()))
        names = sorted(str(info.config.name) for info in await nc1.jetstream().streams_info())
    assert names == [ALERTS_STREAM, EVENTS_STREAM]


async def test_same_msg_id_is_stored_once(nats_server: EmbeddedNats) -> None:
    async with connect(nats_server) as nc:
        js = nc.jetstream()
        await declare_streams(js)
        headers = {"Nats-Msg-Id": "report-42-v1"}
        first = await js.publish("tinhhinh.events.report", b"one", headers=headers)
        again = await js.publish("tinhhinh.events.report", b"one", headers=headers)
        state = (await js.stream_info(EVENTS_STREAM)).state

    assert not first.duplicate
    assert again.duplicate
    assert again.seq == first.seq
    assert state.messages == 1


async def test_acked_message_survives_sigkill_and_restart(nats_server: EmbeddedNats) -> None:
    async with connect(nats_server) as nc:
        js = nc.jetstream()
        await declare_streams(js)
        ack = await js.publish(
            "tinhhinh.events.report",
            b"acknowledged before the crash",
            headers={"Nats-Msg-Id": "crash-1"},
        )
        assert ack.stream == EVENTS_STREAM
        old_pid = nats_server.pid
        nats_server.kill()  # while the client is still connected
    assert not nats_server.running

    restarted = EmbeddedNats(nats_server.home, nats_server.port)
    restarted.start()
    try:
        assert restarted.pid != old_pid
        async with connect(restarted) as nc:
            msg = await nc.jetstream().get_msg(EVENTS_STREAM, ack.seq)
    finally:
        restarted.stop()

    assert msg.data == b"acknowledged before the crash"
    assert msg.headers is not None
    assert msg.headers["Nats-Msg-Id"] == "crash-1"


def test_port_taken_by_another_process_is_reported(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        server = EmbeddedNats(tmp_path / "home", port)
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port} is already in use"):
            server.start()
    assert not server.running


def test_failed_start_reports_the_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text("port: ${port}\nno_such_setting: 1\n")
    monkeypatch.setattr(services.common.natsd, "CONFIG_TEMPLATE", bad)
    server = EmbeddedNats(tmp_path / "home", free_port())
    with pytest.raises(RuntimeError, match="no_such_setting"):
        server.start(timeout=5)
    assert not server.running


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_server_dies_with_its_parent(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from services.common.natsd import EmbeddedNats, free_port\n"
        "server = EmbeddedNats(Path(sys.argv[1]), free_port())\n"
        "server.start()\n"
        "print(server.pid, flush=True)\n"
        "os._exit(0)\n"  # no cleanup: as if the parent crashed
    )
    parent = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pid = int(parent.stdout.strip())
    deadline = time.monotonic() + 10
    while not _process_gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            pytest.fail(f"nats-server {pid} outlived its parent")
        time.sleep(0.05)
