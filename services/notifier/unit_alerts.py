"""Alerts about reports moving between people: a unit's report sent to its recipients, a
report returned for correction to its author, and the end of either when it is put right.

Each is raised once per dedupe key (the event's id for a sending, the revision for a
return), so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog

from domain.alert import OVERDUE, REMINDER, RETURNED, UNIT_REPORT, Alert, alert_id, alert_key
from domain.clock import as_instant
from services.notifier.batch import Batch
from services.notifier.book import AlertBook
from services.notifier.digest import RAISED
from services.notifier.people import People

log = structlog.get_logger(__name__)

UNIT_SENT = ("UnitReportSent", "UnitReportResent")
UNIT_RETURNED = "UnitReportReturned"
REPORT_RETURNED = "ReportReturned"
REPORT_CORRECTED = "ReportCorrected"


def unit_place(unit_id: str) -> str:
    """The place in a dedupe key of what a unit owes itself (areas never start with it)."""
    return f"unit:{unit_id}"


def _event_id(envelope: Mapping[str, Any]) -> str:
    data = envelope["data"]
    return str(envelope.get("event_id") or
               f"{envelope.get('aggregate_id')}:{envelope['type']}:{data.get('revision')}")


def _fields(data: Mapping[str, Any], *names: str) -> bool:
    missing = [n for n in names if data.get(n) in (None, "")]
    if missing:
        log.warning("event_fields_missing", fields=missing)
    return not missing


def _resolve(book: AlertBook, batch: Batch, keys: list[str], reason: str,
             at: datetime) -> None:
    for key in keys:
        alert = book.alerts.get(alert_id(key))
        if alert is not None and alert.resolve(reason, at):
            batch.changed(alert, "resolved")


def unit_sent(book: AlertBook, people: People, envelope: Mapping[str, Any],
              now: datetime) -> Batch:
    """UnitReportSent / UnitReportResent: the recipients' leaders are told; the unit's
    reminder and overdue for that report stop; a return it answers is closed."""
    batch = Batch()
    data = envelope["data"]
    if not _fields(data, "unit_id", "kind", "period"):
        return batch
    unit_id, kind, period = str(data["unit_id"]), str(data["kind"]), str(data["period"])
    sent_at = as_instant(data.get("sent_at")) or now
    _resolve(book, batch, [alert_key(k, unit_place(unit_id), period) for k in (REMINDER, OVERDUE)],
             "report_received", sent_at)
    revision = int(data.get("revision") or 1)
    report_id = str(envelope.get("aggregate_id"))
    _resolve(book, batch, [alert_key(RETURNED, report_id, f"r{r}") for r in range(1, revision)],
             "corrected", sent_at)
    key = alert_key(UNIT_REPORT, unit_id, _event_id(envelope))
    if alert_id(key) in book.alerts:
        return batch
    to_units = [str(u) for u in data.get("recipients") or []]
    recipients = people.leaders(to_units)
    if not recipients:
        return batch
    alert = Alert(key=key, kind=UNIT_REPORT, report_kind=kind, period=period, area_id=None,
                  chain=[unit_id], level=0, recipients=recipients, cadre_ids=[], since=sent_at,
                  raised_at=now, detail={
                      "unit_report_id": report_id, "number": data.get("number"),
                      "revision": revision, "recipients": to_units,
                      "resent": envelope["type"] == "UnitReportResent",
                      "on_time": data.get("on_time")})
    batch.changed(alert, "raised")
    batch.tell(recipients, alert, RAISED)
    log.info("unit_report_alert_raised", unit_id=unit_id, kind=kind, period=period,
             recipients=len(recipients))
    return batch


def unit_returned(book: AlertBook, people: People, envelope: Mapping[str, Any],
                  now: datetime) -> Batch:
    """UnitReportReturned: the drafting unit's leaders are told, with the reason."""
    batch = Batch()
    data = envelope["data"]
    if not _fields(data, "unit_id", "kind", "period"):
        return batch
    unit_id = str(data["unit_id"])
    report_id = str(envelope.get("aggregate_id"))
    revision = int(data.get("revision") or 1)
    key = alert_key(RETURNED, report_id, f"r{revision}")
    recipients = people.leaders([unit_id])
    if alert_id(key) in book.alerts or not recipients:
        return batch
    alert = Alert(key=key, kind=RETURNED, report_kind=str(data["kind"]),
                  period=str(data["period"]), area_id=None, chain=[unit_id], level=0,
                  recipients=recipients, cadre_ids=[],
                  since=as_instant(data.get("returned_at")) or now, raised_at=now,
                  detail={"unit_report_id": report_id, "revision": revision,
                          "reason": str(data.get("reason") or ""),
                          "by_unit": data.get("by_unit"), "owner": "unit"})
    batch.changed(alert, "raised")
    batch.tell(recipients, alert, RAISED)
    return batch


def report_returned(book: AlertBook, people: People, envelope: Mapping[str, Any],
                    now: datetime) -> Batch:
    """ReportReturned: the cadre is told, with the reason."""
    batch = Batch()
    data = envelope["data"]
    if not _fields(data, "cadre_id", "area_id", "kind"):
        return batch
    report_id = str(envelope.get("aggregate_id"))
    revision = int(data.get("revision") or 1)
    key = alert_key(RETURNED, report_id, f"r{revision}")
    recipients = people.cadre_accounts([str(data["cadre_id"])])
    if alert_id(key) in book.alerts or not recipients:
        return batch
    unit_id = data.get("unit_id") or people.view.unit_for_area(str(data["area_id"]))
    alert = Alert(key=key, kind=RETURNED, report_kind=str(data["kind"]),
                  period=None if data.get("period") is None else str(data["period"]),
                  area_id=str(data["area_id"]), chain=[str(unit_id)] if unit_id else [],
                  level=0, recipients=recipients, cadre_ids=[str(data["cadre_id"])],
                  since=as_instant(data.get("returned_at")) or now, raised_at=now,
                  detail={"report_id": report_id, "revision": revision,
                          "reason": str(data.get("reason") or ""),
                          "by_unit": data.get("returned_by_unit"), "owner": "cadre"})
    batch.changed(alert, "raised")
    batch.tell(recipients, alert, RAISED)
    return batch


def report_corrected(book: AlertBook, envelope: Mapping[str, Any], now: datetime) -> Batch:
    """ReportCorrected: the returns it answers are closed."""
    batch = Batch()
    data = envelope["data"]
    revision = int(data.get("revision") or 2)
    report_id = str(envelope.get("aggregate_id"))
    _resolve(book, batch, [alert_key(RETURNED, report_id, f"r{r}") for r in range(1, revision)],
             "corrected", as_instant(data.get("corrected_at")) or now)
    return batch
