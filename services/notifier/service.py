"""The notifier's use cases: follow events, sweep deadlines, climb the ladder, answer people.

Not thread-safe by design: the runtime calls it from one worker thread only, so
the network view, the ledger and the alert book never change under a reader.
"""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog

from domain.alert import (
    HOT_SPOT,
    OVERDUE,
    REMINDER,
    STATUSES,
    Alert,
    alert_id,
    alert_key,
)
from domain.clock import Clock, as_instant
from domain.delivery import NATS, Delivery
from domain.errors import DomainError, InvalidInput, NotFound
from domain.ladder import (
    URGENT,
    EscalationPolicy,
    climb,
    hot_spot_level,
    hot_spot_reach,
    overdue_level,
    worst,
)
from services.common.network_view import NetworkView
from services.common.paging import Key, in_key_order, newest_first, within_budget
from services.notifier.book import AlertBook
from services.notifier.dead_letter import DeadLetter, dead_letter_id
from services.notifier.deadlines import Coverage, Due, missing, overdue, passed, reminding
from services.notifier.digest import ESCALATED, RAISED, Notice, describe, digests, feed
from services.notifier.people import People
from services.notifier.received import Received
from services.notifier.settings import Channels

log = structlog.get_logger(__name__)

_REPORT = "ReportSubmitted"


class Batch:
    """What one use case changed: alerts, who to tell, and what to publish."""

    def __init__(self) -> None:
        self.alerts: dict[UUID, Alert] = {}
        self.notices: dict[tuple[str, UUID], Notice] = {}
        self.changes: dict[UUID, tuple[Alert, str]] = {}

    def changed(self, alert: Alert, change: str) -> None:
        self.alerts[alert.id] = alert
        self.changes[alert.id] = (alert, change)

    def tell(self, recipients: list[str], alert: Alert, step: str) -> None:
        for account_id in recipients:
            self.notices[(account_id, alert.id)] = Notice(account_id, alert, step)


