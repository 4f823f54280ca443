"""One NATS request/reply call to a sibling service (services/*/rpc.py), as an awaitable.

The reply is ``{"status": int, "body": ...}``; a status other than 200 carries
``body.error`` (code, message, message_vi, field) and comes back as the DomainError it
names. No responder, or none in time, is the service's own 503 ``<service>_unavailable``.
"""

from __future__ import annotations

import json
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient

from domain.errors import DomainError, Unavailable


class RpcClient:
    """Requests to one service; `code` and the messages name it in its 503 Unavailable."""

    def __init__(self, nc: NatsClient, *, code: str, message: str, message_vi: str,
                 timeout: float = 10.0) -> None:
        self.nc = nc
        self.timeout = timeout
        self._unavailable = (code, message, message_vi)

    async def request(self, subject: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The whole reply when its status is 200; otherwise its error, raised."""
        try:
            msg = await self.nc.request(subject, json.dumps(payload).encode(),
                                        timeout=self.timeout)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            raise Unavailable(*self._unavailable) from None
        reply: dict[str, Any] = json.loads(msg.data)
        if reply.get("status") == 200:
            return reply
        error = (reply.get("body") or {}).get("error") or {}
        err = DomainError(str(error.get("code", "failed")), str(error.get("message", "")),
                          str(error.get("message_vi", "")), error.get("field"))
        err.status = int(reply.get("status", 500))
        raise err
