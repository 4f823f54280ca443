"""The notifier's use cases: follow events, sweep deadlines, climb the ladder, answer people.

Not thread-safe by design: the runtime calls it from one worker thread only, so
the network view, the ledger and the alert book never change under a reader.
"""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
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
from domain.alert_ack import GroupAck, group_ack_id
from domain.clock import Clock, as_instant
from domain.delivery import NATS, Delivery
from domain.errors import Conflict, DomainError, InvalidInput, NotFound
from domain.idempotency import checked_key
from domain.ladder import (
    URGENT,
    EscalationPolicy,
    climb,
    hot_spot_level,
    hot_spot_reach,
    overdue_level,
    worst,
)
from domain.obligation_engine import OwedItem, Owner, Receipt, Status
from domain.obligations import OwnerType
from domain.periods import Period
from services.common.network_view import NetworkView
from services.common.paging import Key, in_key_order, newest_first, within_budget
from services.notifier.batch import Batch
from services.notifier.book import AlertBook
from services.notifier.dead_letter import DeadLetter, dead_letter_id
from services.notifier.deadlines import (
    Coverage,
    Due,
    missing,
    overdue,
    passed,
    reminding,
    unit_missing,
    units_passed,
    units_reminding,
)
from services.notifier.digest import ESCALATED, RAISED, describe, digests, feed
from services.notifier.groups import Selection, groups
from services.notifier.people import People
from services.notifier.received import Received
from services.notifier.render import group_title
from services.notifier.settings import Channels
from services.notifier.unit_alerts import (
    REPORT_CORRECTED,
    REPORT_RETURNED,
    UNIT_RETURNED,
    UNIT_SENT,
    report_corrected,
    report_returned,
    unit_place,
    unit_returned,
    unit_sent,
)

log = structlog.get_logger(__name__)

