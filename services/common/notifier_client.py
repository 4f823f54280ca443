"""The notifier seen from the intake and the web: its NATS request/reply, as awaitables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient

from domain.errors import InvalidInput
from services.common import contracts
from services.common.contracts import (
    AckAlert,
    AckAlerts,
    AlertGroups,
    Alerts,
    Empty,
    ListAlerts,
    Overdue,
    OverduePage,
)
from services.common.rpc_client import RpcClient

Filters = Mapping[str, str | None]
_FILTERS = ("type", "kind", "period", "unit_id", "group")


def _known(filters: Filters | None) -> dict[str, str]:
    """The filters the RPC knows, empty ones left out; an unknown name is refused there."""
    given = dict(filters or {})
    unknown = [k for k in given if k not in _FILTERS]
    if unknown:
        raise InvalidInput("invalid_field", f"Unknown filter {unknown[0]!r}",
                           f"Bộ lọc '{unknown[0]}' không được hỗ trợ", unknown[0])
    return {k: str(v) for k, v in given.items() if v}


class NotifierClient:
    """Each call returns the reply body, or raises the notifier's DomainError (503 if none)."""

    def __init__(self, nc: NatsClient, timeout: float = 10.0) -> None:
        self.rpc = RpcClient(nc, code="notifier_unavailable",
                             message="The notifier is not answering; try again shortly",
                             message_vi="Dịch vụ cảnh báo chưa sẵn sàng, vui lòng thử lại sau",
                             timeout=timeout)

    async def alerts(self, account_id: UUID, status: str = "open", limit: int | None = None,
                     cursor: str | None = None, filters: Filters | None = None) -> Alerts:
        """One page of the account's alerts (``{"alerts", "next_cursor", "total"}``), narrowed
        by `filters` (type, kind, period, unit_id, group) if given."""
        request = ListAlerts(str(account_id), status, limit, cursor, **_known(filters))
        return (await self.rpc.call(contracts.ALERTS_LIST, request))["body"]

    async def groups(self, account_id: UUID, status: str = "open",
                     filters: Filters | None = None) -> dict[str, Any]:
        """``{"groups": [{"key", "type", "kind", "period", "unit_id", "count", "open",
        "newest_at", "title_vi"}]}``, newest first."""
        known = {k: v for k, v in _known(filters).items() if k != "group"}
        request = AlertGroups(str(account_id), status, **known)
        return (await self.rpc.call(contracts.ALERTS_GROUPS, request))["body"]

    async def ack_many(self, account_id: UUID, idempotency_key: str,
                       selection: Filters | None = None) -> dict[str, Any]:
        """Acknowledge a group (or what filters select) at once: ``{"acknowledged"}``; the
        same key and selection answer the same again."""
        request = AckAlerts(str(account_id), idempotency_key, **_known(selection))
        return (await self.rpc.call(contracts.ALERTS_ACK_MANY, request))["body"]

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
