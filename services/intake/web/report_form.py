"""The report form: posted fields to a report body, a past report back to fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import InvalidInput
from domain.report_content import MAX_HOT_SPOTS, SECTIONS

QUICK_SUMMARY = "Ổn định, không có gì mới"
# Counts a cadre is asked for; any other name would still be accepted by the API.
COUNTS = {
    "complaints_received": "Đơn thư khiếu nại, tố cáo mới nhận",
    "complaints_resolved": "Đơn thư đã được giải quyết",
    "opinions_collected": "Ý kiến, kiến nghị của nhân dân",
    "households_visited": "Hộ gia đình đã nắm tình hình",
    "meetings_attended": "Cuộc họp, buổi tiếp xúc đã dự",
}
_HOT_SPOT = re.compile(r"^hot_spots\[(\d{1,2})\]\.(category|severity|title|description|"
                       r"case_id|remove)$")
_BLANK_SPOT = {"category": "other", "severity": "medium", "title": "", "description": "",
               "case_id": ""}


_LABELS = {"summary": "Tóm tắt tình hình", "assessment": "Đánh giá chung",
           "area_id": "Địa bàn", "period": "Kỳ báo cáo", "device_time": "Giờ trên máy"}
_SPOT_LABELS = {"title": "tiêu đề", "category": "lĩnh vực", "severity": "mức độ",
                "description": "diễn biến", "case_id": "số vụ việc"}


def said(field: str | None, message_vi: str) -> str:
    """A domain message with its field name (`summary: …`) said as the form labels it."""
    if not field or not message_vi.startswith(f"{field}: "):
        return message_vi
    rest = message_vi[len(field) + 2:]
    match = re.match(r"^hot_spots\[(\d+)\]\.(\w+)$", field)
    if match:
        label = f"Điểm nóng thứ {int(match[1]) + 1}, {_SPOT_LABELS.get(match[2], match[2])}"
    elif field.startswith("sections."):
        label = SECTIONS.get(field.removeprefix("sections."), field)
    elif field.startswith("counts."):
        label = COUNTS.get(field.removeprefix("counts."), field)
    else:
        label = _LABELS.get(field, field)
    return f"{label}: {rest}"


def blank_spot() -> dict[str, str]:
    return dict(_BLANK_SPOT)


@dataclass
class ReportForm:
    """What the form shows: the values as typed, and the error of each field."""

    kind: str
    area_id: str
    period: str | None
    key: str
    assessment: str = ""
    summary: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    counts: dict[str, str] = field(default_factory=dict)
    hot_spots: list[dict[str, str]] = field(default_factory=list)
    device_time: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def count_errors(self) -> bool:
        return any(name.startswith("counts.") for name in self.errors)

    def body(self, quick: bool = False) -> dict[str, Any]:
        """The JSON body IntakeService.submit takes; InvalidInput for a count that is no number."""
        body: dict[str, Any] = {"kind": self.kind, "area_id": self.area_id}
        if self.period is not None:
            body["period"] = self.period
        if self.device_time:
            body["device_time"] = self.device_time
        if quick:
            return {**body, "assessment": "stable", "summary": QUICK_SUMMARY}
        body["assessment"] = self.assessment
        body["summary"] = self.summary
        sections = {k: v for k, v in self.sections.items() if v.strip()}
        if sections:
            body["sections"] = sections
        counts = {}
        for name, raw in self.counts.items():
            if not raw.strip():
                continue
            if not raw.strip().isascii() or not raw.strip().isdigit():
                raise InvalidInput("invalid_field", f"counts.{name}: must be a whole number",
                                   f"{COUNTS.get(name, name)}: phải là số nguyên không âm",
                                   f"counts.{name}")
            counts[name] = int(raw.strip())
        if counts:
            body["counts"] = counts
        spots = []
        for spot in self.hot_spots:
            if spot.get("remove") or not (spot["title"].strip() or spot["description"].strip()):
                continue
            item = {k: spot[k] for k in ("category", "severity", "title", "description")}
            if spot.get("case_id"):
                item["case_id"] = spot["case_id"]
            spots.append(item)
        if spots:
            body["hot_spots"] = spots
        return body


def from_fields(form: Mapping[str, Any], kind: str, period: str | None) -> ReportForm:
    """Read posted fields; unknown names are ignored, hot spot rows kept in their order."""
    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    result = ReportForm(kind=kind, area_id=text("area_id"), period=period,
                        key=text("idempotency_key"), assessment=text("assessment"),
                        summary=text("summary"), device_time=text("device_time"))
    result.sections = {k: text(f"sections.{k}") for k in SECTIONS if text(f"sections.{k}")}
    result.counts = {k: text(f"counts.{k}") for k in COUNTS if text(f"counts.{k}")}
    rows: dict[int, dict[str, str]] = {}
    for name in form:
        match = _HOT_SPOT.match(name)
        if match and int(match[1]) < MAX_HOT_SPOTS:
            rows.setdefault(int(match[1]), blank_spot())[match[2]] = text(name)
    result.hot_spots = [rows[i] for i in sorted(rows)]
    return result


def from_report(report: Mapping[str, Any], kind: str, period: str | None, key: str,
                open_cases: set[str]) -> ReportForm:
    """A new form pre-filled from a past report; hot spots of cases still open carry over."""
    spots = []
    for spot, number in zip(report.get("hot_spots", []), report.get("case_ids", []),
                            strict=False):
        if number in open_cases:
            spots.append({**blank_spot(), **{k: str(spot.get(k, "")) for k in
                                             ("category", "severity", "title", "description")},
                          "case_id": number})
    return ReportForm(kind=kind, area_id=str(report["area_id"]), period=period, key=key,
                      assessment=str(report.get("assessment", "")),
                      summary=str(report.get("summary", "")),
                      sections=dict(report.get("sections", {})),
                      counts={k: str(v) for k, v in report.get("counts", {}).items()
                              if k in COUNTS},
                      hot_spots=spots)
