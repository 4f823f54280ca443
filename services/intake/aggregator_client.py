"""The intake's side of the aggregator's NATS request/reply (services/aggregator/rpc.py)."""

from __future__ import annotations

import json
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS

from domain.errors import DomainError

ROLLUPS_GET = "tinhhinh.rpc.v1.rollups.get"
HEALTH = "tinhhinh.rpc.v1.aggregator.health"


def _unavailable() -> DomainError:
    err = DomainError("aggregator_unavailable", "The aggregator is not answering; try again",
                      "Dịch vụ tổng hợp chưa sẵn sàng, vui lòng thử lại sau", None)
    err.status = 503
    return err


class AggregatorClient:
    """Each call returns the reply, or raises the aggregator's DomainError (503 if none)."""

    def __init__(self, nc: NATS, timeout: float = 10.0):
        self.nc = nc
        self.timeout = timeout

    async def _request(self, subject: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            msg = await self.nc.request(subject, json.dumps(payload).encode(),
                                        timeout=self.timeout)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            raise _unavailable() from None
        reply: dict[str, Any] = json.loads(msg.data)
        if reply.get("status") != 200:
            error = (reply.get("body") or {}).get("error") or {}
            err = DomainError(str(error.get("code", "failed")), str(error.get("message", "")),
                              str(error.get("message_vi", "")), error.get("field"))
            err.status = int(reply.get("status", 500))
            raise err
        return reply

    async def rollup(self, unit_id: str, period: str, fmt: str = "json") -> dict[str, Any]:
        """The whole reply: ``body`` (json), ``html``, or ``docx`` (base64) and ``filename``."""
        return await self._request(ROLLUPS_GET, {"unit_id": unit_id, "period": period,
                                                 "format": fmt})

    async def health(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self._request(HEALTH, {}))["body"]
        return body
