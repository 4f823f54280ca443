"""Which pairs owe a report: the assignments active at its deadline, half-open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.expectation import expected, expected_at
from domain.periods import Period
from domain.schedule import Schedule

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


def test_the_kind_and_period_name_the_deadline_from_the_schedule():
    held = [Held("gone by Thursday", DEADLINE - timedelta(days=30), DEADLINE - timedelta(days=1)),
            Held("from Wednesday", DEADLINE - timedelta(days=1))]
    assert names(expected(Schedule(), "weekly", Period.parse("2026-W48"), held)) == [
        "from Wednesday"]
    assert names(expected(Schedule(), "weekly", Period.parse("2026-W47"), held)) == [
        "gone by Thursday"]


def test_an_urgent_report_is_never_expected():
    with pytest.raises(InvalidInput):
        expected(Schedule(), "urgent", Period.parse("2026-W48"), [Held("any", DEADLINE)])
