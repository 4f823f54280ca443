"""From alert changes to outbox entries: one digest per person per change batch, one feed
message per alert change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.alert import Alert
from domain.delivery import EMAIL, NATS, WEBHOOK, Delivery
from domain.network_records import Area, Cadre, Unit
from domain.report_content import CATEGORIES, SEVERITIES
from services.common.network_view import NetworkView
from services.notifier.render import headline
from services.notifier.settings import Channels

RAISED, ESCALATED = "raised", "escalated"
_WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
REPORT_KINDS_VI = {
    "weekly": "báo cáo nhanh hằng tuần",
    "monthly": "báo cáo tháng",
    "quarterly": "báo cáo quý",
    "semiannual": "báo cáo 6 tháng",
    "annual": "báo cáo năm",
    "urgent": "báo cáo đột xuất",
}


@dataclass(frozen=True)
class Notice:
    """One person is to be told about one alert: it was raised, or it climbed to them."""

    account_id: str
    alert: Alert
    step: str


def vn_time(instant: datetime, tz: ZoneInfo) -> str:
    """`14:00 thứ Năm, 26/11/2026`: how a deadline reads to a Vietnamese leader."""
    local = instant.astimezone(tz)
    return f"{local:%H:%M} {_WEEKDAYS_VI[local.weekday()]}, {local:%d/%m/%Y}"


def _name(table: Mapping[str, Area | Unit | Cadre], key: str | None) -> str:
    record = table.get(key or "")
    return (key or "") if record is None else record.name


def describe(view: NetworkView, alert: Alert, tz: ZoneInfo) -> dict[str, Any]:
    """The alert as people read it: names resolved, times in the schedule's zone."""
    described = _describe(view, alert, tz)
    described["message_vi"] = headline(described)
    return described


def _describe(view: NetworkView, alert: Alert, tz: ZoneInfo) -> dict[str, Any]:
    detail = alert.detail
    return {
        "alert_id": str(alert.id),
        "kind": alert.kind,
        "status": alert.status,
        "report_kind": alert.report_kind,
        "report_kind_vi": REPORT_KINDS_VI.get(alert.report_kind, alert.report_kind),
        "period": alert.period,
        "area_id": alert.area_id,
        "area_name": _name(view.areas, alert.area_id),
        "unit_id": alert.unit_id,
        "unit_name": _name(view.units, alert.unit_id),
        "level": alert.level,
        "level_unit_id": alert.level_unit_id,
        "level_unit_name": _name(view.units, alert.level_unit_id),
        "since": alert.since.isoformat(),
        "since_vi": vn_time(alert.since, tz),
        "raised_at": alert.raised_at.isoformat(),
        "escalated_at": None if alert.escalated_at is None else alert.escalated_at.isoformat(),
        "resolved_at": None if alert.resolved_at is None else alert.resolved_at.isoformat(),
        "resolution": alert.resolution,
        "missing": [{"cadre_id": c, "name": _name(view.cadres, c)} for c in alert.missing],
        "report_id": detail.get("report_id"),
        "severity": detail.get("severity"),
        "severity_vi": SEVERITIES.get(str(detail.get("severity")), ""),
        "hot_spots": [{**spot, "category_vi": CATEGORIES.get(str(spot.get("category")), ""),
                       "severity_vi": SEVERITIES.get(str(spot.get("severity")), "")}
                      for spot in detail.get("hot_spots", [])],
        "acknowledged_by": sorted(alert.acknowledged),
        "owner": detail.get("owner", "unit" if alert.kind == "unit_report" else "cadre"),
        "reason": detail.get("reason"),
        "number": detail.get("number"),
        "revision": detail.get("revision"),
        "resent": bool(detail.get("resent")),
        "unit_report_id": detail.get("unit_report_id"),
        "by_unit_id": detail.get("by_unit"),
        "by_unit_name": _name(view.units, detail.get("by_unit")),
    }


def _trigger(alerts: list[Alert]) -> list[str]:
    return sorted(f"{a.id}:{a.version}" for a in alerts)


def digests(view: NetworkView, channels: Channels, notices: list[Notice],
            now: datetime) -> list[Delivery]:
    """One message per person and channel for everything this batch tells them."""
    tz = view.schedule().tz
    by_account: dict[str, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_account[notice.account_id].append(notice)
    out: list[Delivery] = []
    for account_id, told in sorted(by_account.items()):
        account = view.accounts.get(UUID(account_id))
        if account is None or not account.active:
            continue
        alerts = [n.alert for n in told]
        payload = {
            "account_id": account_id,
            "username": account.username,
            "name": account.name,
            "base_url": channels.base_url,
            "items": [{**describe(view, n.alert, tz), "step": n.step} for n in told],
        }
        trigger, ids = _trigger(alerts), [str(a.id) for a in alerts]
        address = channels.email_for(account.username)
        if address is not None:
            out.append(Delivery(channel=EMAIL, account_id=account_id, trigger=trigger,
                                alert_ids=ids, payload={**payload, "to": address},
                                queued_at=now))
        if channels.webhook:
            out.append(Delivery(channel=WEBHOOK, account_id=account_id, trigger=trigger,
                                alert_ids=ids, payload=payload, queued_at=now))
    return out


def feed(changes: list[tuple[Alert, str]], now: datetime) -> list[Delivery]:
    """One machine-readable message per alert change, for `tinhhinh.alerts.<kind>.<unit>`.

    Ids and states only: subjects and payloads of the feed carry no names or text.
    """
    out = []
    for alert, change in changes:
        payload = {
            "v": 1,
            "alert_id": str(alert.id),
            "change": change,
            "kind": alert.kind,
            "status": alert.status,
            "report_kind": alert.report_kind,
            "period": alert.period,
            "area_id": alert.area_id,
            "unit_id": alert.unit_id,
            "level": alert.level,
            "level_unit_id": alert.level_unit_id,
            "severity": alert.detail.get("severity"),
            "report_id": alert.detail.get("report_id"),
            "missing_cadre_ids": list(alert.missing),
            "recipients": list(alert.recipients),
            "at": now.isoformat(),
        }
        out.append(Delivery(channel=NATS, account_id=None, trigger=_trigger([alert]),
                            alert_ids=[str(alert.id)], payload=payload, queued_at=now))
    return out
