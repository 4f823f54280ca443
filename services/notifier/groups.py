"""Alerts people can act on: filters, groups by type, kind, period and unit, and the
selection "acknowledge all of these" names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.alert import ALERT_KINDS, Alert
from domain.errors import InvalidInput

FILTERS = ("type", "kind", "period", "unit_id")
_SEP = "|"


@dataclass(frozen=True)
class Selection:
    """Which of a person's alerts: every field given must match (None: any)."""

    type: str | None = None
    kind: str | None = None
    period: str | None = None
    unit_id: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Selection:
        """From query filters or a POST body: `{"group": key}` or any of FILTERS."""
        data = dict(data or {})
        unknown = sorted(k for k in data if k not in (*FILTERS, "group"))
        if unknown:
            raise InvalidInput("invalid_field",
                               f"Unknown filter {unknown[0]!r}; known: group, "
                               f"{', '.join(FILTERS)}",
                               f"Bộ lọc '{unknown[0]}' không được hỗ trợ", unknown[0])
        values: dict[str, str | None] = {}
        for name in FILTERS:
            value = data.get(name)
            if value in (None, ""):
                values[name] = None
            elif not isinstance(value, str) or len(value) > 200:
                raise InvalidInput("invalid_field", f"{name} must be text",
                                   f"{name} phải là chuỗi ký tự", name)
            else:
                values[name] = value
        group = data.get("group")
        if group not in (None, ""):
            if any(values.values()):
                raise InvalidInput("invalid_field", "Give either a group or filters, not both",
                                   "Chỉ chọn nhóm hoặc bộ lọc, không dùng cả hai", "group")
            return parse_group(group)
        if values["type"] is not None and values["type"] not in ALERT_KINDS:
            raise InvalidInput("invalid_type", f"type must be one of {', '.join(ALERT_KINDS)}",
                               f"Loại cảnh báo (type) phải là một trong: "
                               f"{', '.join(ALERT_KINDS)}", "type")
        return cls(**values)

    def matches(self, alert: Alert) -> bool:
        return ((self.type is None or alert.kind == self.type)
                and (self.kind is None or alert.report_kind == self.kind)
                and (self.period is None or (alert.period or "") == self.period)
                and (self.unit_id is None or (alert.unit_id or "") == self.unit_id))

    def digest(self) -> str:
        """What the selection asks for, for an Idempotency-Key's body check."""
        text = json.dumps([self.type, self.kind, self.period, self.unit_id])
        return hashlib.sha256(text.encode()).hexdigest()


def group_key(alert: Alert) -> str:
    return _SEP.join((alert.kind, alert.report_kind, alert.period or "", alert.unit_id or ""))


def parse_group(key: object) -> Selection:
    parts = key.split(_SEP) if isinstance(key, str) else []
    if len(parts) != 4 or parts[0] not in ALERT_KINDS:
        raise InvalidInput("invalid_group", "group must be a key from GET /api/v1/alerts/groups",
                           "Nhóm (group) không hợp lệ", "group")
    # An empty part is an alert with no period (hot spots) or no unit: it must match "".
    return Selection(parts[0], parts[1], parts[2], parts[3])


def groups(alerts: Iterable[Alert], newest: Any, title: Any) -> list[dict[str, Any]]:
    """One entry per group, newest first; `newest(alert)` orders, `title(alert, n)` names."""
    by_key: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_key.setdefault(group_key(alert), []).append(alert)
    out = []
    for key, members in by_key.items():
        members.sort(key=newest, reverse=True)
        head = members[0]
        out.append({"key": key, "type": head.kind, "kind": head.report_kind,
                    "period": head.period, "unit_id": head.unit_id, "count": len(members),
                    "open": sum(1 for a in members if a.status == "open"),
                    "newest_at": newest(head)[0], "title_vi": title(head, len(members))})
    out.sort(key=lambda g: (g["newest_at"], g["key"]), reverse=True)
    return out
