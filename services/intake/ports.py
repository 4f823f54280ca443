"""What the intake needs from the other services, as ports: the aggregator and the notifier
answer over NATS (services/common/aggregator_client.py, notifier_client.py); tests pass
their own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

from services.common.contracts import Alerts, OverduePage, RollupReply


class Aggregator(Protocol):
    async def rollup(self, account_id: UUID, unit_id: str, period: str,
                     fmt: str = "json") -> RollupReply:
        """The aggregator's reply: ``body`` (json), ``html``, or ``docx`` (base64) and
        ``filename``; raises its DomainError (none yet, unavailable, or 404 where
        `account_id`, on whose behalf it asks, may not read that unit)."""
        ...

    async def health(self) -> dict[str, Any]: ...


class Notifier(Protocol):
    async def alerts(self, account_id: UUID, status: str = "open", limit: int | None = None,
                     cursor: str | None = None,
                     filters: Mapping[str, str | None] | None = None) -> Alerts:
        """One page of the account's alerts, newest first: ``{"alerts", "next_cursor",
        "total"}``, each alert ``{"alert_id", "kind", "status", "message_vi", "area_id",
        "period", "raised_at", ...}``; `filters`: type, kind, period, unit_id, group."""
        ...

    async def groups(self, account_id: UUID, status: str = "open",
                     filters: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """The account's alerts grouped by type, kind, period and unit: ``{"groups"}``."""
        ...

    async def ack_many(self, account_id: UUID, idempotency_key: str,
                       selection: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """Acknowledge every open alert of a group (or matching filters) at once."""
        ...

    async def ack(self, account_id: UUID, alert_id: str) -> dict[str, Any]:
        """Acknowledge one; raises a DomainError to refuse."""
        ...

    async def overdue(self, at: str, account_id: UUID | None = None, limit: int | None = None,
                      cursor: str | None = None) -> OverduePage:
        """One page of what is overdue at `at` that the account may see: ``{"overdue",
        "next_cursor", "total"}``, in the order of deadline, kind, period, unit, area, cadre."""
        ...

    async def health(self) -> dict[str, Any]: ...


class AuditCheck(Protocol):
    def __call__(self) -> dict[str, Any] | None:
        """The last verification, ``{"ok", "checked_at", "position", "first_bad",
        "message_vi"}``, or None if never verified (services/intake/audit/status.py)."""
        ...
