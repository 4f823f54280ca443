"""The notifier seen from the intake and the web: its NATS request/reply, as awaitables."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient

from services.common import contracts
from services.common.contracts import (
    AckAlert,
    Alerts,
    Empty,
    ListAlerts,
    Overdue,
    OverduePage,
)
from services.common.rpc_client import RpcClient


class NotifierClient:
    """Each call returns the reply body, or raises the notifier's DomainError (503 if none)."""

    def __init__(self, nc: NatsClient, timeout: float = 10.0) -> None:
        self.rpc = RpcClient(nc, code="notifier_unavailable",
                             message="The notifier is not answering; try again shortly",
                             message_vi="Dịch vụ cảnh báo chưa sẵn sàng, vui lòng thử lại sau",
                             timeout=timeout)

    async def alerts(self, account_id: UUID, status: str = "open", limit: int | None = None,
                     cursor: str | None = None) -> Alerts:
        """One page of the account's alerts (``{"alerts", "next_cursor", "total"}``)."""
        request = ListAlerts(str(account_id), status, limit, cursor)
        return (await self.rpc.call(contracts.ALERTS_LIST, request))["body"]

    async def ack(self, account_id: UUID, alert_id: str) -> dict[str, Any]:
        reply = await self.rpc.call(contracts.ALERTS_ACK, AckAlert(str(account_id), alert_id))
        return reply["body"]

    async def overdue(self, at: str, account_id: UUID | None = None, limit: int | None = None,
                      cursor: str | None = None) -> OverduePage:
        """One page of what is overdue at `at` (``{"overdue", "next_cursor", "total"}``)."""
        request = Overdue(at, None if account_id is None else str(account_id), limit, cursor)
        return (await self.rpc.call(contracts.OVERDUE, request))["body"]

    async def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"starting", ...}``; raises the 503 DomainError if none answers."""
        return (await self.rpc.call(contracts.NOTIFIER_HEALTH, Empty()))["body"]
