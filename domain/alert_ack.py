"""Acknowledging a group of alerts at once, remembered by its Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = UUID("6f1b3c0e-2a7d-4d59-9b1e-4c8e0d7a5f23")


def group_ack_id(account_id: str, idempotency_key: str) -> UUID:
    return uuid5(_NS, f"group-ack\x00{account_id}\x00{idempotency_key}")


class GroupAck(Aggregate):
    """One person's "acknowledge all of these": what they asked, what it acknowledged."""

    @staticmethod
    def create_id(account_id: str, idempotency_key: str, **_: Any) -> UUID:
        return group_ack_id(account_id, idempotency_key)

    @event("Recorded")
    def __init__(self, account_id: str, idempotency_key: str, selection_hash: str,
                 alert_ids: list[str], at: datetime) -> None:
        self.account_id = account_id
        self.idempotency_key = idempotency_key
        self.selection_hash = selection_hash
        self.alert_ids = list(alert_ids)
        self.at = at
