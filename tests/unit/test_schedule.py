"""The reporting schedule: period bounds, deadlines, reminders and the plan-file table."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.clock import VN
from domain.errors import InvalidInput
from domain.periods import Cadence, Period
from domain.schedule import Schedule

CALENDAR = Schedule()
PARTY = Schedule(month_start_day=15)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=VN)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def p(text: str) -> Period:
    return Period.parse(text)


# Defaults


def test_defaults_follow_the_brief() -> None:
    # given
    schedule = Schedule()

    # then
    assert schedule.weekly_due_weekday == 3
    assert schedule.weekly_due_time == time(14, 0)
    assert schedule.weekly_reminder_weekday == 3
    assert schedule.weekly_reminder_time == time(9, 0)
    assert schedule.periodic_due_day == 15
    assert schedule.periodic_due_time is None
    assert schedule.month_start_day == 1
    assert schedule.timezone == "Asia/Ho_Chi_Minh"


# Bounds


def test_iso_week_2026_w53_runs_from_monday_28_december_to_monday_4_january() -> None:
    # when
    start, end = CALENDAR.bounds(p("2026-W53"))

    # then
    assert start == local(2026, 12, 28)
    assert end == local(2027, 1, 4)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert start == utc(2026, 12, 27, 17)


def test_calendar_month_runs_from_the_first_to_the_first() -> None:
    # when / then
    assert CALENDAR.bounds(p("2026-02")) == (local(2026, 2, 1), local(2026, 3, 1))
    assert CALENDAR.bounds(p("2026-12")) == (local(2026, 12, 1), local(2027, 1, 1))


def test_calendar_quarter_half_and_year_span_their_months() -> None:
    # when / then
    assert CALENDAR.bounds(p("2026-Q4")) == (local(2026, 10, 1), local(2027, 1, 1))
    assert CALENDAR.bounds(p("2026-H1")) == (local(2026, 1, 1), local(2026, 7, 1))
    assert CALENDAR.bounds(p("2026")) == (local(2026, 1, 1), local(2027, 1, 1))


def test_party_convention_month_runs_from_the_15th_of_the_month_before() -> None:
    # when / then
    assert PARTY.bounds(p("2026-11")) == (local(2026, 10, 15), local(2026, 11, 15))


def test_party_convention_january_starts_in_december_of_the_year_before() -> None:
    # when / then
    assert PARTY.bounds(p("2027-01")) == (local(2026, 12, 15), local(2027, 1, 15))
    assert PARTY.bounds(p("2026-12")) == (local(2026, 11, 15), local(2026, 12, 15))


def test_party_convention_quarter_half_and_year_span_their_months() -> None:
    # when / then
    assert PARTY.bounds(p("2026-Q4")) == (local(2026, 9, 15), local(2026, 12, 15))
    assert PARTY.bounds(p("2027-Q1")) == (local(2026, 12, 15), local(2027, 3, 15))
    assert PARTY.bounds(p("2026-H2")) == (local(2026, 6, 15), local(2026, 12, 15))
    assert PARTY.bounds(p("2027")) == (local(2026, 12, 15), local(2027, 12, 15))


@pytest.mark.parametrize("schedule", [CALENDAR, PARTY, Schedule(month_start_day=28)])
@pytest.mark.parametrize("cadence", list(Cadence))
def test_periods_tile_time_without_gaps_or_overlaps(schedule: Schedule, cadence: Cadence) -> None:
    # given
    period = schedule.period_of(cadence, local(2025, 6, 1))

    for _ in range(60):
        # when
        start, end = schedule.bounds(period)
        following = period.next()

        # then
        assert start < end
        assert schedule.bounds(following)[0] == end
        assert schedule.period_of(cadence, start) == period
        assert schedule.period_of(cadence, end - timedelta(microseconds=1)) == period
        period = following


def test_bounds_follow_the_wall_clock_across_a_daylight_saving_change() -> None:
    # given: Berlin moves its clocks forward on Sunday 29 March 2026
    schedule = Schedule(timezone="Europe/Berlin")

    # when
    start, end = schedule.bounds(p("2026-W13"))

    # then
    assert start == utc(2026, 3, 22, 23)
    assert end == utc(2026, 3, 29, 22)
    assert end - start == timedelta(days=7) - timedelta(hours=1)


# period_of


def test_monday_00_00_local_belongs_to_the_week_it_starts() -> None:
    # when / then
    assert CALENDAR.period_of(Cadence.WEEK, local(2026, 11, 23)) == p("2026-W48")
    assert CALENDAR.period_of(Cadence.WEEK, local(2026, 11, 22, 23, 59, 59)) == p("2026-W47")


def test_monday_00_00_local_given_in_utc_belongs_to_the_week_it_starts() -> None:
    # given: Monday 23 November 00:00 in Vietnam is Sunday 17:00 UTC
    instant = utc(2026, 11, 22, 17)

    # when / then
    assert CALENDAR.period_of(Cadence.WEEK, instant) == p("2026-W48")
    assert CALENDAR.period_of(Cadence.WEEK, instant - timedelta(seconds=1)) == p("2026-W47")


def test_last_second_of_2026_local_is_in_iso_week_2026_w53() -> None:
    # when / then
    assert CALENDAR.period_of(Cadence.WEEK, local(2026, 12, 31, 23, 59, 59)) == p("2026-W53")
    assert CALENDAR.period_of(Cadence.MONTH, local(2026, 12, 31, 23, 59, 59)) == p("2026-12")


def test_new_year_2027_local_is_still_iso_week_2026_w53_but_month_2027_01() -> None:
    # given
    new_year = local(2027, 1, 1)

    # when / then
    assert CALENDAR.period_of(Cadence.WEEK, new_year) == p("2026-W53")
    assert CALENDAR.period_of(Cadence.MONTH, new_year) == p("2027-01")
    assert CALENDAR.period_of(Cadence.QUARTER, new_year) == p("2027-Q1")
    assert CALENDAR.period_of(Cadence.YEAR, new_year) == p("2027")


def test_utc_new_years_eve_evening_is_already_2027_in_vietnam() -> None:
    # given: 17:00 UTC on 31 December is midnight in Hanoi
    instant = utc(2026, 12, 31, 17)

    # when / then
    assert CALENDAR.period_of(Cadence.MONTH, instant) == p("2027-01")
    assert CALENDAR.period_of(Cadence.MONTH, instant - timedelta(seconds=1)) == p("2026-12")


def test_week_of_4_january_2027_is_2027_w01() -> None:
    # when / then
    assert CALENDAR.period_of(Cadence.WEEK, local(2027, 1, 4)) == p("2027-W01")


def test_party_convention_puts_20_december_2026_in_month_2027_01() -> None:
    # given
    instant = local(2026, 12, 20)

    # when / then
    assert PARTY.period_of(Cadence.MONTH, instant) == p("2027-01")
    assert PARTY.period_of(Cadence.QUARTER, instant) == p("2027-Q1")
    assert PARTY.period_of(Cadence.HALF, instant) == p("2027-H1")
    assert PARTY.period_of(Cadence.YEAR, instant) == p("2027")


def test_party_convention_month_changes_at_00_00_on_the_15th() -> None:
    # when / then
    assert PARTY.period_of(Cadence.MONTH, local(2026, 12, 14, 23, 59, 59)) == p("2026-12")
    assert PARTY.period_of(Cadence.MONTH, local(2026, 12, 15)) == p("2027-01")


def test_period_of_accepts_the_cadence_as_text() -> None:
    # when / then
    assert CALENDAR.period_of("quarter", local(2026, 11, 1)) == p("2026-Q4")


def test_period_of_a_naive_instant_is_refused() -> None:
    # when / then
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.period_of(Cadence.WEEK, datetime(2026, 11, 23))  # noqa: DTZ001


# Deadlines


def test_weekly_2026_w48_is_due_thursday_26_november_at_07_00_utc() -> None:
    # when
    due = CALENDAR.deadline("weekly", p("2026-W48"))

    # then
    assert due == utc(2026, 11, 26, 7)
    assert due.tzinfo is UTC
    assert due == local(2026, 11, 26, 14)


def test_weekly_deadline_of_week_53_falls_on_new_years_eve() -> None:
    # when / then
    assert CALENDAR.deadline("weekly", p("2026-W53")) == local(2026, 12, 31, 14)


def test_weekly_deadline_of_2026_w01_falls_in_the_iso_year_not_the_calendar_one() -> None:
    # given: ISO week 2026-W01 runs from Monday 29 December 2025
    # when / then
    assert CALENDAR.deadline("weekly", p("2026-W01")) == local(2026, 1, 1, 14)
    assert CALENDAR.deadline("weekly", p("2021-W01")) == local(2021, 1, 7, 14)


def test_weekly_deadline_follows_a_configured_weekday_and_time() -> None:
    # given: the Hội CCB summary is due 13:30 Thursday
    schedule = Schedule(weekly_due_time=time(13, 30))

    # when / then
    assert schedule.deadline("weekly", p("2026-W48")) == local(2026, 11, 26, 13, 30)
    monday = Schedule(weekly_due_weekday=0, weekly_due_time=time(8, 0))
    assert monday.deadline("weekly", p("2026-W48")) == local(2026, 11, 23, 8)


@pytest.mark.parametrize(
    ("kind", "period", "due"),
    [
        ("monthly", "2026-11", (2026, 11, 16)),
        ("monthly", "2026-12", (2026, 12, 16)),
        ("quarterly", "2026-Q4", (2026, 12, 16)),
        ("quarterly", "2026-Q1", (2026, 3, 16)),
        ("semiannual", "2026-H1", (2026, 6, 16)),
        ("semiannual", "2026-H2", (2026, 12, 16)),
        ("annual", "2026", (2026, 12, 16)),
    ],
)
def test_periodic_report_is_due_by_the_end_of_the_15th_of_its_last_month(
    kind: str, period: str, due: tuple[int, int, int]
) -> None:
    # when
    deadline = CALENDAR.deadline(kind, p(period))

    # then: the whole 15th counts, so the deadline is the midnight that ends it
    assert deadline == local(*due)
    assert deadline.tzinfo is UTC


def test_periodic_deadline_uses_the_configured_time_on_the_due_day() -> None:
    # given
    schedule = Schedule(periodic_due_time=time(17, 0))

    # when / then
    assert schedule.deadline("monthly", p("2026-11")) == utc(2026, 11, 15, 10)
    assert schedule.deadline("quarterly", p("2026-Q2")) == local(2026, 6, 15, 17)


def test_party_convention_keeps_the_deadline_on_the_15th_of_the_named_month() -> None:
    # when / then
    assert PARTY.deadline("monthly", p("2027-01")) == local(2027, 1, 16)
    assert PARTY.deadline("quarterly", p("2026-Q4")) == local(2026, 12, 16)


def test_urgent_report_has_no_deadline() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        CALENDAR.deadline("urgent", p("2026-W48"))

    # then
    error = caught.value
    assert error.code == "no_deadline"
    assert error.field == "kind"
    assert error.message and error.message_vi and error.message != error.message_vi


def test_deadline_for_a_period_of_the_wrong_cadence_is_refused() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        CALENDAR.deadline("monthly", p("2026-W48"))

    # then
    assert caught.value.code == "period_kind_mismatch"
    assert caught.value.field == "period"


def test_deadline_for_an_unknown_kind_is_refused() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        CALENDAR.deadline("daily", p("2026-W48"))

    # then
    assert caught.value.code == "unknown_report_kind"


# On time


def test_weekly_report_at_13_59_59_is_on_time() -> None:
    # when / then
    assert CALENDAR.is_on_time("weekly", p("2026-W48"), local(2026, 11, 26, 13, 59, 59))


def test_weekly_report_at_14_00_00_is_late() -> None:
    # when / then
    assert not CALENDAR.is_on_time("weekly", p("2026-W48"), local(2026, 11, 26, 14))


def test_on_time_compares_instants_whatever_zone_they_are_given_in() -> None:
    # given: 06:59:59 and 07:00:00 UTC are 13:59:59 and 14:00:00 in Vietnam
    # when / then
    assert CALENDAR.is_on_time("weekly", p("2026-W48"), utc(2026, 11, 26, 6, 59, 59))
    assert not CALENDAR.is_on_time("weekly", p("2026-W48"), utc(2026, 11, 26, 7))


def test_monthly_report_during_the_whole_15th_is_on_time() -> None:
    # when / then
    assert CALENDAR.is_on_time("monthly", p("2026-11"), local(2026, 11, 15, 23, 59, 59))
    assert not CALENDAR.is_on_time("monthly", p("2026-11"), local(2026, 11, 16))


def test_report_received_early_is_on_time() -> None:
    # when / then
    assert CALENDAR.is_on_time("weekly", p("2026-W48"), local(2026, 11, 20))


def test_on_time_check_of_a_naive_instant_is_refused() -> None:
    # when / then
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.is_on_time("weekly", p("2026-W48"), datetime(2026, 11, 26, 13))  # noqa: DTZ001


# Reminders


def test_weekly_reminder_is_thursday_09_00_local() -> None:
    # when / then
    assert CALENDAR.reminder("weekly", p("2026-W48")) == local(2026, 11, 26, 9)


def test_weekly_reminder_may_fall_on_another_weekday() -> None:
    # given
    schedule = Schedule.from_mapping({"weekly_reminder": "wednesday 16:00"})

    # when / then
    assert schedule.reminder("weekly", p("2026-W48")) == local(2026, 11, 25, 16)


@pytest.mark.parametrize(
    ("kind", "period"),
    [("monthly", "2026-11"), ("quarterly", "2026-Q4"), ("annual", "2026"), ("urgent", "2026")],
)
def test_only_weekly_reports_have_a_reminder(kind: str, period: str) -> None:
    # when / then
    assert CALENDAR.reminder(kind, p(period)) is None


# periods_between


def test_weeks_between_lists_every_week_overlapping_the_span_across_the_year_end() -> None:
    # when
    weeks = CALENDAR.periods_between(Cadence.WEEK, local(2026, 12, 20), local(2027, 1, 12))

    # then
    assert [str(w) for w in weeks] == ["2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W02"]


def test_periods_between_leaves_out_the_period_that_starts_at_the_exclusive_end() -> None:
    # when
    months = CALENDAR.periods_between(Cadence.MONTH, local(2026, 1, 1), local(2026, 4, 1))

    # then
    assert [str(m) for m in months] == ["2026-01", "2026-02", "2026-03"]


def test_party_months_between_cross_the_year_end() -> None:
    # when
    months = PARTY.periods_between(Cadence.MONTH, local(2026, 11, 20), local(2027, 1, 20))

    # then
    assert [str(m) for m in months] == ["2026-12", "2027-01", "2027-02"]


def test_periods_between_an_empty_or_reversed_span_is_empty() -> None:
    # when / then
    assert CALENDAR.periods_between(Cadence.WEEK, local(2026, 5, 1), local(2026, 5, 1)) == []
    assert CALENDAR.periods_between(Cadence.WEEK, local(2026, 5, 2), local(2026, 5, 1)) == []


def test_periods_between_reaches_the_last_supported_year() -> None:
    # when
    years = CALENDAR.periods_between(Cadence.YEAR, local(2099, 6, 1), local(2101, 1, 1))

    # then
    assert [str(y) for y in years] == ["2099", "2100"]


# The plan file's [schedule] table


def test_empty_schedule_table_gives_the_defaults() -> None:
    # when / then
    assert Schedule.from_mapping({}) == Schedule()


def test_schedule_table_sets_every_setting() -> None:
    # given
    table = {
        "weekly_due": "thursday 13:30",
        "weekly_reminder": "wednesday 09:00",
        "periodic_due_day": 10,
        "periodic_due_time": "17:00",
        "month_start_day": 15,
        "timezone": "Asia/Bangkok",
    }

    # when
    schedule = Schedule.from_mapping(table)

    # then
    assert schedule == Schedule(
        weekly_due_weekday=3,
        weekly_due_time=time(13, 30),
        weekly_reminder_weekday=2,
        weekly_reminder_time=time(9, 0),
        periodic_due_day=10,
        periodic_due_time=time(17, 0),
        month_start_day=15,
        timezone="Asia/Bangkok",
    )


def test_schedule_table_accepts_vietnamese_weekday_names_and_any_case() -> None:
    # when
    schedule = Schedule.from_mapping({"weekly_due": "Thứ Sáu 8:00", "weekly_reminder": "THU 7:30"})

    # then
    assert (schedule.weekly_due_weekday, schedule.weekly_due_time) == (4, time(8, 0))
    assert (schedule.weekly_reminder_weekday, schedule.weekly_reminder_time) == (3, time(7, 30))


def test_schedule_table_read_from_toml_including_a_local_time() -> None:
    # given
    plan = tomllib.loads(
        """
        [schedule]
        weekly_due = "thursday 14:00"
        periodic_due_day = 15
        periodic_due_time = 17:00:00
        month_start_day = 15
        """
    )

    # when
    schedule = Schedule.from_mapping(plan["schedule"])

    # then
    assert schedule.periodic_due_time == time(17, 0)
    assert schedule.month_start_day == 15


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule(),
        PARTY,
        Schedule(
            weekly_due_weekday=6,
            weekly_due_time=time(23, 59),
            weekly_reminder_weekday=0,
            weekly_reminder_time=time(0, 0),
            periodic_due_day=28,
            periodic_due_time=time(17, 0),
            month_start_day=28,
            timezone="UTC",
        ),
    ],
)
def test_to_mapping_survives_json_and_reads_back_to_an_equal_schedule(schedule: Schedule) -> None:
    # when
    table = json.loads(json.dumps(schedule.to_mapping()))

    # then
    assert Schedule.from_mapping(table) == schedule


def test_to_mapping_writes_the_plan_file_forms() -> None:
    # when / then
    assert Schedule(periodic_due_time=time(17, 0)).to_mapping() == {
        "weekly_due": "thursday 14:00",
        "weekly_reminder": "thursday 09:00",
        "periodic_due_day": 15,
        "periodic_due_time": "17:00",
        "month_start_day": 1,
        "timezone": "Asia/Ho_Chi_Minh",
    }


def test_null_periodic_due_time_means_the_whole_day_counts() -> None:
    # when / then
    assert Schedule.from_mapping({"periodic_due_time": None}).periodic_due_time is None


def test_unknown_schedule_key_is_rejected_on_its_own_field() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Schedule.from_mapping({"weekly_deadline": "thursday 14:00"})

    # then
    error = caught.value
    assert error.code == "unknown_schedule_key"
    assert error.field == "schedule.weekly_deadline"
    assert "weekly_deadline" in error.message and "weekly_due" in error.message
    assert "weekly_deadline" in error.message_vi and "Lịch báo cáo" in error.message_vi


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("weekly_due", "thursday"),
        ("weekly_due", "14:00"),
        ("weekly_due", "someday 14:00"),
        ("weekly_due", "thursday 24:00"),
        ("weekly_due", "thursday 14:60"),
        ("weekly_due", "thursday 2pm"),
        ("weekly_due", "thursday 14:00:00"),
        ("weekly_due", 3),
        ("weekly_reminder", "thursday14:00"),
        ("weekly_reminder", None),
        ("periodic_due_day", 0),
        ("periodic_due_day", 29),
        ("periodic_due_day", "15"),
        ("periodic_due_day", 15.0),
        ("periodic_due_day", True),
        ("periodic_due_time", "5pm"),
        ("periodic_due_time", "17"),
        ("periodic_due_time", time(17, 0, 30)),
        ("periodic_due_time", 17),
        ("month_start_day", 0),
        ("month_start_day", 29),
        ("month_start_day", "15"),
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "asia/ho_chi_minh"),
        ("timezone", "/etc/localtime"),
        ("timezone", ""),
        ("timezone", 7),
    ],
)
def test_bad_schedule_value_is_rejected_on_its_field_with_both_messages(
    key: str, value: object
) -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Schedule.from_mapping({key: value})

    # then
    error = caught.value
    assert error.code == "invalid_schedule"
    assert error.field == f"schedule.{key}"
    assert f"schedule.{key}" in error.message and "must be" in error.message
    assert f"schedule.{key}" in error.message_vi and "phải là" in error.message_vi


def test_schedule_that_is_not_a_table_is_rejected() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Schedule.from_mapping("thursday 14:00")  # type: ignore[arg-type]

    # then
    assert caught.value.field == "schedule"


def test_constructing_a_schedule_with_an_unknown_timezone_is_refused() -> None:
    # when / then
    with pytest.raises(InvalidInput) as caught:
        Schedule(timezone="Nowhere/Special")
    assert caught.value.field == "schedule.timezone"


def test_schedule_in_another_timezone_computes_in_that_zone() -> None:
    # given
    schedule = Schedule(timezone="UTC")

    # when / then
    assert schedule.deadline("weekly", p("2026-W48")) == utc(2026, 11, 26, 14)
    assert schedule.tz == ZoneInfo("UTC")