class NotifierService:
    def __init__(self, book: AlertBook, clock: Clock, channels: Channels,
                 kinds: tuple[str, ...]) -> None:
        self.book = book
        self.clock = clock
        self.channels = channels
        self.kinds = kinds
        self.view = NetworkView()
        self.received = Received()
        self.people = People(self.view)
        self._coverage: Coverage | None = None
        self._swept: set[tuple[str, str]] = set()
        self._bad_policy: object = None
        # The last overdue list asked for, sorted, for its next pages: ((at, account), rows, keys).
        self._overdue_rows: tuple[tuple[datetime, str | None], list[dict[str, Any]],
                                  list[Key]] | None = None

    # -- the event stream ----------------------------------------------------------------
    def remember(self, envelopes: list[dict[str, Any]]) -> None:
        """Rebuild state from envelopes already handled before a restart: no alerts."""
        self._overdue_rows = None
        for envelope in envelopes:
            type_, data = str(envelope["type"]), envelope["data"]
            if self.view.apply(type_, envelope["aggregate_id"], data):
                self._network_changed()
            elif type_ == _REPORT:
                self.received.add_report(data)

    def apply(self, envelope: dict[str, Any], *, remember: bool = True) -> int:
        """Take one envelope in; `remember=False` when its state was already replayed.

        Returns how many deliveries it queued.
        """
        self._overdue_rows = None
        type_, data = str(envelope["type"]), envelope["data"]
        if remember and self.view.apply(type_, envelope["aggregate_id"], data):
            self._network_changed()
            return 0
        if type_ == _REPORT:
            if remember:
                self.received.add_report(data)
            return self._commit(self._on_report(str(envelope["aggregate_id"]), data))
        if type_ == "CaseStatusChanged" and data.get("status") == "resolved":
            return self._commit(self._on_case_closed(data))
        return 0

    def dead_letter(self, seq: int, subject: str, reason: str, payload: bytes) -> bool:
        """Keep an envelope no retry could apply; False if this one was kept already."""
        letter_id = dead_letter_id(seq, payload)
        if letter_id in self.book.dead_letters:
            return False
        self.book.commit(DeadLetter(seq=seq, subject=subject, reason=reason,
                                    payload_b64=base64.b64encode(payload).decode(),
                                    recorded_at=self.clock.now()))
        return True

    def _network_changed(self) -> None:
        self._coverage = None
        self._swept.clear()
        self.people.forget()

    def _on_report(self, report_id: str, data: dict[str, Any]) -> Batch:
        batch = Batch()
        now = self.clock.now()
        area_id, cadre_id = str(data["area_id"]), str(data["cadre_id"])
        submitted_at = as_instant(data["submitted_at"]) or now
        period = data.get("period")
        if period is not None:
            # The ladder stops the moment the report arrives.
            for kind in (REMINDER, OVERDUE):
                alert = self.book.alerts.get(alert_id(alert_key(kind, area_id, str(period))))
                if alert is not None and alert.receive_report(cadre_id, submitted_at):
                    batch.changed(alert, "resolved" if alert.resolved_at else "report_received")
        spots = (data.get("content") or {}).get("hot_spots") or []
        severity = worst(str(s.get("severity")) for s in spots if isinstance(s, dict))
        if severity is not None:
            self._raise_hot_spot(batch, report_id, data, spots, severity, submitted_at, now)
        return batch

    def _raise_hot_spot(self, batch: Batch, report_id: str, data: dict[str, Any],
                        spots: list[Any], severity: str, since: datetime,
                        now: datetime) -> None:
        area_id = str(data["area_id"])
        key = alert_key(HOT_SPOT, area_id, report_id)
        if alert_id(key) in self.book.alerts:
            return
        policy = self.policy()
        reach, start = hot_spot_reach(self.people.chain(area_id), severity, policy)
        if not reach:
            log.warning("hot_spot_without_unit", area_id=area_id, report_id=report_id)
            return
        wait = policy.urgent_ack if severity == URGENT else policy.high_ack
        level = hot_spot_level(start, len(reach) - 1, since, wait, now, acknowledged=False)
        recipients = self.people.leaders(reach[: level + 1])
        alert = Alert(
            key=key, kind=HOT_SPOT, report_kind=str(data["kind"]), period=data.get("period"),
            area_id=area_id, chain=reach, level=level, recipients=recipients,
            cadre_ids=[str(data["cadre_id"])], since=since, raised_at=now,
            detail={"report_id": report_id, "severity": severity, "start": start,
                    "hot_spots": [{"category": s.get("category"), "severity": s.get("severity"),
                                   "title": s.get("title")}
                                  for s in spots if isinstance(s, dict)]},
        )
        batch.changed(alert, "raised")
        batch.tell(recipients, alert, RAISED)
        log.info("hot_spot_alert_raised", alert_id=str(alert.id), area_id=area_id,
                 report_id=report_id, severity=severity, recipients=len(recipients))

    def _on_case_closed(self, data: dict[str, Any]) -> Batch:
        # CaseStatusChanged to "resolved" carries the ids of the reports the case gathered.
        batch = Batch()
        now = self.clock.now()
        report_ids = data.get("report_ids") or []
        for alert in self.book.alerts.values():
            if alert.kind == HOT_SPOT and alert.detail.get("report_id") in report_ids \
                    and alert.resolve("case_closed", now):
                batch.changed(alert, "resolved")
        return batch

    # -- the scheduler ---------------------------------------------------------------------
    def policy(self) -> EscalationPolicy:
        try:
            return EscalationPolicy.from_mapping(self.view.escalation)
        except DomainError as err:
            if self._bad_policy != self.view.escalation:
                self._bad_policy = self.view.escalation
                log.warning("escalation_invalid_using_defaults", error=err.message)
            return EscalationPolicy()

    def coverage(self) -> Coverage:
        if self._coverage is None:
            self._coverage = Coverage(self.view, self.received)
        return self._coverage

    def sweep(self) -> int:
        """Raise what the clock says is due, climb what has waited too long; deliveries queued."""
        now = self.clock.now()
        batch = Batch()
        swept: list[tuple[str, str]] = []
        if self.view.loaded:
            engine = self.view.engine()
            for due in reminding(engine, now, self.kinds):
                if ("reminder", _swept_key(due)) not in self._swept:
                    self._raise_reminders(batch, due, now)
                    swept.append(("reminder", _swept_key(due)))
            for due in passed(engine, now, self.kinds):
                if ("overdue", _swept_key(due)) not in self._swept:
                    self._raise_overdue(batch, due, now)
                    swept.append(("overdue", _swept_key(due)))
        self._climb(batch, now)
        queued = self._commit(batch)
        # Only once saved: a sweep whose save failed is swept again on the next tick.
        self._swept.update(swept)
        return queued

    def _missing_by_area(self, due: Due, at: datetime) -> dict[str, list[str]]:
        areas: dict[str, list[str]] = defaultdict(list)
        for cadre_id, area_id in missing(self.coverage(), due, at):
            areas[area_id].append(cadre_id)
        return areas

    def _raise_reminders(self, batch: Batch, due: Due, now: datetime) -> None:
        for area_id, cadres in self._missing_by_area(due, now).items():
            key = alert_key(REMINDER, area_id, due.label)
            if alert_id(key) in self.book.alerts:
                continue
            chain = self.people.chain(area_id)
            recipients = self.people.cadre_accounts(cadres)
            alert = Alert(key=key, kind=REMINDER, report_kind=due.kind, period=due.label,
                          area_id=area_id, chain=chain[:1], level=0, recipients=recipients,
                          cadre_ids=cadres, since=due.deadline, raised_at=now, detail={})
            batch.changed(alert, "raised")
            batch.tell(recipients, alert, RAISED)

    def _raise_overdue(self, batch: Batch, due: Due, now: datetime) -> None:
        for reminder_id in list(self.book.reminders.get(due.label, ())):
            reminder = self.book.alerts[reminder_id]
            if reminder.resolve("deadline_passed", now):
                batch.changed(reminder, "resolved")
        policy = self.policy()
        raised = 0
        for area_id, cadres in self._missing_by_area(due, now).items():
            key = alert_key(OVERDUE, area_id, due.label)
            if alert_id(key) in self.book.alerts:
                continue
            chain = climb(self.people.chain(area_id), policy.top)
            level = overdue_level(due.deadline, policy.overdue_grace, now, max(0, len(chain) - 1))
            level = level or 0
            cadre_accounts = self.people.cadre_accounts(cadres)
            leaders = self.people.leaders(chain[: level + 1])
            alert = Alert(key=key, kind=OVERDUE, report_kind=due.kind, period=due.label,
                          area_id=area_id, chain=chain, level=level,
                          recipients=cadre_accounts + leaders, cadre_ids=cadres,
                          since=due.deadline, raised_at=now, detail={})
            batch.changed(alert, "raised")
            batch.tell(cadre_accounts + leaders, alert, RAISED)
            raised += 1
        if raised:
            log.info("overdue_alerts_raised", kind=due.kind, period=due.label, areas=raised)

    def _climb(self, batch: Batch, now: datetime) -> None:
        policy = self.policy()
        climbed: Counter[str] = Counter()
        for aid in list(self.book.climbing):
            alert = self.book.alerts[aid]
            if alert.kind == OVERDUE:
                target = overdue_level(alert.since, policy.overdue_grace, now, alert.last_level)
            else:
                urgent = alert.detail.get("severity") == URGENT
                target = hot_spot_level(int(alert.detail.get("start", alert.level)),
                                        alert.last_level, alert.since,
                                        policy.urgent_ack if urgent else policy.high_ack,
                                        now, acknowledged=bool(alert.acknowledged))
            if target is None or target <= alert.level:
                continue
            before = set(alert.recipients)
            recipients = self.people.leaders(alert.chain[alert.level + 1: target + 1])
            if alert.escalate(target, recipients, now):
                batch.changed(alert, "escalated")
                batch.tell([r for r in alert.recipients if r not in before], alert, ESCALATED)
                climbed[f"{alert.kind}:{alert.level_unit_id}"] += 1
        if climbed:
            log.info("alerts_escalated", to=dict(climbed))

    def _commit(self, batch: Batch) -> int:
        if not batch.alerts:
            return 0
        now = self.clock.now()
        deliveries = digests(self.view, self.channels, list(batch.notices.values()), now)
        if self.channels.nats:
            deliveries += feed(list(batch.changes.values()), now)
        self.book.commit(*batch.alerts.values(), *deliveries)
        return len(deliveries)

    # -- people asking ---------------------------------------------------------------------
    def alerts_for(self, account_id: str, status: str | None = None, limit: object = None,
                   cursor: str | None = None) -> dict[str, Any]:
        """One page of the alerts addressed to one account, newest first (open by default):
        ``{"alerts", "next_cursor", "total"}``, so no answer grows with the data."""
        wanted = status or "open"
        if wanted != "all" and wanted not in STATUSES:
            raise InvalidInput("invalid_status",
                               "status must be open, acknowledged, resolved or all",
                               "Trạng thái phải là open, acknowledged, resolved hoặc all",
                               "status")
        tz = self.view.schedule().tz
        alerts = [a for a in self.book.addressed_to(_account(account_id))
                  if wanted == "all" or a.status == wanted]
        page = newest_first(alerts, _newest, limit, cursor)
        described = {a.id: describe(self.view, a, tz) for a in page.items}
        # An alert may carry twenty long hot spot titles: a page is cut by bytes too.
        page = within_budget(page, _newest, lambda a: len(json.dumps(
            described[a.id], ensure_ascii=False, default=str).encode()))
        return {"alerts": [described[a.id] for a in page.items],
                "next_cursor": page.next_cursor, "total": page.total}

    def acknowledge(self, account_id: str, raw_alert_id: str) -> dict[str, Any]:
        """Acknowledge an alert addressed to the account; anyone else is told it is not there."""
        account = _account(account_id)
        try:
            alert = self.book.alerts.get(UUID(str(raw_alert_id)))
        except ValueError:
            alert = None
        if alert is None or not alert.addressed_to(account):
            raise NotFound("not_found", "alert not found", "Không tìm thấy cảnh báo")
        if alert.acknowledge(account, self.clock.now()):
            batch = Batch()
            batch.changed(alert, "acknowledged")
            self._commit(batch)
            log.info("alert_acknowledged", alert_id=str(alert.id), account_id=account)
        return describe(self.view, alert, self.view.schedule().tz)

    def overdue(self, at: datetime, account_id: str | None = None) -> list[dict[str, Any]]:
        """CONTRACT's overdue list, cut to what the account may see when one is given."""
        rows = overdue(self.view, self.received, at, self.kinds, self.coverage())
        if account_id is None:
            return rows
        return self.people.visible_rows(_account(account_id), rows, at)

    def overdue_page(self, at: datetime, account_id: str | None = None, limit: object = None,
                     cursor: str | None = None) -> dict[str, Any]:
        """One page of `overdue`, in the order of deadline, kind, period, unit, area, cadre:
        ``{"overdue", "next_cursor", "total"}``, so no answer grows with the network. The list
        is computed once and kept until an event changes it, so walking it costs one sweep."""
        wanted = (at, None if account_id is None else _account(account_id))
        if self._overdue_rows is None or self._overdue_rows[0] != wanted:
            rows = sorted(self.overdue(*wanted), key=_overdue_key)
            self._overdue_rows = (wanted, rows, [_overdue_key(r) for r in rows])
        _, rows, keys = self._overdue_rows
        page = in_key_order(rows, keys, limit, cursor)
        return {"overdue": page.items, "next_cursor": page.next_cursor, "total": page.total}

    # -- the outbox ------------------------------------------------------------------------
    def outbox(self, channel: str) -> list[Delivery]:
        """Deliveries to send now; digests whose every alert was resolved meanwhile are dropped."""
        due, stale = [], []
        for delivery in self.book.outbox(channel):
            alerts = [self.book.alerts.get(UUID(a)) for a in delivery.alert_ids]
            if channel != NATS and all(a is None or a.resolved_at for a in alerts):
                delivery.cancel("resolved_before_sending", self.clock.now())
                stale.append(delivery)
            else:
                due.append(delivery)
        self.book.commit(*stale)
        return due

    def sent(self, delivery_id: UUID) -> None:
        """Record a delivery as sent, on itself and on every alert it carried."""
        delivery = self.book.pending.get(delivery_id)
        if delivery is None:
            return
        now = self.clock.now()
        delivery.mark_sent(now)
        alerts = [self.book.alerts[UUID(a)] for a in delivery.alert_ids
                  if UUID(a) in self.book.alerts]
        touched = [a for a in alerts if a.record_delivery(delivery.channel, str(delivery.id), now)]
        self.book.commit(delivery, *touched)

    def reject(self, delivery_id: UUID, reason: str) -> None:
        """The channel refused a delivery for good: cancel it so it stops blocking the rest."""
        delivery = self.book.pending.get(delivery_id)
        if delivery is not None and delivery.cancel(f"rejected: {reason}"[:500], self.clock.now()):
            self.book.commit(delivery)


