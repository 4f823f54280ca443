"""The escalation ladder's pure rules: rungs by time, reach by severity, the plan's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.ladder import (
    EscalationPolicy,
    climb,
    hot_spot_level,
    hot_spot_reach,
    overdue_level,
    reminder_due,
    worst,
)

DEADLINE = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
CHAIN = ["ch-ho-dong-coi", "ccb-ho", "ccb-thi-xa", "bdv-thi-uy", "bdv-tinh-uy"]


def test_policy_defaults_are_the_briefs():
    policy = EscalationPolicy.from_mapping({})
    assert policy.top is None and policy.urgent_top is None
    assert policy.overdue_grace == DAY and policy.urgent_ack == timedelta(hours=2)


def test_policy_reads_the_plans_table_and_urgent_top_defaults_to_top():
    policy = EscalationPolicy.from_mapping(
        {"top": "bdv-thi-uy", "overdue_grace_hours": 12, "urgent_ack_hours": 0.5})
    assert policy.urgent_top == "bdv-thi-uy"
    assert policy.overdue_grace == timedelta(hours=12)
    assert policy.urgent_ack == timedelta(minutes=30)


@pytest.mark.parametrize("table", [{"overdue_grace_hours": 0}, {"urgent_ack_hours": True},
                                   {"top": 3}, {"high_levels": 0}, {"urgent_ack_hours": "2"}])
def test_policy_refuses_nonsense_in_english_and_vietnamese(table):
    with pytest.raises(InvalidInput) as err:
        EscalationPolicy.from_mapping(table)
    assert err.value.field and err.value.field.startswith("escalation.")
    assert err.value.message_vi


def test_climb_stops_at_the_top_or_runs_to_the_root():
    assert climb(CHAIN, "bdv-thi-uy") == CHAIN[:4]
    assert climb(CHAIN, "elsewhere") == CHAIN
    assert climb(CHAIN, None) == CHAIN


def test_overdue_rung_is_none_before_the_deadline_then_one_per_grace_period():
    last = 3
    assert overdue_level(DEADLINE, DAY, DEADLINE - timedelta(seconds=1), last) is None
    assert overdue_level(DEADLINE, DAY, DEADLINE, last) == 0
    assert overdue_level(DEADLINE, DAY, DEADLINE + DAY - timedelta(seconds=1), last) == 0
    assert overdue_level(DEADLINE, DAY, DEADLINE + DAY, last) == 1
    assert overdue_level(DEADLINE, DAY, DEADLINE + 30 * DAY, last) == 3


def test_reminders_go_out_only_between_reminder_time_and_deadline():
    reminder = DEADLINE - timedelta(hours=5)
    assert not reminder_due(reminder, DEADLINE, reminder - timedelta(seconds=1))
    assert reminder_due(reminder, DEADLINE, reminder)
    assert not reminder_due(reminder, DEADLINE, DEADLINE)
    assert not reminder_due(None, DEADLINE, reminder)


def test_worst_severity_ignores_low_and_medium():
    assert worst(["low", "urgent", "high"]) == "urgent"
    assert worst(["medium", "high"]) == "high"
    assert worst(["low", "medium"]) is None


def test_urgent_reaches_up_to_urgent_top_and_keeps_one_rung_more():
    policy = EscalationPolicy(top="bdv-thi-uy", urgent_top="bdv-thi-uy")
    reach, start = hot_spot_reach(CHAIN, "urgent", policy)
    assert reach == CHAIN and start == 3


def test_high_starts_at_high_levels_units_and_may_climb_up_to_the_top():
    # Issue 12: an unacknowledged alert climbs up to the plan's top (the province).
    reach, start = hot_spot_reach(CHAIN, "high", EscalationPolicy())
    assert reach == CHAIN and start == 1
    reach, start = hot_spot_reach(CHAIN, "high", EscalationPolicy(top=CHAIN[3]))
    assert reach == CHAIN[:4] and start == 1
    # At least one rung more than the start, even with the top below it.
    reach, _ = hot_spot_reach(CHAIN, "high", EscalationPolicy(top=CHAIN[0]))
    assert reach == CHAIN[:3]
    assert hot_spot_reach([], "urgent", EscalationPolicy()) == ([], 0)


def test_hot_spot_climbs_one_rung_per_wait_unacknowledged():
    wait = timedelta(hours=24)
    assert hot_spot_level(1, 4, DEADLINE, wait, DEADLINE + 2 * wait, False) == 3
    assert hot_spot_level(1, 4, DEADLINE, wait, DEADLINE + 3 * wait - timedelta(seconds=1),
                          False) == 3
    assert hot_spot_level(1, 4, DEADLINE, wait, DEADLINE + 9 * wait, False) == 4


def test_hot_spot_climbs_when_unacknowledged_past_the_wait():
    wait = timedelta(hours=2)
    assert hot_spot_level(3, 4, DEADLINE, wait, DEADLINE + wait - timedelta(seconds=1),
                          False) == 3
    assert hot_spot_level(3, 4, DEADLINE, wait, DEADLINE + wait, False) == 4
    assert hot_spot_level(3, 4, DEADLINE, wait, DEADLINE + 10 * wait, True) == 3
    assert hot_spot_level(3, 3, DEADLINE, wait, DEADLINE + 10 * wait, False) == 3
