"""The notifier's alerts and pending deliveries in memory, rebuilt from its store on start."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError

from domain.alert import HOT_SPOT, OVERDUE, REMINDER, Alert
from domain.alert_ack import GroupAck
from domain.delivery import Delivery
from services.notifier.dead_letter import DeadLetter
from services.notifier.store import AlertStore

log = structlog.get_logger(__name__)


class AlertBook:
    """Every alert, and the deliveries not yet sent; saved together, or not at all."""

    def __init__(self, store: AlertStore) -> None:
        self.store = store
        self.alerts: dict[UUID, Alert] = {}
        self.pending: dict[UUID, Delivery] = {}
        self.climbing: set[UUID] = set()
        self.reminders: dict[str, set[UUID]] = defaultdict(set)
        self._by_account: dict[str, set[UUID]] = defaultdict(set)
        self.dead_letters: dict[UUID, DeadLetter] = {}
        self.group_acks: dict[UUID, GroupAck] = {}

    def load(self) -> None:
        """Replay the notifier's own events into aggregates, then index them."""
        every: dict[UUID, Any] = {}
        for event in self.store.history():
            every[event.originator_id] = event.mutate(every.get(event.originator_id))
        for aggregate in every.values():
            self._index(aggregate)
        log.info("alerts_loaded", alerts=len(self.alerts), pending=len(self.pending))

    def commit(self, *aggregates: Alert | Delivery | DeadLetter | GroupAck) -> None:
        """Save in one transaction; on failure forget the unsaved changes and re-raise."""
        if not aggregates:
            return
        try:
            self.store.save(*aggregates)
        except Exception:
            for aggregate in aggregates:
                self._reload(aggregate.id)
            raise
        for aggregate in aggregates:
            self._index(aggregate)

    def _reload(self, aggregate_id: UUID) -> None:
        self.alerts.pop(aggregate_id, None)
        self.pending.pop(aggregate_id, None)
        with contextlib.suppress(AggregateNotFoundError):
            self._index(self.store.repository.get(aggregate_id))

    def _index(self, aggregate: Any) -> None:
        if isinstance(aggregate, DeadLetter):
            self.dead_letters[aggregate.id] = aggregate
            return
        if isinstance(aggregate, GroupAck):
            self.group_acks[aggregate.id] = aggregate
            return
        if isinstance(aggregate, Delivery):
            if aggregate.pending:
                self.pending[aggregate.id] = aggregate
            else:
                self.pending.pop(aggregate.id, None)
            return
        if not isinstance(aggregate, Alert):
            return
        self.alerts[aggregate.id] = aggregate
        for account_id in aggregate.recipients:
            self._by_account[account_id].add(aggregate.id)
        open_ = aggregate.resolved_at is None
        climbs = aggregate.kind in (OVERDUE, HOT_SPOT) and aggregate.level < aggregate.last_level
        if open_ and climbs:
            self.climbing.add(aggregate.id)
        else:
            self.climbing.discard(aggregate.id)
        if aggregate.kind == REMINDER and aggregate.period is not None:
            if open_:
                self.reminders[aggregate.period].add(aggregate.id)
            else:
                self.reminders[aggregate.period].discard(aggregate.id)

    def addressed_to(self, account_id: str) -> list[Alert]:
        return [self.alerts[i] for i in self._by_account.get(account_id, ())]

    def outbox(self, channel: str) -> list[Delivery]:
        """Pending deliveries of one channel, oldest first."""
        found = [d for d in self.pending.values() if d.channel == channel]
        return sorted(found, key=lambda d: d.queued_at)
