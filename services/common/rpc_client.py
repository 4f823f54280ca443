"""One NATS request/reply call to a sibling service (services/common/contracts.py), awaited.

A reply with a 2xx status comes back whole; any other carries ``body.error`` (code,
message, message_vi, field) and comes back as the DomainError it names. No responder, or
none in time, is the service's own 503 ``<service>_unavailable``.
"""

from __future__ import annotations

import json
from typing import Any, cast

import nats.errors
from nats.aio.client import Client as NatsClient

from domain.errors import Unavailable
from services.common.contracts import Rep, Req, Rpc, refusal_of


class RpcClient:
    """Requests to one service; `code` and the messages name it in its 503 Unavailable."""

    def __init__(self, nc: NatsClient, *, code: str, message: str, message_vi: str,
                 timeout: float = 10.0) -> None:
        self.nc = nc
        self.timeout = timeout
        self._unavailable = (code, message, message_vi)

    async def call(self, rpc: Rpc[Req, Rep], request: Req) -> Rep:
        """The reply to `request` on `rpc`'s subject; a refusal is raised."""
        return cast(Rep, await self._send(rpc.subject, rpc.encode(request)))

    async def request(self, subject: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The whole reply when its status is 2xx; otherwise its error, raised."""
        return await self._send(subject, json.dumps(payload).encode())

    async def _send(self, subject: str, data: bytes) -> dict[str, Any]:
        try:
            msg = await self.nc.request(subject, data, timeout=self.timeout)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            raise Unavailable(*self._unavailable) from None
        reply: dict[str, Any] = json.loads(msg.data)
        err = refusal_of(reply)
        if err is not None:
            raise err
        return reply
