"""After a stored write, whatever the entrance (HTTP, NATS, a web page): have it published.

One path for all: the events the write recorded are offered to the relay (or the relay
is woken to read them), and the caller waits, bounded, until JetStream has acknowledged
them. The answer is the API's ``published`` (docs/architecture.md): False means only that
NATS did not answer in time; the events are stored and the relay publishes them when it
is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from services.common.store import Store
from services.intake.relay import Relay


class Publication:
    def __init__(self, store: Store, relay: Relay, wait_seconds: float):
        self.store = store
        self.relay = relay
        self.wait_seconds = wait_seconds

    async def published(self, position: int | None, recordings: Sequence[Any] = ()) -> bool:
        """After a write that ended at store `position` (None: it wrote nothing, as a
        replay); `recordings`, if the caller has them, are published without a read."""
        if position is None:
            return True
        if recordings:
            self.relay.offer(recordings)
        else:
            self.relay.wake()
        return await self.relay.wait_published(position, self.wait_seconds)

    async def all_published(self) -> bool:
        """After a write whose use case does not say where it ended: everything stored so
        far, which includes it."""
        return await self.published(await asyncio.to_thread(self.store.last_position))
