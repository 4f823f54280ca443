"""Deliveries: the outbox entry of one message on one channel, sent at most once by id."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = UUID("9b7c2f64-1a3d-4e58-8c0b-6d4f2e1a7b93")

EMAIL = "email"
WEBHOOK = "webhook"
NATS = "nats"
CHANNELS = (EMAIL, WEBHOOK, NATS)


def delivery_id(channel: str, account_id: str | None, trigger: Iterable[str]) -> UUID:
    """Named by what caused it (alert ids at versions), so a recomputation names the same one."""
    digest = hashlib.sha256("\x00".join(sorted(trigger)).encode()).hexdigest()
    return uuid5(_NS, f"delivery\x00{channel}\x00{account_id or ''}\x00{digest}")


class Delivery(Aggregate):
    """Queued with its message already composed, so a resend is the same message."""

    @staticmethod
    def create_id(channel: str, account_id: str | None, trigger: list[str], **_: Any) -> UUID:
        return delivery_id(channel, account_id, trigger)

    @event("Queued")
    def __init__(
        self,
        channel: str,
        account_id: str | None,
        trigger: list[str],
        alert_ids: list[str],
        payload: dict[str, Any],
        queued_at: datetime,
    ) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        self.channel = channel
        self.account_id = account_id
        self.trigger = list(trigger)
        self.alert_ids = list(alert_ids)
        self.payload = dict(payload)
        self.queued_at = queued_at
        self.sent_at: datetime | None = None
        self.cancelled: str | None = None

    @property
    def pending(self) -> bool:
        return self.sent_at is None and self.cancelled is None

    def mark_sent(self, at: datetime) -> bool:
        if not self.pending:
            return False
        self._sent(at=at)
        return True

    @event("Sent")
    def _sent(self, at: datetime) -> None:
        self.sent_at = at

    def cancel(self, reason: str, at: datetime) -> bool:
        if not self.pending:
            return False
        self._cancel(reason=reason, at=at)
        return True

    @event("Cancelled")
    def _cancel(self, reason: str, at: datetime) -> None:
        self.cancelled = reason
