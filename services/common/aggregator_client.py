"""The aggregator seen from the intake: its NATS request/reply (contracts.ROLLUPS_GET, …)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nats.aio.client import Client as NATS

from services.common import contracts
from services.common.contracts import Empty, GetRollup, RollupReply, rollup_format
from services.common.rpc_client import RpcClient


class AggregatorClient:
    """Each call returns the reply, or raises the aggregator's DomainError (503 if none)."""

    def __init__(self, nc: NATS, timeout: float = 10.0):
        self.rpc = RpcClient(nc, code="aggregator_unavailable",
                             message="The aggregator is not answering; try again",
                             message_vi="Dịch vụ tổng hợp chưa sẵn sàng, vui lòng thử lại sau",
                             timeout=timeout)

    async def rollup(self, account_id: UUID, unit_id: str, period: str,
                     fmt: str = "json") -> RollupReply:
        """The whole reply: ``body`` (json), ``html``, or ``docx`` (base64) and ``filename``;
        an unknown `fmt` is refused here as the aggregator would refuse it. `account_id`: on
        whose behalf (the aggregator answers only what that account may read)."""
        request = GetRollup(str(account_id), unit_id, period, rollup_format(fmt))
        return await self.rpc.call(contracts.ROLLUPS_GET, request)

    async def health(self) -> dict[str, Any]:
        return (await self.rpc.call(contracts.AGGREGATOR_HEALTH, Empty()))["body"]
