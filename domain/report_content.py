"""What a report carries, checked and normalised before anything is recorded."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput
from domain.periods import REPORT_KIND_CADENCE, Period, ReportKind
from domain.severity import SEVERITY_VI

KINDS: tuple[str, ...] = (ReportKind.WEEKLY, ReportKind.URGENT, ReportKind.MONTHLY,
                          ReportKind.QUARTERLY, ReportKind.SEMIANNUAL, ReportKind.ANNUAL)


class Assessment(StrEnum):
    """How the cadre judges the area's situation; the values are what reports carry."""

    STABLE = "stable"
    ATTENTION = "attention"
    COMPLEX = "complex"


# Keyed by str: readers look up the plain strings that events and envelopes carry.
ASSESSMENTS: dict[str, str] = {
    Assessment.STABLE: "ổn định",
    Assessment.ATTENTION: "cần chú ý",
    Assessment.COMPLEX: "phức tạp",
}
SEVERITIES = SEVERITY_VI
# The headings of a report (BRIEF §2 "What a report carries"), key → Vietnamese heading.
SECTIONS = {
    "socio_economic": "Tình hình phát triển kinh tế - xã hội",
    "defence_security": "Quốc phòng, an ninh",
    "political_system": "Xây dựng hệ thống chính trị",
    "resolutions": "Việc thực hiện nghị quyết, chỉ thị",
    "life_and_mood": "Đời sống, tâm trạng của nhân dân, hội viên",
    "relations": "Quan hệ giữa nhân dân với hệ thống chính trị cơ sở",
    "opinions": "Ý kiến, nguyện vọng của nhân dân",
    "complaints": "Đơn thư khiếu nại, tố cáo và việc giải quyết",
    "hot_spots": "Vụ việc nổi cộm, tồn đọng, kéo dài",
    "difficulties": "Khó khăn, vướng mắc",
    "proposals": "Đề xuất, kiến nghị",
    "sources": "Nguồn nắm tình hình",
}
CATEGORIES = {
    "complaint": "khiếu nại",
    "denunciation": "tố cáo",
    "land": "đất đai",
    "environment": "môi trường",
    "security": "an ninh, trật tự",
    "religion": "tôn giáo, dân tộc",
    "policy": "chính sách, dự án",
    "social": "xã hội",
    "other": "khác",
}

MAX_SUMMARY = 4000
MAX_SECTION = 4000
MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_HOT_SPOTS = 20
MAX_COUNTS = 32
MAX_COUNT_VALUE = 1_000_000
MAX_KEY = 128
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
COUNT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TOP_LEVEL = {"kind", "area_id", "period", "assessment", "summary", "sections", "counts",
             "hot_spots", "device_time"}
HOT_SPOT_KEYS = {"category", "severity", "title", "description", "case_id"}
CASE_RE = re.compile(r"^VV-\d{4}-\d{6}$")


def _bad(field: str, en: str, vi: str, code: str = "invalid_field") -> InvalidInput:
    return InvalidInput(code, f"{field}: {en}", f"{field}: {vi}", field)


def clean_text(value: object, field: str, *, max_len: int, required: bool) -> str:
    """NFC-normalise and bound a text field; control characters other than newlines refused."""
    if not isinstance(value, str):
        raise _bad(field, "must be a string", "phải là chuỗi ký tự")
    # A form posted without its script sends CRLF line ends (HTML says so): one newline.
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if required and not text:
        raise _bad(field, "must not be empty", "không được để trống", "missing_field")
    if len(text) > max_len:
        raise _bad(field, f"is longer than {max_len} characters",
                   f"dài quá {max_len} ký tự", "too_long")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise _bad(field, "contains control characters", "chứa ký tự điều khiển không hợp lệ")
    return text


def _choice(value: object, field: str, choices: Mapping[str, str]) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(choices)
        raise _bad(field, f"must be one of: {allowed}", f"phải là một trong: {allowed}")
    return value


def parse_instant(value: object, field: str) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise _bad(field, "must be an ISO 8601 time with offset",
                   "phải là thời điểm ISO 8601 có múi giờ")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(field, "must be an ISO 8601 time with offset",
                   "phải là thời điểm ISO 8601 có múi giờ") from None
    if at.tzinfo is None:
        raise _bad(field, "must carry a UTC offset", "phải ghi rõ múi giờ (ví dụ +07:00)")
    return at


@dataclass(frozen=True)
class Submission:
    """A report as the cadre sent it, checked and normalised."""

    kind: str
    area_id: str
    period: Period | None
    content: dict[str, Any]
    device_time: datetime | None

    def canonical(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "area_id": self.area_id,
            "period": None if self.period is None else str(self.period),
            "content": self.content,
            "device_time": None if self.device_time is None else self.device_time.isoformat(),
        }

    def body_hash(self) -> str:
        """Same normalised body → same hash; idempotency compares these."""
        blob = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


# A device's clock may run a little ahead of the server's; a report may be written offline
# and sent later, but not from further back than a month and a few days.
DEVICE_AHEAD = timedelta(minutes=5)
DEVICE_BEHIND = timedelta(days=35)


def check_device_time(device_time: datetime | None, now: datetime) -> None:
    """Refuse a `device_time` outside [now - DEVICE_BEHIND, now + DEVICE_AHEAD]."""
    if device_time is None:
        return
    if device_time > now + DEVICE_AHEAD:
        raise _bad("device_time", "is more than 5 minutes ahead of the server's time",
                   "đi trước giờ máy chủ quá 5 phút, vui lòng chỉnh lại đồng hồ")
    if device_time < now - DEVICE_BEHIND:
        raise _bad("device_time", "is more than 35 days before the server's time",
                   "sớm hơn giờ máy chủ quá 35 ngày")


