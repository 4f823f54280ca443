"""The notifier seen from the intake and the web: its NATS request/reply, as awaitables."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient

from services.common.rpc_client import RpcClient
from services.notifier.rpc import PREFIX


class NotifierClient:
    """Each call returns the reply body, or raises the notifier's DomainError (503 if none)."""

    def __init__(self, nc: NatsClient, timeout: float = 10.0) -> None:
        self.rpc = RpcClient(nc, code="notifier_unavailable",
                             message="The notifier is not answering; try again shortly",
                             message_vi="Dịch vụ cảnh báo chưa sẵn sàng, vui lòng thử lại sau",
                             timeout=timeout)

    async def _request(self, name: str, body: dict[str, Any]) -> Any:
        return (await self.rpc.request(f"{PREFIX}.{name}", body))["body"]

    async def alerts(self, account_id: UUID, status: str = "open") -> list[dict[str, Any]]:
        body = await self._request("alerts.list", {"account_id": str(account_id),
                                                   "status": status})
        alerts: list[dict[str, Any]] = body["alerts"]
        return alerts

    async def ack(self, account_id: UUID, alert_id: str) -> dict[str, Any]:
        alert: dict[str, Any] = await self._request(
            "alerts.ack", {"account_id": str(account_id), "alert_id": alert_id})
        return alert

    async def overdue(self, at: str, account_id: UUID | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"at": at}
        if account_id is not None:
            body["account_id"] = str(account_id)
        rows: list[dict[str, Any]] = await self._request("overdue", body)
        return rows

    async def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"starting", ...}``; raises the 503 DomainError if none answers."""
        body: dict[str, Any] = await self._request("notifier.health", {})
        return body
