"""Alerts: raised once per dedupe key, then escalated, delivered, acknowledged, resolved."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = UUID("2d0e6a31-8f4b-4c1e-b7a9-5e3c9d1f0a62")

REMINDER = "reminder"
OVERDUE = "overdue"
HOT_SPOT = "hot_spot"
UNIT_REPORT = "unit_report"  # a unit's report sent (or sent again) to the recipient's unit
RETURNED = "returned"  # a report returned for correction, to its author
ALERT_KINDS = (REMINDER, OVERDUE, HOT_SPOT, UNIT_REPORT, RETURNED)
OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)


def alert_key(kind: str, place: str, period: str) -> str:
    """The dedupe key: one alert per (kind, area or unit, period or report)."""
    return f"{kind}|{place}|{period}"


def alert_id(key: str) -> UUID:
    return uuid5(_NS, f"alert\x00{key}")


class Alert(Aggregate):
    """Who was told about what, and what became of it.

    `chain` is the rollup line the alert may climb (unit ids, the area's own unit
    first, or the owing unit's for a unit's own report, whose `area_id` is None);
    `level` is the rung reached; `recipients` every account told so far.
    """

    @staticmethod
    def create_id(key: str, **_: Any) -> UUID:
        return alert_id(key)

    @event("Raised")
    def __init__(
        self,
        key: str,
        kind: str,
        report_kind: str,
        period: str | None,
        area_id: str | None,
        chain: list[str],
        level: int,
        recipients: list[str],
        cadre_ids: list[str],
        since: datetime,
        raised_at: datetime,
        detail: dict[str, Any],
    ) -> None:
        if kind not in ALERT_KINDS:
            raise ValueError(f"unknown alert kind {kind!r}")
        self.key = key
        self.kind = kind
        self.report_kind = report_kind
        self.period = period
        self.area_id = area_id
        self.chain = list(chain)
        self.level = level
        self.recipients = list(dict.fromkeys(recipients))
        self.missing = list(cadre_ids)
        self.cadre_ids = list(cadre_ids)
        self.since = since
        self.raised_at = raised_at
        self.detail = dict(detail)
        self.escalated_at: datetime | None = None
        self.acknowledged: dict[str, datetime] = {}
        self.deliveries: dict[str, str] = {}
        self.resolved_at: datetime | None = None
        self.resolution: str | None = None

    @property
    def unit_id(self) -> str | None:
        return self.chain[0] if self.chain else None

    @property
    def level_unit_id(self) -> str | None:
        return self.chain[self.level] if self.chain else None

    @property
    def last_level(self) -> int:
        return max(0, len(self.chain) - 1)

    @property
    def status(self) -> str:
        if self.resolved_at is not None:
            return RESOLVED
        return ACKNOWLEDGED if self.acknowledged else OPEN

    def addressed_to(self, account_id: str) -> bool:
        return account_id in self.recipients

    # -- commands: each records an event only when something changes -------------------
    def escalate(self, level: int, recipients: list[str], at: datetime) -> bool:
        if self.resolved_at is not None or level <= self.level:
            return False
        added = [r for r in dict.fromkeys(recipients) if r not in self.recipients]
        self._escalate(level=min(level, self.last_level), recipients=added, at=at)
        return True

    @event("Escalated")
    def _escalate(self, level: int, recipients: list[str], at: datetime) -> None:
        self.level = level
        self.recipients.extend(recipients)
        self.escalated_at = at

    def acknowledge(self, account_id: str, at: datetime) -> bool:
        if account_id in self.acknowledged or not self.addressed_to(account_id):
            return False
        self._acknowledge(account_id=account_id, at=at)
        return True

    @event("Acknowledged")
    def _acknowledge(self, account_id: str, at: datetime) -> None:
        self.acknowledged[account_id] = at

    def receive_report(self, cadre_id: str, at: datetime) -> bool:
        """A missing cadre reported; the alert resolves when nobody is missing any more."""
        if self.resolved_at is not None or cadre_id not in self.missing:
            return False
        self._receive_report(cadre_id=cadre_id, at=at)
        if not self.missing:
            self.resolve("report_received", at)
        return True

    @event("ReportReceived")
    def _receive_report(self, cadre_id: str, at: datetime) -> None:
        self.missing.remove(cadre_id)

    def resolve(self, reason: str, at: datetime) -> bool:
        if self.resolved_at is not None:
            return False
        self._resolve(reason=reason, at=at)
        return True

    @event("Resolved")
    def _resolve(self, reason: str, at: datetime) -> None:
        self.resolved_at = at
        self.resolution = reason

    def record_delivery(self, channel: str, delivery_id: str, at: datetime) -> bool:
        if delivery_id in self.deliveries:
            return False
        self._deliver(channel=channel, delivery_id=delivery_id, at=at)
        return True

    @event("Delivered")
    def _deliver(self, channel: str, delivery_id: str, at: datetime) -> None:
        self.deliveries[delivery_id] = channel