def parse_submission(body: object) -> Submission:
    if not isinstance(body, Mapping):
        raise _bad("body", "must be a JSON object", "phải là một đối tượng JSON")
    for key in body:
        if key not in TOP_LEVEL:
            raise _bad(str(key)[:MAX_KEY], "is not a known field", "không phải trường hợp lệ",
                       "unknown_field")
    if "kind" not in body:
        raise _bad("kind", "is required", "là bắt buộc", "missing_field")
    kind = _choice(body["kind"], "kind", {k: k for k in KINDS})
    area_id = body.get("area_id")
    if area_id is None:
        raise _bad("area_id", "is required", "là bắt buộc", "missing_field")
    if not isinstance(area_id, str) or not ID_RE.match(area_id):
        raise _bad("area_id", "is not a valid area id", "không phải mã địa bàn hợp lệ")
    period: Period | None = None
    if kind == "urgent":
        if body.get("period") is not None:
            raise _bad("period", "must be empty for an urgent report",
                       "không ghi kỳ cho báo cáo đột xuất")
    else:
        raw_period = body.get("period")
        if raw_period is None:
            raise _bad("period", "is required", "là bắt buộc", "missing_field")
        if not isinstance(raw_period, str):
            raise _bad("period", "must be a string", "phải là chuỗi ký tự")
        period = Period.for_kind(kind, raw_period)
        assert period.cadence == REPORT_KIND_CADENCE[kind]
    if "assessment" not in body:
        raise _bad("assessment", "is required", "là bắt buộc", "missing_field")
    content: dict[str, Any] = {
        "assessment": _choice(body["assessment"], "assessment", ASSESSMENTS),
        "summary": clean_text(body.get("summary"), "summary", max_len=MAX_SUMMARY,
                              required=True) if "summary" in body else None,
    }
    if content["summary"] is None:
        raise _bad("summary", "is required", "là bắt buộc", "missing_field")
    content["sections"] = parse_sections(body.get("sections"))
    content["counts"] = _counts(body.get("counts"))
    content["hot_spots"] = _hot_spots(body.get("hot_spots"))
    device_time = body.get("device_time")
    return Submission(
        kind=kind,
        area_id=area_id,
        period=period,
        content=content,
        device_time=None if device_time is None else parse_instant(device_time, "device_time"),
    )


def parse_sections(raw: object, allowed: Mapping[str, str] = SECTIONS,
                   max_len: int = MAX_SECTION) -> dict[str, str]:
    """Free text by heading: only the `allowed` headings, each bounded and cleaned; empty
    texts dropped. Unit reports use it with their own headings and bound."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _bad("sections", "must be an object", "phải là một đối tượng")
    out: dict[str, str] = {}
    for key, value in raw.items():
        field = f"sections.{str(key)[:MAX_KEY]}"
        if key not in allowed:
            raise _bad(field, "is not a known section", "không phải mục hợp lệ", "unknown_field")
        text = clean_text(value, field, max_len=max_len, required=False)
        if text:
            out[key] = text
    return out


def _counts(raw: object) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _bad("counts", "must be an object", "phải là một đối tượng")
    if len(raw) > MAX_COUNTS:
        raise _bad("counts", f"has more than {MAX_COUNTS} entries",
                   f"có quá {MAX_COUNTS} mục", "too_long")
    out: dict[str, int] = {}
    for key, value in raw.items():
        field = f"counts.{str(key)[:MAX_KEY]}"
        if not isinstance(key, str) or not COUNT_KEY_RE.match(key):
            raise _bad(field, "is not a valid count name (a-z, 0-9, _)",
                       "tên số liệu không hợp lệ (chỉ a-z, 0-9, _)")
        # bool is an int in Python; a count of True is a client bug, not a 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(field, "must be a whole number", "phải là số nguyên")
        if not 0 <= value <= MAX_COUNT_VALUE:
            raise _bad(field, f"must be between 0 and {MAX_COUNT_VALUE}",
                       f"phải từ 0 đến {MAX_COUNT_VALUE}", "out_of_range")
        out[key] = value
    return out


def _hot_spots(raw: object) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("hot_spots", "must be a list", "phải là một danh sách")
    if len(raw) > MAX_HOT_SPOTS:
        raise _bad("hot_spots", f"has more than {MAX_HOT_SPOTS} entries",
                   f"có quá {MAX_HOT_SPOTS} điểm nóng", "too_long")
    out = []
    for i, item in enumerate(raw):
        base = f"hot_spots[{i}]"
        if not isinstance(item, Mapping):
            raise _bad(base, "must be an object", "phải là một đối tượng")
        for key in item:
            if key not in HOT_SPOT_KEYS:
                raise _bad(f"{base}.{str(key)[:MAX_KEY]}", "is not a known field",
                           "không phải trường hợp lệ", "unknown_field")
        for key in ("category", "severity", "title"):
            if key not in item:
                raise _bad(f"{base}.{key}", "is required", "là bắt buộc", "missing_field")
        spot = {
            "category": _choice(item["category"], f"{base}.category", CATEGORIES),
            "severity": _choice(item["severity"], f"{base}.severity", SEVERITIES),
            "title": clean_text(item["title"], f"{base}.title", max_len=MAX_TITLE, required=True),
            "description": clean_text(item.get("description", ""), f"{base}.description",
                                      max_len=MAX_DESCRIPTION, required=False),
        }
        if item.get("case_id") is not None:
            case = item["case_id"]
            if not isinstance(case, str) or not CASE_RE.match(case):
                raise _bad(f"{base}.case_id", "must be a case number like VV-2026-000123",
                           "phải là số vụ việc dạng VV-2026-000123")
            spot["case_id"] = case
        out.append(spot)
    return out
