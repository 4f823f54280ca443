"""Which periods are open for reporting: one rule of the plan, for the API and the web."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.periods import Period
from domain.schedule import Schedule

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULE = Schedule()  # weekly due Thursday 14:00; periodic reports the 15th
THURSDAY_MORNING = datetime(2026, 11, 26, 10, 0, tzinfo=VN)  # 2026-W48, before the deadline
FRIDAY = datetime(2026, 11, 27, 9, 0, tzinfo=VN)


def is_open(kind: str, period: str, at: datetime) -> bool:
    return SCHEDULE.is_open(kind, Period.for_kind(kind, period), at)


def test_this_week_and_past_weeks_are_open():
    assert is_open("weekly", "2026-W48", THURSDAY_MORNING)
    assert is_open("weekly", "2026-W40", THURSDAY_MORNING)  # a late report


def test_next_week_opens_once_this_weeks_deadline_has_passed():
    assert not is_open("weekly", "2026-W49", THURSDAY_MORNING)
    assert is_open("weekly", "2026-W49", datetime(2026, 11, 26, 14, 0, tzinfo=VN))
    assert is_open("weekly", "2026-W49", FRIDAY)
    assert not is_open("weekly", "2026-W50", FRIDAY)


@pytest.mark.parametrize(("kind", "period"), [("weekly", "2030-W01"), ("monthly", "2030-01"),
                                              ("quarterly", "2027-Q2"), ("annual", "2027")])
def test_far_future_periods_are_closed(kind: str, period: str):
    assert not is_open(kind, period, FRIDAY)


def test_next_month_opens_after_this_months_deadline():
    # November's report is due by the end of 15 November
    assert not is_open("monthly", "2026-12", datetime(2026, 11, 15, 23, 0, tzinfo=VN))
    assert is_open("monthly", "2026-12", datetime(2026, 11, 16, 0, 0, tzinfo=VN))
    assert not is_open("monthly", "2027-01", FRIDAY)
