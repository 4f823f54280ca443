"""Hook answers (rollups, alerts, audit status) made safe and complete for the templates."""

from __future__ import annotations

from typing import Any

from services.intake.bootstrap import Runtime
from services.intake.web.due import area_name

ALERT_KINDS_VI = {"reminder": "Nhắc hạn", "overdue": "Quá hạn", "hot_spot": "Điểm nóng"}
ALERT_STATUS_VI = {"open": "Chưa tiếp nhận", "acknowledged": "Đã tiếp nhận",
                   "resolved": "Đã giải quyết"}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _percent(part: int, whole: int) -> int:
    return 0 if whole <= 0 else round(100 * part / whole)


def unit_name(runtime: Runtime, unit_id: str) -> str:
    unit = runtime.directory.unit(unit_id)
    return (unit.name if unit is not None else "") or unit_id


def rollup_panel(runtime: Runtime, raw: dict[str, Any]) -> dict[str, Any]:
    """A rollup (CONTRACT shape) with names, percentages and the silent children named."""
    rows = []
    for child in raw.get("children") or []:
        expected, received = _int(child.get("expected")), _int(child.get("received"))
        on_time = _int(child.get("on_time"))
        rows.append({"unit_id": str(child.get("unit_id", "")),
                     "name": unit_name(runtime, str(child.get("unit_id", ""))),
                     "expected": expected, "received": received, "on_time": on_time,
                     "late": _int(child.get("late")),
                     "percent": _percent(received, expected),
                     "on_time_percent": _percent(on_time, received)})
    expected, received = _int(raw.get("expected")), _int(raw.get("received"))
    missing = []
    for item in raw.get("missing") or []:
        cadre_id = str(item.get("cadre_id", ""))
        cadre = runtime.directory.cadre(cadre_id)
        missing.append(f"{cadre_id if cadre is None else cadre.name} "
                       f"({area_name(runtime, str(item.get('area_id', '')))})")
    return {"period": str(raw.get("period", "")), "expected": expected, "received": received,
            "on_time": _int(raw.get("on_time")), "late": _int(raw.get("late")),
            "percent": _percent(received, expected),
            "on_time_percent": _percent(_int(raw.get("on_time")), received),
            "assessment": raw.get("assessment"), "counts": dict(raw.get("counts") or {}),
            "hot_spots": list(raw.get("hot_spots") or []), "children": rows,
            "silent": [r["name"] for r in rows if r["expected"] and not r["received"]],
            "missing": missing}


def alert_panel(runtime: Runtime, raw: dict[str, Any]) -> dict[str, Any]:
    kind, status = str(raw.get("kind", "")), str(raw.get("status", "open"))
    area = raw.get("area_id")
    return {"alert_id": str(raw.get("alert_id") or raw.get("id") or ""),
            "kind_vi": ALERT_KINDS_VI.get(kind, kind), "kind": kind,
            "status": status, "status_vi": ALERT_STATUS_VI.get(status, status),
            "message_vi": str(raw.get("message_vi") or raw.get("message") or ""),
            "area": area_name(runtime, str(area)) if area else "",
            "period": raw.get("period") or "", "raised_at": raw.get("raised_at")}


def audit_panel(raw: dict[str, Any]) -> dict[str, Any]:
    return {"ok": bool(raw.get("ok")), "checked_at": raw.get("checked_at"),
            "position": raw.get("position"), "first_bad": raw.get("first_bad"),
            "message_vi": str(raw.get("message_vi") or "")}
