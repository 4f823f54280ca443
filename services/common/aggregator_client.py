"""The intake's side of the aggregator's NATS request/reply (services/aggregator/rpc.py)."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client as NATS

from services.common.rpc_client import RpcClient

ROLLUPS_GET = "tinhhinh.rpc.v1.rollups.get"
HEALTH = "tinhhinh.rpc.v1.aggregator.health"


class AggregatorClient:
    """Each call returns the reply, or raises the aggregator's DomainError (503 if none)."""

    def __init__(self, nc: NATS, timeout: float = 10.0):
        self.rpc = RpcClient(nc, code="aggregator_unavailable",
                             message="The aggregator is not answering; try again",
                             message_vi="Dịch vụ tổng hợp chưa sẵn sàng, vui lòng thử lại sau",
                             timeout=timeout)

    async def rollup(self, unit_id: str, period: str, fmt: str = "json") -> dict[str, Any]:
        """The whole reply: ``body`` (json), ``html``, or ``docx`` (base64) and ``filename``."""
        return await self.rpc.request(ROLLUPS_GET, {"unit_id": unit_id, "period": period,
                                                    "format": fmt})

    async def health(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.rpc.request(HEALTH, {}))["body"]
        return body
