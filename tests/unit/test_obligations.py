"""Obligations as data and the one engine: who owes what, by when, and how it stands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import pytest

from domain.clock import VN
from domain.errors import InvalidInput
from domain.obligation_engine import (
    ObligationEngine,
    OwedItem,
    Owner,
    Receipt,
    Standing,
    Status,
)
from domain.obligations import Obligation, OwnerType, from_schedule
from domain.org_chart import ChartArea, ChartAssignment, ChartUnit, OrgChart
from domain.periods import REPORT_KIND_CADENCE, Period
from domain.schedule import Schedule

CALENDAR = Schedule()
PARTY = Schedule(month_start_day=15)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=VN)


def p(text: str) -> Period:
    return Period.parse(text)


def cadre(cadre_id: str) -> Owner:
    return Owner(OwnerType.CADRE, cadre_id)


def unit(unit_id: str) -> Owner:
    return Owner(OwnerType.UNIT, unit_id)


def ob(**fields: object) -> Obligation:
    return Obligation.from_mapping(fields)


JAN_1 = local(2026, 1, 1)
W48_DEADLINE = local(2026, 11, 26, 14)

AREAS = (
    ChartArea("bac-ninh", "province"),
    ChartArea("thuan-thanh", "town", "bac-ninh"),
    ChartArea("ho", "commune", "thuan-thanh"),
    ChartArea("ho-dong-coi", "village", "ho"),
    ChartArea("ho-a-lu", "village", "ho"),
    ChartArea("song-ho", "commune", "thuan-thanh"),
    ChartArea("song-ho-dong-ho", "village", "song-ho"),
)
UNITS = (
    ChartUnit("bdv-tinh-uy", area_ids=("bac-ninh",)),
    ChartUnit("ccb-tinh", area_ids=("bac-ninh",)),
    ChartUnit("bdv-thi-uy", "bdv-tinh-uy", area_ids=("thuan-thanh",)),
    ChartUnit("ccb-thi-xa", "bdv-thi-uy", ("bdv-tinh-uy", "ccb-tinh"), ("thuan-thanh",)),
    ChartUnit("ccb-ho", "ccb-thi-xa", area_ids=("ho",)),
    ChartUnit("ch-dong-coi", "ccb-ho", area_ids=("ho-dong-coi",)),
    ChartUnit("ch-a-lu", "ccb-ho", area_ids=("ho-a-lu",)),
    ChartUnit("ccb-song-ho", "ccb-thi-xa", area_ids=("song-ho",)),
    ChartUnit("ch-song-ho-dong-ho", "ccb-song-ho", area_ids=("song-ho-dong-ho",)),
)
ASSIGNMENTS = (
    ChartAssignment("cb-dong-coi", "ho-dong-coi", JAN_1),
    ChartAssignment("cb-a-lu", "ho-a-lu", JAN_1),
    # Handed over on the Thursday of week 48, before the 14:00 deadline.
    ChartAssignment("cb-dong-ho", "song-ho-dong-ho", JAN_1, local(2026, 11, 26, 10)),
    ChartAssignment("cb-new", "song-ho-dong-ho", local(2026, 11, 26, 12)),
)
CHART = OrgChart(("province", "town", "commune", "village"), AREAS, UNITS, ASSIGNMENTS)

PERIODIC = ("monthly", "quarterly", "semiannual", "annual")
TOWN_BODIES = ["ccb-thi-xa", "bdv-thi-uy"]

# Seed 002 as obligations: cadres owe weekly and urgent; the commune and town
# associations and the town's mobilisation board owe their compiled reports.
SEED_002 = (
    ob(kind="weekly", owner="cadre", due="thursday 14:00", remind_hours_before=5),
    ob(kind="urgent", owner="cadre"),
    ob(kind="weekly", owner="unit", level="commune", due="thursday 14:00"),
    ob(kind="weekly", owner="unit", units=["ccb-thi-xa"], due="thursday 13:30"),
    ob(kind="weekly", owner="unit", units=["bdv-thi-uy"], due="thursday"),
    *(ob(kind=k, owner="unit", level="commune", due_day=15) for k in PERIODIC),
    *(ob(kind=k, owner="unit", units=TOWN_BODIES, due_day=15) for k in PERIODIC),
)


def engine(
    obligations: Sequence[Obligation] = SEED_002,
    chart: OrgChart = CHART,
    schedule: Schedule = CALENDAR,
) -> ObligationEngine:
    return ObligationEngine(chart, obligations, schedule)


def owners(items: list[OwedItem]) -> set[tuple[str, str | None]]:
    return {(i.owner.id, i.area_id) for i in items}


def deadlines(items: list[OwedItem]) -> dict[str, datetime]:
    return {i.owner.id: i.deadline for i in items}


def only(items: list[OwedItem], owner_type: OwnerType) -> list[OwedItem]:
    return [i for i in items if i.owner.type is owner_type]


# --- what is owed -------------------------------------------------------------------------


def test_cadres_owe_one_weekly_item_per_pair_assigned_at_the_deadline() -> None:
    # when
    items = only(engine().owed(p("2026-W48"), ["weekly"]), OwnerType.CADRE)

    # then: each pair once, due Thursday 14:00, reminded at 09:00, through the area's chi hội
    assert {(i.owner.id, i.area_id, i.unit_id) for i in items} == {
        ("cb-dong-coi", "ho-dong-coi", "ch-dong-coi"),
        ("cb-a-lu", "ho-a-lu", "ch-a-lu"),
        ("cb-new", "song-ho-dong-ho", "ch-song-ho-dong-ho"),
    }
    assert {i.deadline for i in items} == {W48_DEADLINE}
    assert {i.reminder for i in items} == {local(2026, 11, 26, 9)}
    assert {i.kind for i in items} == {"weekly"}
    assert {i.period for i in items} == {p("2026-W48")}


def test_the_cadre_who_handed_over_before_the_deadline_owes_the_week_before_only() -> None:
    # when
    week_47 = owners(engine().owed(p("2026-W47"), ["weekly"]))
    week_48 = owners(engine().owed(p("2026-W48"), ["weekly"]))

    # then
    assert ("cb-dong-ho", "song-ho-dong-ho") in week_47
    assert ("cb-new", "song-ho-dong-ho") not in week_47
    assert ("cb-dong-ho", "song-ho-dong-ho") not in week_48
    assert ("cb-new", "song-ho-dong-ho") in week_48


def test_an_assignment_ending_exactly_at_the_deadline_owes_nothing() -> None:
    # given: validity is half-open, so at the deadline it no longer covers the area
    chart = OrgChart(CHART.levels, AREAS, UNITS,
                     [ChartAssignment("cb-x", "ho-a-lu", JAN_1, W48_DEADLINE)])

    # when
    week_47 = only(engine(chart=chart).owed(p("2026-W47"), ["weekly"]), OwnerType.CADRE)
    week_48 = only(engine(chart=chart).owed(p("2026-W48"), ["weekly"]), OwnerType.CADRE)

    # then
    assert owners(week_47) == {("cb-x", "ho-a-lu")}
    assert week_48 == []


def test_units_owe_their_compiled_weekly_to_their_parent_and_copy_recipients() -> None:
    # when
    items = only(engine().owed(p("2026-W48"), ["weekly"]), OwnerType.UNIT)

    # then: the town's summary by 13:30, the board's by the end of Thursday
    assert deadlines(items) == {
        "ccb-ho": W48_DEADLINE,
        "ccb-song-ho": W48_DEADLINE,
        "ccb-thi-xa": local(2026, 11, 26, 13, 30),
        "bdv-thi-uy": local(2026, 11, 27),
    }
    town = next(i for i in items if i.owner == unit("ccb-thi-xa"))
    assert town.recipients == ("bdv-thi-uy", "bdv-tinh-uy", "ccb-tinh")
    assert town.unit_id == "ccb-thi-xa" and town.area_id is None
    assert next(i for i in items if i.owner == unit("ccb-ho")).recipients == ("ccb-thi-xa",)


def test_units_owe_their_periodic_reports_on_the_15th_and_cadres_owe_none() -> None:
    # when
    items = engine().owed(p("2026-Q4"))

    # then
    assert only(items, OwnerType.CADRE) == []
    assert deadlines(items) == dict.fromkeys(
        ["ccb-ho", "ccb-song-ho", "ccb-thi-xa", "bdv-thi-uy"], local(2026, 12, 16)
    )
    assert {i.kind for i in items} == {"quarterly"}


def test_a_kind_nobody_owes_produces_no_item() -> None:
    # given: only the cadres' weekly report is owed
    cadres_weekly = [SEED_002[0]]

    # when
    year = engine(cadres_weekly).due_between(local(2026, 1, 1), local(2027, 1, 1))

    # then
    assert engine(cadres_weekly).owed(p("2026-11")) == []
    assert engine(cadres_weekly).owed(p("2026")) == []
    assert {i.kind for i in year} == {"weekly"}


def test_urgent_reports_may_be_filed_but_never_fall_due() -> None:
    # when
    kinds = engine().kinds_for_area("ho-dong-coi")
    year = engine().due_between(local(2026, 1, 1), local(2027, 1, 1))

    # then
    assert kinds == {"weekly", "urgent"}
    assert "urgent" not in {i.kind for i in year}


def test_a_unit_owes_what_its_obligations_name_and_a_branch_owes_nothing() -> None:
    # when / then
    assert engine().kinds_for_unit("ccb-ho") == {"weekly", *PERIODIC}
    assert engine().kinds_for_unit("ch-dong-coi") == frozenset()


def test_a_unit_with_no_one_to_send_to_owes_nothing() -> None:
    # given: every unit owes a weekly summary, but the province bodies have no recipient
    everyone = [ob(kind="weekly", owner="unit", due="thursday 14:00")]

    # when
    items = engine(everyone).owed(p("2026-W48"))

    # then
    assert "bdv-tinh-uy" not in deadlines(items)
    assert "ccb-tinh" not in deadlines(items)
    assert "ch-dong-coi" in deadlines(items)
    assert engine(everyone).kinds_for_unit("ccb-tinh") == frozenset()


def test_a_unit_named_outside_the_chart_is_ignored() -> None:
    # given: a unit retired since, left out of the chart
    gone = [ob(kind="weekly", owner="unit", units=["ccb-gone", "ccb-ho"], due="friday 10:00")]

    # when / then
    assert deadlines(engine(gone).owed(p("2026-W48"))) == {"ccb-ho": local(2026, 11, 27, 10)}


# --- which obligation governs -------------------------------------------------------------


def test_a_named_unit_overrides_its_level() -> None:
    # given
    obligations = [
        ob(kind="weekly", owner="unit", units=["ccb-thi-xa"], due="thursday 13:30"),
        ob(kind="weekly", owner="unit", level="town", due="thursday 17:00"),
    ]

    # when
    items = engine(obligations).owed(p("2026-W48"))

    # then
    assert deadlines(items) == {
        "ccb-thi-xa": local(2026, 11, 26, 13, 30),
        "bdv-thi-uy": local(2026, 11, 26, 17),
    }


def test_a_level_overrides_the_whole_network_for_cadres() -> None:
    # given: a cadre watches the town itself, above every commune
    chart = OrgChart(CHART.levels, AREAS, UNITS,
                     [*ASSIGNMENTS, ChartAssignment("cb-town", "thuan-thanh", JAN_1)])
    obligations = [
        ob(kind="weekly", owner="cadre", due="thursday 14:00"),
        ob(kind="weekly", owner="cadre", level="commune", due="thursday 12:00"),
    ]

    # when
    items = engine(obligations, chart).owed(p("2026-W48"))

    # then
    assert deadlines(items) == {
        "cb-town": local(2026, 11, 26, 14),
        "cb-dong-coi": local(2026, 11, 26, 12),
        "cb-a-lu": local(2026, 11, 26, 12),
        "cb-new": local(2026, 11, 26, 12),
    }


@pytest.mark.parametrize("branch_first", [True, False])
def test_the_named_unit_nearest_the_area_governs_its_cadres(branch_first: bool) -> None:
    # given
    ward = ob(kind="weekly", owner="cadre", units=["ccb-ho"], due="thursday 12:00")
    branch = ob(kind="weekly", owner="cadre", units=["ch-dong-coi"], due="thursday 10:00")
    obligations = [branch, ward] if branch_first else [ward, branch]

    # when
    items = engine(obligations).owed(p("2026-W48"))

    # then: the branch's rule for its village, the ward's for the rest of the ward
    assert deadlines(items) == {
        "cb-dong-coi": local(2026, 11, 26, 10),
        "cb-a-lu": local(2026, 11, 26, 12),
    }


def test_the_governing_obligation_decides_alone_even_when_it_owes_nothing() -> None:
    # given: communes report six-monthly on the 15th, but Hồ only for H1, before 10/6
    obligations = [
        ob(kind="semiannual", owner="unit", level="commune", due_day=15),
        ob(kind="semiannual", owner="unit", units=["ccb-ho"],
           due_dates=[{"period": "H1", "month": 6, "day": 10}], due_time="00:00"),
    ]

    # when
    first = engine(obligations).owed(p("2026-H1"))
    second = engine(obligations).owed(p("2026-H2"))

    # then
    assert deadlines(first) == {"ccb-ho": local(2026, 6, 10), "ccb-song-ho": local(2026, 6, 16)}
    assert deadlines(second) == {"ccb-song-ho": local(2026, 12, 16)}


# --- a plan without obligations keeps today's behaviour ---------------------------------


@pytest.mark.parametrize(
    "schedule",
    [CALENDAR, PARTY, Schedule(weekly_due_weekday=4, weekly_due_time=time(10, 30),
                               weekly_reminder_weekday=3, periodic_due_day=5,
                               periodic_due_time=time(17))],
)
def test_obligations_from_the_schedule_fall_due_when_the_schedule_says(
    schedule: Schedule,
) -> None:
    # given
    derived = {o.kind: o for o in from_schedule(schedule)}

    # when / then: every kind, every period of 2026 and 2027
    for kind, cadence in REPORT_KIND_CADENCE.items():
        for period in schedule.periods_between(cadence, local(2026, 1, 10), local(2028, 1, 1)):
            due = derived[kind].deadline(period, schedule)
            assert due == schedule.deadline(kind, period), (kind, period)
            assert due is not None
            assert derived[kind].reminder(due) == schedule.reminder(kind, period), (kind, period)


def test_obligations_from_the_schedule_are_owed_by_every_cadre_everywhere() -> None:
    # when
    derived = from_schedule(CALENDAR)

    # then
    assert {o.kind for o in derived} == set(REPORT_KIND_CADENCE) | {"urgent"}
    assert {o.owner for o in derived} == {OwnerType.CADRE}
    assert {o.specificity for o in derived} == {2}


def test_without_obligations_every_cadre_owes_the_monthly_report_as_today() -> None:
    # when
    items = engine(from_schedule(CALENDAR)).owed(p("2026-11"))

    # then: due at the end of 15 November, before Đông Hồ changed hands
    assert owners(items) == {
        ("cb-dong-coi", "ho-dong-coi"), ("cb-a-lu", "ho-a-lu"), ("cb-dong-ho", "song-ho-dong-ho"),
    }
    assert {i.deadline for i in items} == {CALENDAR.deadline("monthly", p("2026-11"))}


def test_a_reminder_set_after_the_deadline_gives_no_reminder() -> None:
    # given
    late_nudge = Schedule(weekly_reminder_weekday=4)

    # when
    weekly = from_schedule(late_nudge)[0]

    # then
    assert weekly.kind == "weekly" and weekly.remind_before is None


# --- how each item stands ---------------------------------------------------------------


def town_summary_w48() -> OwedItem:
    items = engine().owed(p("2026-W48"))
    return next(i for i in items if i.owner == unit("ccb-thi-xa"))


def town_receipt(at: datetime) -> Receipt:
    return Receipt("weekly", p("2026-W48"), unit("ccb-thi-xa"), None, at)


def status_of(item: OwedItem, receipts: list[Receipt], at: datetime) -> Standing:
    (standing,) = engine().standing([item], receipts, at)
    return standing


def test_the_town_summary_received_at_13_29_59_is_on_time() -> None:
    # given
    item = town_summary_w48()

    # when
    standing = status_of(item, [town_receipt(local(2026, 11, 26, 13, 29, 59))],
                         local(2026, 11, 27))

    # then
    assert standing.status is Status.RECEIVED
    assert standing.received_at == local(2026, 11, 26, 13, 29, 59)


def test_the_town_summary_received_at_13_30_00_is_late() -> None:
    # when
    standing = status_of(town_summary_w48(), [town_receipt(local(2026, 11, 26, 13, 30))],
                         local(2026, 11, 27))

    # then
    assert standing.status is Status.LATE


@pytest.mark.parametrize(
    ("second", "status"), [(local(2026, 11, 26, 13, 59, 59), Status.RECEIVED),
                           (local(2026, 11, 26, 14), Status.LATE)],
)
def test_a_cadres_quick_report_is_on_time_up_to_13_59_59(second: datetime, status: Status) -> None:
    # given
    items = engine().owed(p("2026-W48"), ["weekly"])
    item = next(i for i in items if i.owner == cadre("cb-a-lu"))
    receipt = Receipt("weekly", p("2026-W48"), cadre("cb-a-lu"), "ho-a-lu", second)

    # when / then
    assert status_of(item, [receipt], local(2026, 11, 27)).status is status


@pytest.mark.parametrize(
    ("second", "status"), [(local(2026, 12, 15, 23, 59, 59), Status.RECEIVED),
                           (local(2026, 12, 16), Status.LATE)],
)
def test_a_quarterly_report_is_on_time_all_through_the_15th(
    second: datetime, status: Status
) -> None:
    # given
    item = next(i for i in engine().owed(p("2026-Q4")) if i.owner == unit("ccb-ho"))
    receipt = Receipt("quarterly", p("2026-Q4"), unit("ccb-ho"), None, second)

    # when / then
    assert status_of(item, [receipt], local(2027, 1, 1)).status is status


def test_an_item_not_received_is_pending_until_the_deadline_and_overdue_from_it() -> None:
    # given
    item = town_summary_w48()

    # when / then
    assert status_of(item, [], local(2026, 11, 26, 13, 29, 59)).status is Status.PENDING
    assert status_of(item, [], local(2026, 11, 26, 13, 30)).status is Status.OVERDUE


def test_a_report_received_after_the_instant_asked_about_is_not_yet_known() -> None:
    # given: what the system knew at 13:00, before the report came in at 13:10
    receipts = [town_receipt(local(2026, 11, 26, 13, 10))]

    # when / then
    assert status_of(town_summary_w48(), receipts, local(2026, 11, 26, 13)).status is (
        Status.PENDING)
    assert status_of(town_summary_w48(), receipts, local(2026, 11, 26, 13, 10)).status is (
        Status.RECEIVED)


def test_the_first_receipt_decides_and_a_later_resend_changes_nothing() -> None:
    # given
    receipts = [town_receipt(local(2026, 11, 26, 15)), town_receipt(local(2026, 11, 26, 11))]

    # when
    standing = status_of(town_summary_w48(), receipts, local(2026, 11, 30))

    # then
    assert standing.status is Status.RECEIVED
    assert standing.received_at == local(2026, 11, 26, 11)


def test_a_report_for_another_area_does_not_settle_an_item() -> None:
    # given: cb-dong-coi files for Á Lữ, which is cb-a-lu's
    items = only(engine().owed(p("2026-W48"), ["weekly"]), OwnerType.CADRE)
    stray = Receipt("weekly", p("2026-W48"), cadre("cb-dong-coi"), "ho-a-lu",
                    local(2026, 11, 26, 8))

    # when
    standings = engine().standing(items, [stray], local(2026, 11, 27))

    # then
    assert {s.status for s in standings} == {Status.OVERDUE}


def test_a_standing_reads_as_the_contracts_obligation_entry() -> None:
    # given
    item = town_summary_w48()

    # when
    record = status_of(item, [], local(2026, 11, 26, 12)).as_record()

    # then
    assert record == {
        "kind": "weekly", "period": "2026-W48", "owner": {"type": "unit", "id": "ccb-thi-xa"},
        "area_id": None, "unit_id": "ccb-thi-xa", "deadline": "2026-11-26T06:30:00+00:00",
        "status": "pending", "received_at": None,
    }


# --- by instant -------------------------------------------------------------------------


def test_due_between_lists_the_items_whose_deadline_falls_in_the_window() -> None:
    # when: Monday to Monday of the 53rd week of 2026
    items = engine().due_between(local(2026, 12, 28), local(2027, 1, 4))

    # then: week 53's items, due on New Year's Eve; the annual and H2 fell due on 15 December
    assert {(i.kind, str(i.period)) for i in items} == {("weekly", "2026-W53")}
    assert deadlines(only(items, OwnerType.UNIT))["ccb-thi-xa"] == local(2026, 12, 31, 13, 30)


def test_an_annual_report_due_in_january_falls_due_in_the_next_year() -> None:
    # given
    annual = [ob(kind="annual", owner="unit", level="commune",
                 due_dates=[{"month": 1, "day": 15, "next_year": True}])]

    # when
    january = engine(annual).due_between(local(2027, 1, 1), local(2027, 2, 1))

    # then
    assert {(i.owner.id, str(i.period), i.deadline) for i in january} == {
        ("ccb-ho", "2026", local(2027, 1, 16)), ("ccb-song-ho", "2026", local(2027, 1, 16)),
    }


def test_open_at_keeps_last_years_report_open_until_it_falls_due() -> None:
    # given
    annual = [ob(kind="annual", owner="unit", units=["ccb-ho"],
                 due_dates=[{"month": 1, "day": 15, "next_year": True}])]

    # when / then
    assert {str(i.period) for i in engine(annual).open_at(local(2026, 1, 5))} == {"2025", "2026"}
    assert {str(i.period) for i in engine(annual).open_at(local(2026, 1, 20))} == {"2026"}


def test_open_at_lists_the_running_week_even_past_its_deadline() -> None:
    # when
    friday = engine().open_at(local(2026, 11, 27, 8))
    monday = engine().open_at(local(2026, 11, 30, 8))

    # then
    assert {str(i.period) for i in friday if i.kind == "weekly"} == {"2026-W48"}
    assert {str(i.period) for i in monday if i.kind == "weekly"} == {"2026-W49"}


def test_open_at_with_months_starting_on_the_15th() -> None:
    # given: the party convention; on 15 November the month 2026-12 has begun,
    # and 2026-11's report may still be sent all day
    monthly = [ob(kind="monthly", owner="unit", units=["ccb-ho"], due_day=15)]

    # when
    items = engine(monthly, schedule=PARTY).open_at(local(2026, 11, 15, 8))

    # then
    assert {(str(i.period), i.deadline) for i in items} == {
        ("2026-11", local(2026, 11, 16)), ("2026-12", local(2026, 12, 16)),
    }


def test_deadlines_are_given_in_utc() -> None:
    # when
    items = engine().owed(p("2026-W48"))

    # then
    assert {i.deadline.tzinfo for i in items} == {UTC}


# --- reading obligations ------------------------------------------------------------------


def test_an_obligation_reads_back_from_its_own_record() -> None:
    # given
    records = [o.to_mapping() for o in SEED_002]

    # when / then
    assert tuple(Obligation.from_mapping(r) for r in records) == SEED_002


def test_a_reminder_may_be_given_in_fractions_of_an_hour() -> None:
    # when
    weekly = ob(kind="weekly", owner="cadre", due="thursday 13:30", remind_hours_before=4.5)

    # then
    assert weekly.remind_before == timedelta(hours=4, minutes=30)
    assert weekly.to_mapping()["remind_hours_before"] == 4.5


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"kind": "weekly", "owner": "cadre", "due": "thursday 14:00", "dew": 1}, "dew"),
        ({"kind": "daily", "owner": "cadre"}, "kind"),
        ({"owner": "cadre"}, "kind"),
        ({"kind": "weekly", "owner": "leader", "due": "thursday 14:00"}, "owner"),
        ({"kind": "weekly", "owner": "unit", "due": "thursday 14:00", "level": "town",
          "units": ["ccb-ho"]}, "units"),
        ({"kind": "weekly", "owner": "unit", "due": "thursday 14:00", "units": []}, "units"),
        ({"kind": "weekly", "owner": "unit", "due": "thursday 14:00", "units": "ccb-ho"},
         "units"),
        ({"kind": "weekly", "owner": "unit", "due": "thursday 14:00",
          "units": ["ccb-ho", "ccb-ho"]}, "units"),
        ({"kind": "weekly", "owner": "unit", "due": "thursday 14:00", "level": 3}, "level"),
        ({"kind": "urgent", "owner": "cadre", "remind_hours_before": 2}, "remind_hours_before"),
        ({"kind": "weekly", "owner": "cadre", "due": "thursday 14:00",
          "remind_hours_before": 0}, "remind_hours_before"),
        ({"kind": "weekly", "owner": "cadre", "due": "thursday 14:00",
          "remind_hours_before": 0.01}, "remind_hours_before"),
        ({"kind": "weekly", "owner": "cadre", "due": "thursday 14:00",
          "remind_hours_before": True}, "remind_hours_before"),
        ({"kind": "monthly", "owner": "unit", "due": "thursday 14:00"}, "due"),
    ],
)
def test_a_broken_obligation_is_refused_naming_its_field(
    record: dict[str, object], field: str
) -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Obligation.from_mapping(record)

    # then
    assert caught.value.code == "invalid_obligation"
    assert caught.value.field == field
    assert caught.value.message and caught.value.message_vi


def test_a_report_returned_for_correction_stands_returned_until_sent_again() -> None:
    # given
    sent = local(2026, 11, 26, 13)
    returned = Receipt("weekly", p("2026-W48"), unit("ccb-thi-xa"), None, sent, returned=True)

    # when
    before = status_of(town_summary_w48(), [returned], local(2026, 11, 27))
    resent = status_of(town_summary_w48(), [returned, town_receipt(sent)], local(2026, 11, 27))

    # then
    assert before.status is Status.RETURNED and before.received_at is None
    assert resent.status is Status.RECEIVED and resent.received_at == sent
