"""What a unit's compiled report carries (seed 002 §3), checked and normalised before
anything is recorded; errors name the field in English and Vietnamese."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidInput
from domain.periods import Period
from domain.report_content import ASSESSMENTS, KINDS, SECTIONS, clean_text, parse_sections

# The cadre's headings, less "proposals" (a field of its own here), and the unit's own.
UNIT_SECTIONS: dict[str, str] = {
    **{k: v for k, v in SECTIONS.items() if k != "proposals"},
    "unit_activities": "Kết quả hoạt động của đơn vị",
    "forecast": "Dự báo tình hình",
}
MAX_SUMMARY = 8000
MAX_SECTION = 8000
MAX_PROPOSALS = 4000
MAX_SIGNER = 120
MAX_REASON = 2000
DRAFT_KEYS = frozenset({"kind", "period", "assessment", "summary", "sections", "proposals",
                        "signer"})
REVISION_KEYS = DRAFT_KEYS
# What a leader signs as when the draft names no title (the body's head signs).
DEFAULT_TITLE = {"party": "TRƯỞNG BAN", "association": "CHỦ TỊCH"}


def _bad(field: str, en: str, vi: str, code: str = "invalid_field") -> InvalidInput:
    return InvalidInput(code, f"{field}: {en}", f"{field}: {vi}", field)


@dataclass(frozen=True)
class UnitDraft:
    """A draft or revision as the leader sent it: fields left out are None (to be filled
    from the previous period's report or the current revision)."""

    kind: str | None
    period: Period | None
    assessment: str | None
    summary: str | None
    sections: dict[str, str] | None
    proposals: str | None
    signer: dict[str, str] | None

    def body_hash(self) -> str:
        """Same normalised body → same hash; idempotency compares these."""
        blob = json.dumps({
            "kind": self.kind, "period": None if self.period is None else str(self.period),
            "assessment": self.assessment, "summary": self.summary, "sections": self.sections,
            "proposals": self.proposals, "signer": self.signer,
        }, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def parse_unit_draft(body: object, *, revision: bool = False) -> UnitDraft:
    """A new draft (`kind` and `assessment` required) or a revision (every field optional;
    `kind` and `period`, if given, must be the report's own: the caller checks)."""
    if not isinstance(body, Mapping):
        raise _bad("body", "must be a JSON object", "phải là một đối tượng JSON")
    for key in body:
        if key not in DRAFT_KEYS:
            raise _bad(str(key)[:128], "is not a known field", "không phải trường hợp lệ",
                       "unknown_field")
    kind = body.get("kind")
    if kind is None and not revision:
        raise _bad("kind", "is required", "là bắt buộc", "missing_field")
    if kind is not None and (not isinstance(kind, str) or kind not in KINDS):
        raise _bad("kind", f"must be one of: {', '.join(KINDS)}",
                   f"phải là một trong: {', '.join(KINDS)}")
    period = _period(kind, body.get("period"), revision)
    assessment = body.get("assessment")
    if assessment is None and not revision:
        raise _bad("assessment", "is required", "là bắt buộc", "missing_field")
    if assessment is not None and (not isinstance(assessment, str)
                                   or assessment not in ASSESSMENTS):
        raise _bad("assessment", f"must be one of: {', '.join(ASSESSMENTS)}",
                   f"phải là một trong: {', '.join(ASSESSMENTS)}")
    summary = None if body.get("summary") is None else clean_text(
        body["summary"], "summary", max_len=MAX_SUMMARY, required=True)
    proposals = None if body.get("proposals") is None else clean_text(
        body["proposals"], "proposals", max_len=MAX_PROPOSALS, required=False)
    return UnitDraft(kind, period, assessment, summary, _sections(body.get("sections")),
                     proposals, _signer(body.get("signer")))


def _period(kind: str | None, raw: object, revision: bool) -> Period | None:
    if kind == "urgent":
        if raw is not None:
            raise _bad("period", "must be empty for an urgent report",
                       "không ghi kỳ cho báo cáo đột xuất")
        return None
    if raw is None:
        if revision:
            return None
        raise _bad("period", "is required", "là bắt buộc", "missing_field")
    if not isinstance(raw, str):
        raise _bad("period", "must be a string", "phải là chuỗi ký tự")
    return Period.for_kind(kind, raw) if kind is not None else Period.parse(raw)


def _sections(raw: object) -> dict[str, str] | None:
    """None when left out (the draft then starts from last period's sections)."""
    return None if raw is None else parse_sections(raw, UNIT_SECTIONS, MAX_SECTION)


def _signer(raw: object) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _bad("signer", "must be an object with title and name",
                   "phải gồm chức vụ (title) và họ tên (name)")
    for key in raw:
        if key not in ("title", "name"):
            raise _bad(f"signer.{str(key)[:128]}", "is not a known field",
                       "không phải trường hợp lệ", "unknown_field")
    return {key: clean_text(raw.get(key), f"signer.{key}", max_len=MAX_SIGNER, required=True)
            for key in ("title", "name")}


def parse_reason(body: object) -> str:
    """A return's reason: required, bounded, NFC."""
    if not isinstance(body, Mapping):
        raise _bad("body", "must be a JSON object", "phải là một đối tượng JSON")
    for key in body:
        if key != "reason":
            raise _bad(str(key)[:128], "is not a known field", "không phải trường hợp lệ",
                       "unknown_field")
    if body.get("reason") is None:
        raise _bad("reason", "is required", "là bắt buộc", "missing_field")
    return clean_text(body["reason"], "reason", max_len=MAX_REASON, required=True)


def content_of(draft: UnitDraft, base: Mapping[str, Any] | None) -> dict[str, Any]:
    """The content a draft or revision records: its own fields, the rest from `base` (the
    previous period's report for a draft, the current revision for a revision)."""
    base = base or {}
    summary = draft.summary if draft.summary is not None else base.get("summary")
    if not summary:
        raise _bad("summary", "is required", "là bắt buộc", "missing_field")
    assessment = draft.assessment if draft.assessment is not None else base.get("assessment")
    return {
        "assessment": assessment,
        "summary": summary,
        "sections": dict(draft.sections if draft.sections is not None
                         else base.get("sections", {})),
        "proposals": draft.proposals if draft.proposals is not None
        else str(base.get("proposals", "")),
    }