def _swept_key(due: Due) -> str:
    # One kind and period may fall due at several times (a plan's obligations per level).
    return f"{due.kind}:{due.label}:{due.deadline.isoformat()}"


def parse_at(value: object) -> datetime:
    """An instant in ISO 8601 with its offset, e.g. 2026-11-26T14:00:00+07:00."""
    refused = InvalidInput(
        "invalid_time", f"at must be an ISO 8601 time with offset, such as "
        f"2026-11-26T14:00:00+07:00; got {str(value)[:40]!r}",
        "Thời điểm (at) phải theo ISO 8601 và có múi giờ, ví dụ 2026-11-26T14:00:00+07:00",
        "at")
    if not isinstance(value, str):
        raise refused
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise refused from None
    if instant.utcoffset() is None:
        raise refused
    return instant.astimezone(UTC)


def _account(account_id: str) -> str:
    try:
        return str(UUID(str(account_id)))
    except ValueError:
        raise InvalidInput("invalid_account_id", "account_id must be a UUID",
                           "Mã tài khoản (account_id) không hợp lệ", "account_id") from None


def _newest(alert: Alert) -> tuple[str, str, str]:
    """Newest first: by the last escalation or the raising, then the raising, then the id
    (unique, so a page's cursor names exactly one alert)."""
    return ((alert.escalated_at or alert.raised_at).astimezone(UTC).isoformat(),
            alert.raised_at.astimezone(UTC).isoformat(), str(alert.id))


def _overdue_key(row: dict[str, Any]) -> Key:
    """Unique per row: a (cadre, area) or a unit owes a kind's period once."""
    return (str(row["deadline"]), str(row["kind"]), str(row["period"]), row["unit_id"] or "",
            row["area_id"] or "", row["cadre_id"] or "")
