"""nats-server on a full disk: a stream that failed a write refuses every message until the
server restarts (nats-server's stream.go, setWriteErr); the watch restarts it once room is
back, and what the stream held before is still there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nats
import nats.errors
import pytest

from services.common.nats_watch import WriteErrorWatch
from services.common.natsd import EmbeddedNats, free_port
from services.common.streams import EVENTS_STREAM, declare_streams
from tests.integration.small_disk import fill, small_tmpfs

pytestmark = pytest.mark.integration


@pytest.fixture
def small_home(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "small", 24 * 1024 * 1024) as target:
        yield target


async def publish(server: EmbeddedNats, n: int, payload: bytes = b"x" * 2000) -> int:
    """Publish `n` messages; how many JetStream acknowledged (each tried once, 2 s)."""
    nc = await nats.connect(server.url, max_reconnect_attempts=0, **server.auth("intake"))
    acked = 0
    try:
        js = nc.jetstream()
        await declare_streams(js)
        for i in range(n):
            try:
                await js.publish(f"tinhhinh.events.t.Test{i % 3}", payload, timeout=2)
                acked += 1
            except (nats.errors.Error, TimeoutError):
                pass
        return acked
    finally:
        await nc.close()


async def stored(server: EmbeddedNats) -> int:
    nc = await nats.connect(server.url, **server.auth("reader"))
    try:
        return int((await nc.jetstream().stream_info(EVENTS_STREAM)).state.messages)
    finally:
        await nc.close()


async def test_a_stream_that_failed_on_a_full_disk_takes_messages_again_once_room_returns(
        small_home: Path):
    server = EmbeddedNats(small_home, free_port())
    server.start()
    watch = WriteErrorWatch(server.log_path, server.store_dir)
    try:
        assert await publish(server, 20) == 20
        # Given the disk fills while messages are published: the stream fails a write
        filler = fill(small_home)
        await publish(server, 5)
        assert not watch.check(), "no restart while the disk is still full"
        # When room returns, the stream still refuses (nats-server keeps the write error)
        filler.unlink()
        assert await publish(server, 1) == 0
        # Then the watch sees it and the restart it asks for brings the stream back
        assert watch.check()
        server.stop()
        server.start()
        watch.restarted()
        assert await publish(server, 10) == 10
        assert await stored(server) >= 30
        assert not watch.check()
    finally:
        server.stop()
