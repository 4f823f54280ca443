"""A lean JetStream pull: one request per batch, messages gathered by one callback.

nats-py's `fetch()` waits for each message with its own task, timer and uuid4, which
costs more than the projection's own work per message. The protocol is simple: ask
`$JS.API.CONSUMER.MSG.NEXT` for a batch and receive up to that many messages on an
inbox, or a status message that ends the request (404 none left for a `no_wait` pull,
408 expired, 409 the consumer changed). As nats-py does, a `no_wait` pull takes what is
there; only when nothing is there does a waiting pull follow.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

_STATUS = "Status"


class PullError(RuntimeError):
    """The server ended a pull for a reason other than "no messages" or "expired"."""


class Puller:
    """Pulls batches from one durable consumer, one request at a time."""

    def __init__(self, nc: NATS, stream: str, durable: str):
        self.nc = nc
        self.subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self.inbox = nc.new_inbox()
        self._sub: Subscription | None = None
        # Messages a finished request still delivers stay here for the next fetch.
        self._msgs: list[Msg] = []
        self._want = 0
        self._done: asyncio.Future[None] | None = None
        self._error: str | None = None

    async def start(self) -> None:
        self._sub = await self.nc.subscribe(self.inbox, cb=self._received,
                                            pending_msgs_limit=-1, pending_bytes_limit=-1)

    async def stop(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None

    async def _received(self, msg: Msg) -> None:
        headers = msg.headers or {}
        status = headers.get(_STATUS)
        if status is not None and not msg.data:
            if status not in ("404", "408", "100"):
                self._error = f"{status} {headers.get('Description', '')}".strip()
            if status != "100":
                self._finish()
            return
        self._msgs.append(msg)
        if len(self._msgs) >= self._want:
            self._finish()

    def _finish(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def _pull(self, request: dict[str, Any], want: int, within: float) -> None:
        self._want = want
        self._done = asyncio.get_running_loop().create_future()
        await self.nc.publish(self.subject, orjson.dumps(request), reply=self.inbox)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):  # not wait_for: see services/common/aio.py
                await self._done

    async def fetch(self, batch: int, timeout: float) -> list[Msg]:  # noqa: ASYNC109 - the server expires the pull itself
        """Up to `batch` messages; waits up to `timeout` only when none are there at once."""
        if len(self._msgs) < batch:
            await self._pull({"batch": batch - len(self._msgs), "no_wait": True}, batch,
                             timeout + 1.0)
        if not self._msgs and self._error is None:
            # Return with the first message: the next no_wait pull takes the rest at once.
            await self._pull({"batch": batch, "expires": int(timeout * 1e9)}, 1, timeout + 1.0)
        if self._error is not None:
            error, self._error = self._error, None
            raise PullError(f"pull ended by the server: {error}")
        msgs, self._msgs = self._msgs[:batch], self._msgs[batch:]
        return msgs