_REPORT = "ReportSubmitted"
MAX_GROUPS = 200  # groups in one answer, newest first (their alerts stay reachable by filter)


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
            else:
                self._record(type_, data)

    def _record(self, type_: str, data: dict[str, Any]) -> None:
        """Keep in the ledger what an event says was received, returned or sent again."""
        if type_ == _REPORT:
            self.received.add_report(data)
        elif type_ == REPORT_RETURNED:
            self.received.return_report(data)
        elif type_ == REPORT_CORRECTED:
            self.received.correct_report(data)
        elif type_ in UNIT_SENT:
            self.received.unit_sent(data)
        elif type_ == UNIT_RETURNED:
            self.received.unit_returned(data)

    def apply(self, envelope: dict[str, Any], *, remember: bool = True) -> int:
        """Take one envelope in; `remember=False` when its state was already replayed.

        Returns how many deliveries it queued.
        """
        self._overdue_rows = None
        type_, data = str(envelope["type"]), envelope["data"]
        if remember and self.view.apply(type_, envelope["aggregate_id"], data):
            self._network_changed()
            return 0
        if remember:
            self._record(type_, data)
        now = self.clock.now()
        if type_ == _REPORT:
            return self._commit(self._on_report(str(envelope["aggregate_id"]), data))
        if type_ == "CaseStatusChanged" and data.get("status") == "resolved":
            return self._commit(self._on_case_closed(data))
        if type_ in UNIT_SENT:
            return self._commit(unit_sent(self.book, self.people, envelope, now))
        if type_ == UNIT_RETURNED:
            return self._commit(unit_returned(self.book, self.people, envelope, now))
        if type_ == REPORT_RETURNED:
            return self._commit(report_returned(self.book, self.people, envelope, now))
        if type_ == REPORT_CORRECTED:
            return self._commit(report_corrected(self.book, envelope, now))
        return 0  # an event the notifier does not follow

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
        recipients = self._hot_spot_people(reach[: level + 1], severity)
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

    def _hot_spot_people(self, units: list[str], severity: object) -> list[str]:
        """The leaders of these units; for an urgent hot spot, of their copy recipients too
        (seed 002: the town reports "đồng thời" to Ban Dân vận Tỉnh ủy and Hội CCB tỉnh)."""
        if severity == URGENT:
            units = list(dict.fromkeys([*units, *self.people.copies(units)]))
        return self.people.leaders(units)

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
            for item in units_reminding(engine, now, self.kinds):
                if ("unit_reminder", _item_key(item)) not in self._swept:
                    self._raise_unit(batch, item, REMINDER, now)
                    swept.append(("unit_reminder", _item_key(item)))
            for item in units_passed(engine, now, self.kinds):
                if ("unit_overdue", _item_key(item)) not in self._swept:
                    self._raise_unit(batch, item, OVERDUE, now)
                    swept.append(("unit_overdue", _item_key(item)))
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
            # A unit's own reminder ends at its own deadline (_raise_unit).
            if reminder.area_id is not None and reminder.resolve("deadline_passed", now):
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

    def _raise_unit(self, batch: Batch, item: OwedItem, kind: str, now: datetime) -> None:
        """A unit's own report: a reminder to its leaders, or overdue from its leaders up
        its line. Never for a unit with nobody to file it or one that has sent it."""
        unit_id, label = item.owner.id, str(item.period)
        key = alert_key(kind, unit_place(unit_id), label)
        if alert_id(key) in self.book.alerts or not unit_missing(self.received, item, now):
            return
        if not self.people.leaders([unit_id]):
            return
        if kind == REMINDER:
            chain, level = [unit_id], 0
        else:
            reminder = self.book.alerts.get(alert_id(alert_key(REMINDER, unit_place(unit_id),
                                                               label)))
            if reminder is not None and reminder.resolve("deadline_passed", now):
                batch.changed(reminder, "resolved")
            policy = self.policy()
            chain = climb(self.people.unit_chain(unit_id), policy.top)
            level = overdue_level(item.deadline, policy.overdue_grace, now,
                                  max(0, len(chain) - 1)) or 0
        recipients = self.people.leaders(chain[: level + 1])
        alert = Alert(key=key, kind=kind, report_kind=item.kind, period=label, area_id=None,
                      chain=chain, level=level, recipients=recipients, cadre_ids=[],
                      since=item.deadline, raised_at=now,
                      detail={"owner": "unit", "recipients": list(item.recipients)})
        batch.changed(alert, "raised")
        batch.tell(recipients, alert, RAISED)

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
            reached = alert.chain[alert.level + 1: target + 1]
            recipients = (self._hot_spot_people(reached, alert.detail.get("severity"))
                          if alert.kind == HOT_SPOT else self.people.leaders(reached))
            if alert.escalate(target, recipients, now):
                batch.changed(alert, "escalated")
                batch.tell([r for r in alert.recipients if r not in before], alert, ESCALATED)
                climbed[f"{alert.kind}:{alert.level_unit_id}"] += 1
        if climbed:
            log.info("alerts_escalated", to=dict(climbed))

    def _commit(self, batch: Batch, *others: GroupAck) -> int:
        if not batch.alerts and not others:
            return 0
        now = self.clock.now()
        deliveries = digests(self.view, self.channels, list(batch.notices.values()), now)
        if self.channels.nats:
            deliveries += feed(list(batch.changes.values()), now)
        self.book.commit(*batch.alerts.values(), *deliveries, *others)
        return len(deliveries)

    # -- people asking ---------------------------------------------------------------------
    def _selected(self, account_id: str, status: str | None,
                  filters: Mapping[str, Any] | None) -> list[Alert]:
        wanted = status or "open"
        if wanted != "all" and wanted not in STATUSES:
            raise InvalidInput("invalid_status",
                               "status must be open, acknowledged, resolved or all",
                               "Trạng thái phải là open, acknowledged, resolved hoặc all",
                               "status")
        selection = Selection.from_mapping(filters)
        return [a for a in self.book.addressed_to(_account(account_id))
                if (wanted == "all" or a.status == wanted) and selection.matches(a)]

    def alerts_for(self, account_id: str, status: str | None = None, limit: object = None,
                   cursor: str | None = None,
                   filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One page of the alerts addressed to one account, newest first (open by default):
        ``{"alerts", "next_cursor", "total"}``, so no answer grows with the data. `filters`
        (type, kind, period, unit_id, or a group key) narrow it."""
        alerts = self._selected(account_id, status, filters)
        tz = self.view.schedule().tz
        page = newest_first(alerts, _newest, limit, cursor)
        described = {a.id: describe(self.view, a, tz) for a in page.items}
        # An alert may carry twenty long hot spot titles: a page is cut by bytes too.
        page = within_budget(page, _newest, lambda a: len(json.dumps(
            described[a.id], ensure_ascii=False, default=str).encode()))
        return {"alerts": [described[a.id] for a in page.items],
                "next_cursor": page.next_cursor, "total": page.total}

    def alert_groups(self, account_id: str, status: str | None = None,
                     filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The account's alerts grouped by type, report kind, period and unit, with counts,
        newest group first: ``{"groups": [...]}``."""
        alerts = self._selected(account_id, status, filters)
        tz = self.view.schedule().tz

        def title(alert: Alert, count: int) -> str:
            return group_title(describe(self.view, alert, tz), count)
        found = groups(alerts, _newest, title)
        # No answer grows with the data: the newest groups, and how many there are.
        return {"groups": found[:MAX_GROUPS], "total": len(found)}

    def acknowledge_many(self, account_id: str, idempotency_key: str | None,
                         selection: Mapping[str, Any] | None) -> dict[str, Any]:
        """Acknowledge every open alert of the account in a group (or matching filters;
        none: all of them) at once. The same key and selection answer the same again and
        record nothing; the same key with another selection is a conflict."""
        account = _account(account_id)
        key = checked_key(idempotency_key)
        chosen = Selection.from_mapping(selection)
        record = self.book.group_acks.get(group_ack_id(account, key))
        if record is not None:
            if record.selection_hash != chosen.digest():
                raise Conflict("idempotency_conflict",
                               "This Idempotency-Key was already used for another selection",
                               "Khoá chống gửi trùng này đã dùng cho một lựa chọn khác",
                               "Idempotency-Key")
            return {"acknowledged": len(record.alert_ids)}
        now = self.clock.now()
        batch = Batch()
        for alert in self.book.addressed_to(account):
            if alert.status == "open" and chosen.matches(alert) and alert.acknowledge(account,
                                                                                       now):
                batch.changed(alert, "acknowledged")
        ids = sorted(str(a) for a in batch.alerts)
        self._commit(batch, GroupAck(account_id=account, idempotency_key=key,
                                     selection_hash=chosen.digest(), alert_ids=ids, at=now))
        log.info("alerts_acknowledged", account_id=account, count=len(ids))
        return {"acknowledged": len(ids)}

    def unit_status(self, kind: str, period: str, unit_id: str, at: datetime) -> Status | None:
        """How a unit's own report stands at `at` (the engine's statuses); None if not owed."""
        items = [i for i in self.view.engine().owed(Period.parse(period), [kind], OwnerType.UNIT)
                 if i.owner.id == unit_id]
        sent = self.received.unit_when(kind, period, unit_id)
        receipts = [] if sent is None else [Receipt(kind, Period.parse(period),
                                                    Owner(OwnerType.UNIT, unit_id), None,
                                                    sent[0], returned=sent[1])]
        return _status(self.view.engine().standing(items, receipts, at))

    def cadre_status(self, kind: str, period: str, cadre_id: str, area_id: str,
                     at: datetime) -> Status | None:
        """How a cadre's report for an area stands at `at`; None if not owed."""
        items = [i for i in self.view.engine().owed(Period.parse(period), [kind],
                                                    OwnerType.CADRE)
                 if i.owner.id == cadre_id and i.area_id == area_id]
        got = self.received.when(kind, period, cadre_id, area_id)
        receipts = [] if got is None else [Receipt(
            kind, Period.parse(period), Owner(OwnerType.CADRE, cadre_id), area_id, got[0],
            returned=self.received.returned(kind, period, cadre_id, area_id))]
        return _status(self.view.engine().standing(items, receipts, at))

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


def _status(standings: list[Any]) -> Status | None:
    return standings[0].status if standings else None



def _item_key(item: OwedItem) -> str:
    return f"{item.kind}:{item.period}:{item.owner.id}:{item.deadline.isoformat()}"


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
