"""Which pairs owe a report: the assignments active at its deadline, half-open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.expectation import expected_at

DEADLINE = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 2026-W48, Thursday 14:00 in Vietnam
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Held:
    name: str
    valid_from: datetime
    valid_until: datetime | None = None


def names(found: list[Held]) -> list[str]:
    return [h.name for h in found]


def test_an_assignment_starting_at_the_deadline_owes_the_report():
    assert names(expected_at(DEADLINE, [Held("starts", DEADLINE)])) == ["starts"]
    assert expected_at(DEADLINE, [Held("later", DEADLINE + TICK)]) == []


def test_an_assignment_ending_at_the_deadline_does_not_owe_it():
    assert expected_at(DEADLINE, [Held("ends", DEADLINE - timedelta(days=9), DEADLINE)]) == []
    assert names(expected_at(DEADLINE, [Held("ends after", DEADLINE - timedelta(days=9),
                                             DEADLINE + TICK)])) == ["ends after"]

