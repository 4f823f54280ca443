"""The escalation ladder: who is told, and when, as pure functions of time and the plan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidInput
from domain.severity import Severity, rank

URGENT = Severity.URGENT
HIGH = Severity.HIGH
SEVERE = (URGENT, HIGH)


def _hours(data: Mapping[str, object], key: str, default: float) -> timedelta:
    value = data.get(key, default)
    # bool is an int to Python, never to a plan author.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 366:
        raise InvalidInput(
            "invalid_escalation",
            f"escalation.{key} must be a number of hours above 0; got {value!r}.",
            f"escalation.{key} phải là số giờ lớn hơn 0; nhận được {value!r}.",
            f"escalation.{key}",
        )
    return timedelta(hours=float(value))


def _unit(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(
            "invalid_escalation",
            f"escalation.{key} must be a unit id; got {value!r}.",
            f"escalation.{key} phải là mã đơn vị; nhận được {value!r}.",
            f"escalation.{key}",
        )
    return value


@dataclass(frozen=True)
class EscalationPolicy:
    """The plan's [escalation] table, with the brief's defaults for what it leaves out."""

    top: str | None = None
    overdue_grace: timedelta = timedelta(hours=24)
    urgent_top: str | None = None
    urgent_ack: timedelta = timedelta(hours=2)
    high_levels: int = 2
    high_ack: timedelta = timedelta(hours=24)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> EscalationPolicy:
        levels = data.get("high_levels", 2)
        if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 16:
            raise InvalidInput(
                "invalid_escalation",
                f"escalation.high_levels must be a whole number from 1 to 16; got {levels!r}.",
                f"escalation.high_levels phải là số nguyên từ 1 đến 16; nhận được {levels!r}.",
                "escalation.high_levels",
            )
        top = _unit(data, "top")
        return cls(
            top=top,
            overdue_grace=_hours(data, "overdue_grace_hours", 24),
            urgent_top=_unit(data, "urgent_top") or top,
            urgent_ack=_hours(data, "urgent_ack_hours", 2),
            high_levels=levels,
            high_ack=_hours(data, "high_ack_hours", 24),
        )


def climb(chain: Sequence[str], top: str | None) -> list[str]:
    """The rollup chain cut after `top`; the whole chain when `top` is not on it."""
    units = list(chain)
    return units[: units.index(top) + 1] if top in units else units


def overdue_level(deadline: datetime, grace: timedelta, at: datetime, last: int) -> int | None:
    """The rung a late report's alert has reached at `at`: 0 at the deadline, +1 per grace."""
    if at < deadline:
        return None
    return min(last, (at - deadline) // grace)


def reminder_due(reminder: datetime | None, deadline: datetime, at: datetime) -> bool:
    """Reminders go out between the reminder time and the deadline, never after it."""
    return reminder is not None and reminder <= at < deadline


def worst(severities: Iterable[str]) -> str | None:
    """The most severe of a report's hot spots, if any is high or urgent."""
    found = [s for s in severities if s in SEVERE]
    return max(found, key=rank) if found else None


def hot_spot_reach(chain: Sequence[str], severity: str,
                   policy: EscalationPolicy) -> tuple[list[str], int]:
    """The units a hot spot alert may reach and the rung it starts on.

    Urgent: every unit up to `urgent_top` at once; high: `high_levels` units. Either
    may then climb, one unit per wait unacknowledged, up to `top` (at least one
    further unit, when there is one).
    """
    units = list(chain)
    if not units:
        return [], 0
    if severity == URGENT:
        start = len(climb(units, policy.urgent_top)) - 1
    else:
        start = min(policy.high_levels, len(units)) - 1
    return units[: max(start + 2, len(climb(units, policy.top)))], start


def hot_spot_level(start: int, last: int, since: datetime, wait: timedelta, at: datetime,
                   acknowledged: bool) -> int:
    """One rung further for each `wait` that has passed unacknowledged since the report."""
    if acknowledged or at < since + wait:
        return start
    return min(last, start + (at - since) // wait)
