"""Rebuild the read model from the whole stream into a new file, then swap it in at once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import nats
import structlog
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.aggregator.consumer import sequence
from services.aggregator.projection import Projector
from services.aggregator.pull import Puller
from services.aggregator.schema import connect, path_in
from services.common import nats_auth
from services.common.streams import EVENTS_STREAM, EVENTS_SUBJECTS

log = structlog.get_logger(__name__)

Progress = Callable[[int, int], None]
BATCH = 2000


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


async def replay(home: Path, nats_url: str, progress: Progress | None = None) -> int:
    """Read the stream from its first message; returns the stream sequence reached."""
    target = path_in(home)
    fresh = target.with_name(target.name + ".replay")
    _remove(fresh)
    nc = await nats.connect(nats_url, name="tinhhinh-aggregator-replay",
                            **nats_auth.connect_options(home, nats_auth.CLI))
    try:
        js = nc.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        last = info.state.last_seq
        db = await connect(fresh)
        try:
            projector = Projector(db)
            await projector.load()
            if last:
                # No acks, and the server drops the consumer once it is idle: nothing stays.
                name = f"aggregator-replay-{nc.new_inbox().rsplit('.', 1)[-1]}"
                await js.add_consumer(EVENTS_STREAM, ConsumerConfig(
                    name=name, filter_subject=EVENTS_SUBJECTS[0], ack_policy=AckPolicy.NONE,
                    deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0))
                puller = Puller(nc, EVENTS_STREAM, name)
                await puller.start()
                try:
                    while projector.position < last:
                        msgs = await puller.fetch(BATCH, timeout=10)
                        await projector.apply([(sequence(m), m.data, m.subject) for m in msgs],
                                              gap_ok=projector.position == 0)
                        if progress is not None:
                            progress(projector.position, last)
                finally:
                    await puller.stop()
                    with contextlib.suppress(Exception):
                        await js.delete_consumer(EVENTS_STREAM, name)
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # The backup API replaces the live file's content in one transaction: readers
            # and a running aggregator see the old or the new model, never a mix. Renaming
            # the file instead would pair a running writer's WAL with the wrong database.
            live = await connect(target)
            try:
                await db.backup(live)
            finally:
                await live.close()
        finally:
            await db.close()
        _remove(fresh)
        log.info("aggregator_replayed", position=projector.position, path=str(target))
        return projector.position
    finally:
        await nc.close()
