"""How severe a hot spot is, in order: the one ranking every service sorts and escalates by."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Declared from least to most severe; the values are what reports carry."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


# Keyed by str: readers look up the plain strings that events and envelopes carry.
SEVERITY_VI: dict[str, str] = {
    Severity.LOW: "thấp",
    Severity.MEDIUM: "trung bình",
    Severity.HIGH: "cao",
    Severity.URGENT: "khẩn cấp",
}
_RANK = {severity.value: rank for rank, severity in enumerate(Severity, start=1)}


def rank(severity: str) -> int:
    """1 for low up to 4 for urgent; 0 for anything else, so an unknown value sorts lowest."""
    return _RANK.get(severity, 0)
