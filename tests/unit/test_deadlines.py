"""Deadline rules: a weekday of the week, a day of a month, or calendar dates outside the period."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from domain.clock import VN
from domain.deadlines import (
    DatesDue,
    FixedDate,
    MonthDayDue,
    WeekdayDue,
    read_rule,
)
from domain.errors import InvalidInput
from domain.periods import Cadence, Period
from domain.schedule import Schedule

CALENDAR = Schedule()
PARTY = Schedule(month_start_day=15)
MONTH, QUARTER, HALF, YEAR = Cadence.MONTH, Cadence.QUARTER, Cadence.HALF, Cadence.YEAR


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=VN)


def p(text: str) -> Period:
    return Period.parse(text)


def refused(kind: str, data: dict[str, object]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_rule(kind, data)
    return caught.value


# Weekday and time of the ISO week


def test_town_summary_is_due_thursday_13_30_of_its_iso_week() -> None:
    # given: "trước 13h30 thứ năm hàng tuần" (seed 002 §III.2)
    rule = WeekdayDue(weekday=3, at=time(13, 30))

    # when
    due = rule.deadline(p("2026-W48"), CALENDAR)

    # then: Thursday 26 November 2026, 13:30 in Vietnam, given back in UTC
    assert due == local(2026, 11, 26, 13, 30)
    assert due is not None and due.tzinfo is UTC
    assert due == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)


def test_cadre_quick_report_is_due_thursday_14_00() -> None:
    # given
    rule = WeekdayDue(weekday=3, at=time(14, 0))

    # when / then
    assert rule.deadline(p("2026-W48"), CALENDAR) == local(2026, 11, 26, 14)


def test_weekday_without_a_time_counts_the_whole_day() -> None:
    # given: "vào thứ 5 hàng tuần" (seed 002 §III.1): the whole Thursday
    rule = WeekdayDue(weekday=3)

    # when / then: due at the following midnight
    assert rule.deadline(p("2026-W48"), CALENDAR) == local(2026, 11, 27)


def test_week_53_of_2026_is_due_on_new_years_eve() -> None:
    # given: 2026 has 53 ISO weeks; W53 runs from Monday 28 December 2026 to 3 January 2027
    rule = WeekdayDue(weekday=3, at=time(13, 30))

    # when / then
    assert rule.deadline(p("2026-W53"), CALENDAR) == local(2026, 12, 31, 13, 30)
    assert rule.deadline(p("2027-W01"), CALENDAR) == local(2027, 1, 7, 13, 30)


def test_week_1_of_2026_is_due_on_new_years_day() -> None:
    # given: 2026-W01 starts on Monday 29 December 2025
    rule = WeekdayDue(weekday=3, at=time(13, 30))

    # when / then
    assert rule.deadline(p("2026-W01"), CALENDAR) == local(2026, 1, 1, 13, 30)


def test_deadline_is_computed_in_the_plans_time_zone() -> None:
    # given: a plan kept in Tokyo time (UTC+9)
    tokyo = Schedule(timezone="Asia/Tokyo")
    rule = WeekdayDue(weekday=3, at=time(13, 30))

    # when / then: 13:30 in Tokyo is 04:30 UTC
    assert rule.deadline(p("2026-W48"), tokyo) == datetime(2026, 11, 26, 4, 30, tzinfo=UTC)


def test_weekday_rule_does_not_fit_a_month() -> None:
    # when / then
    with pytest.raises(ValueError, match="2026-11"):
        WeekdayDue(weekday=3).deadline(p("2026-11"), CALENDAR)


# Day of the period's last month


@pytest.mark.parametrize(
    ("period", "due_day"),
    [
        ("2026-11", (2026, 11, 15)),
        ("2026-Q4", (2026, 12, 15)),
        ("2026-Q1", (2026, 3, 15)),
        ("2026-H1", (2026, 6, 15)),
        ("2026-H2", (2026, 12, 15)),
        ("2026", (2026, 12, 15)),
    ],
)
def test_periodic_report_is_due_the_15th_of_the_periods_last_month(
    period: str, due_day: tuple[int, int, int]
) -> None:
    # given: "vào ngày 15 của tháng, tháng cuối quý, 6 tháng, năm" (seed 002 §5.1), no time
    rule = MonthDayDue(day=15)

    # when
    due = rule.deadline(p(period), CALENDAR)

    # then: the whole 15th counts, so the deadline is midnight after it
    year, month, day = due_day
    assert due == local(year, month, day + 1)


def test_day_of_month_with_a_time_is_due_at_that_time() -> None:
    # given
    rule = MonthDayDue(day=15, at=time(17, 0))

    # when / then
    assert rule.deadline(p("2026-Q4"), CALENDAR) == local(2026, 12, 15, 17)


def test_day_of_the_month_after_a_december_period_falls_in_the_next_year() -> None:
    # given: due on the 5th of the month after the period
    rule = MonthDayDue(day=5, months_after=1)

    # when / then
    assert rule.deadline(p("2026-12"), CALENDAR) == local(2027, 1, 6)
    assert rule.deadline(p("2026"), CALENDAR) == local(2027, 1, 6)
    assert rule.deadline(p("2026-Q3"), CALENDAR) == local(2026, 10, 6)


def test_a_month_starting_on_the_15th_is_due_the_15th_of_the_month_it_is_named_for() -> None:
    # given: the party convention, 2026-11 runs from 15 October to 14 November
    rule = MonthDayDue(day=15)
    start, end = PARTY.bounds(p("2026-11"))

    # when
    due = rule.deadline(p("2026-11"), PARTY)

    # then: due at the end of 15 November, the first day after the period
    assert (start, end) == (local(2026, 10, 15), local(2026, 11, 15))
    assert due == local(2026, 11, 16)


def test_day_of_month_rule_does_not_fit_a_week() -> None:
    # when / then
    with pytest.raises(ValueError, match="2026-W48"):
        MonthDayDue(day=15).deadline(p("2026-W48"), CALENDAR)


# Calendar dates, each for one period of the year


def test_seed_001_six_monthly_before_10_june_and_annual_before_15_november() -> None:
    # given: "trước ngày 10/6, 15/11", read strictly: the day itself is already late
    six_monthly = DatesDue(HALF, (FixedDate(period=1, month=6, day=10),), at=time(0, 0))
    annual = DatesDue(YEAR, (FixedDate(period=1, month=11, day=15),), at=time(0, 0))

    # when / then: the annual report is due before the year ends
    assert six_monthly.deadline(p("2026-H1"), CALENDAR) == local(2026, 6, 10)
    assert annual.deadline(p("2026"), CALENDAR) == local(2026, 11, 15)


def test_a_half_year_with_no_date_owes_nothing() -> None:
    # given: seed 001 names a date for the first half only; the year-end report is the annual
    six_monthly = DatesDue(HALF, (FixedDate(period=1, month=6, day=10),))

    # when / then
    assert six_monthly.deadline(p("2026-H2"), CALENDAR) is None


def test_seed_004_before_5_june_and_5_december_counting_the_whole_day() -> None:
    # given: "trước ngày 05/6", "trước ngày 05/12" read as "by": the whole day counts
    six_monthly = DatesDue(HALF, (FixedDate(period=1, month=6, day=5),))
    annual = DatesDue(YEAR, (FixedDate(period=1, month=12, day=5),))

    # when / then
    assert six_monthly.deadline(p("2026-H1"), CALENDAR) == local(2026, 6, 6)
    assert annual.deadline(p("2026"), CALENDAR) == local(2026, 12, 6)


def test_annual_report_due_in_january_of_the_next_year() -> None:
    # given
    rule = DatesDue(YEAR, (FixedDate(period=1, month=1, day=15, next_year=True),), at=time(17))

    # when / then
    assert rule.deadline(p("2026"), CALENDAR) == local(2027, 1, 15, 17)


def test_each_quarter_has_its_own_date() -> None:
    # given
    rule = DatesDue(
        QUARTER,
        (
            FixedDate(period=1, month=4, day=5),
            FixedDate(period=2, month=7, day=5),
            FixedDate(period=3, month=10, day=5),
            FixedDate(period=4, month=1, day=5, next_year=True),
        ),
        at=time(0, 0),
    )

    # when / then
    assert rule.deadline(p("2026-Q2"), CALENDAR) == local(2026, 7, 5)
    assert rule.deadline(p("2026-Q4"), CALENDAR) == local(2027, 1, 5)


def test_a_fixed_date_for_a_period_past_the_years_count_is_refused() -> None:
    # when / then: a year has no third half
    with pytest.raises(ValueError, match="distinct periods"):
        DatesDue(HALF, (FixedDate(period=3, month=6, day=10),))


def test_a_date_that_does_not_exist_is_refused() -> None:
    # when / then
    with pytest.raises(ValueError, match="no such date"):
        FixedDate(period=1, month=2, day=29)


# Reading rules from a plan's table


def test_reads_a_weekday_and_time_in_vietnamese() -> None:
    # when
    rule = read_rule("weekly", {"due": "thứ năm 13:30"})

    # then
    assert rule == WeekdayDue(weekday=3, at=time(13, 30))


def test_reads_a_weekday_alone_as_the_whole_day() -> None:
    # when / then
    assert read_rule("weekly", {"due": "Thursday"}) == WeekdayDue(weekday=3)


def test_reads_a_day_of_month_with_time_and_offset() -> None:
    # when
    rule = read_rule("monthly", {"due_day": 5, "due_time": "17:00", "due_months_after": 1})

    # then
    assert rule == MonthDayDue(day=5, at=time(17), months_after=1)


def test_reads_dates_labelled_by_their_period() -> None:
    # when
    rule = read_rule(
        "semiannual",
        {"due_dates": [{"period": "H1", "month": 6, "day": 10}], "due_time": "00:00"},
    )

    # then
    assert rule == DatesDue(HALF, (FixedDate(period=1, month=6, day=10),), at=time(0))


def test_reads_an_annual_date_in_the_next_year() -> None:
    # when
    rule = read_rule("annual", {"due_dates": [{"month": 1, "day": 15, "next_year": True}]})

    # then
    assert rule == DatesDue(YEAR, (FixedDate(period=1, month=1, day=15, next_year=True),))


def test_an_urgent_report_has_no_rule() -> None:
    # when / then
    assert read_rule("urgent", {}) is None


@pytest.mark.parametrize(
    "rule",
    [
        WeekdayDue(weekday=3, at=time(13, 30)),
        WeekdayDue(weekday=6),
        MonthDayDue(day=15),
        MonthDayDue(day=5, at=time(17), months_after=1),
        DatesDue(HALF, (FixedDate(period=1, month=6, day=10),), at=time(0)),
        DatesDue(HALF, (FixedDate(period=2, month=1, day=10, next_year=True),)),
        DatesDue(YEAR, (FixedDate(period=1, month=11, day=15),)),
        DatesDue(QUARTER, (FixedDate(period=4, month=1, day=5, next_year=True),)),
        DatesDue(MONTH, (FixedDate(period=11, month=12, day=1),)),
    ],
)
def test_a_rule_reads_back_from_its_own_mapping(
    rule: WeekdayDue | MonthDayDue | DatesDue,
) -> None:
    # given
    kind = "weekly" if isinstance(rule, WeekdayDue) else "monthly"
    if isinstance(rule, DatesDue):
        kind = {HALF: "semiannual", YEAR: "annual", QUARTER: "quarterly", MONTH: "monthly"}[
            rule.cadence
        ]

    # when / then
    assert read_rule(kind, rule.to_mapping()) == rule


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("weekly", {}, "due"),
        ("monthly", {}, "due_day"),
        ("urgent", {"due": "thursday 14:00"}, "due"),
        ("monthly", {"due": "thursday 14:00"}, "due"),
        ("weekly", {"due_day": 15}, "due_day"),
        ("weekly", {"due": "thursday 25:00"}, "due"),
        ("weekly", {"due": "someday 14:00"}, "due"),
        ("weekly", {"due": 14}, "due"),
        ("monthly", {"due_day": 29}, "due_day"),
        ("monthly", {"due_day": True}, "due_day"),
        ("monthly", {"due_day": 15, "due_time": "5pm"}, "due_time"),
        ("monthly", {"due_day": 15, "due_months_after": 13}, "due_months_after"),
        ("monthly", {"due_day": 15, "due_dates": []}, "due_dates"),
        ("weekly", {"due": "thursday 14:00", "due_time": "14:00"}, "due_time"),
        ("annual", {"due_dates": [{"month": 11, "day": 15}], "due_months_after": 1},
         "due_months_after"),
        ("semiannual", {"due_dates": []}, "due_dates"),
        ("semiannual", {"due_dates": "10/6"}, "due_dates"),
        ("semiannual", {"due_dates": [{"period": "Q2", "month": 6, "day": 10}]},
         "due_dates[0].period"),
        ("semiannual", {"due_dates": [{"month": 6, "day": 10}]}, "due_dates[0].period"),
        ("semiannual", {"due_dates": [{"period": "H1", "month": 2, "day": 29}]},
         "due_dates[0].day"),
        ("semiannual", {"due_dates": [{"period": "H1", "month": 13, "day": 1}]},
         "due_dates[0].month"),
        ("semiannual", {"due_dates": [{"period": "H1", "day": 1}]}, "due_dates[0].month"),
        ("semiannual", {"due_dates": [{"period": "H1", "month": 6, "day": 10, "when": 1}]},
         "due_dates[0].when"),
        ("semiannual", {"due_dates": [{"period": "H1", "month": 6, "day": 10,
                                       "next_year": "yes"}]}, "due_dates[0].next_year"),
        ("semiannual", {"due_dates": [{"period": "H1", "month": 6, "day": 10},
                                      {"period": "H1", "month": 6, "day": 20}]},
         "due_dates[1].period"),
        ("annual", {"due_dates": [{"period": "2026", "month": 11, "day": 15}]},
         "due_dates[0].period"),
    ],
)
def test_a_broken_rule_is_refused_naming_its_field_in_both_languages(
    kind: str, data: dict[str, object], field: str
) -> None:
    # when
    error = refused(kind, data)

    # then
    assert error.code == "invalid_obligation"
    assert error.field == field
    assert error.message and error.message_vi
    assert error.message != error.message_vi
