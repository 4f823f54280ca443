"""A plan's [[obligations]]: read, checked against the network, or derived from [schedule]."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest

from domain.clock import VN
from domain.deadlines import DatesDue, FixedDate, MonthDayDue, WeekdayDue
from domain.obligation_engine import ObligationEngine, OwedItem
from domain.obligations import Obligation, OwnerType, from_schedule
from domain.periods import Cadence, Period
from domain.schedule import Schedule
from services.common.plan_file import Plan, PlanError, load_plan, parse_plan

PLANS = Path(__file__).resolve().parents[2] / "plans"

BASE = """\
name = "Mẫu"

[[levels]]
id = "province"
name = "Tỉnh"

[[levels]]
id = "ward"
name = "Phường"

[[levels]]
id = "quarter"
name = "Khu phố"

[[areas]]
id = "tinh"
name = "Tỉnh Mẫu"
level = "province"

[[areas]]
id = "phuong"
name = "Phường Mẫu"
level = "ward"
parent = "tinh"

[[areas]]
id = "khu-1"
name = "Khu phố 1"
level = "quarter"
parent = "phuong"

[[units]]
id = "ban-tinh"
name = "Ban Dân vận Tỉnh ủy Mẫu"
kind = "party"
areas = ["tinh"]
place = "Mẫu"
code = "BDVTU"

[[units]]
id = "hoi"
name = "Hội Cựu chiến binh phường Mẫu"
kind = "association"
parent = "ban-tinh"
areas = ["phuong"]
place = "Mẫu"
code = "CCB"

[[units]]
id = "chi-hoi"
name = "Chi hội Cựu chiến binh khu phố 1"
kind = "association"
parent = "hoi"
areas = ["khu-1"]
place = "Mẫu"
code = "CHCCB"

[[cadres]]
id = "cb-1"
name = "Nguyễn Văn A"
unit = "chi-hoi"

[[assignments]]
cadre = "cb-1"
area = "khu-1"
from = 2026-01-01
"""

CADRES_WEEKLY = """
[[obligations]]
kinds = ["weekly", "urgent"]
owner = "cadre"
"""


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def with_obligations(*tables: str) -> str:
    return BASE + "".join(tables)


def refusal(text: str) -> PlanError:
    with pytest.raises(PlanError) as caught:
        parse_plan(text)
    return caught.value


def engine_of(plan: Plan) -> ObligationEngine:
    schedule = Schedule.from_mapping(plan.schedule)
    return ObligationEngine(plan.org_chart(), plan.obligations, schedule)


def by_owner(items: list[OwedItem]) -> dict[tuple[str, str], datetime]:
    return {(str(i.owner.type), i.owner.id): i.deadline for i in items}


# --- no section: today's behaviour ----------------------------------------------------


def test_a_plan_without_obligations_owes_what_its_schedule_names() -> None:
    # given
    text = BASE + '\n[schedule]\nweekly_due = "friday 10:00"\nperiodic_due_day = 5\n'

    # when
    plan = parse_plan(text)

    # then
    schedule = Schedule.from_mapping({"weekly_due": "friday 10:00", "periodic_due_day": 5})
    assert plan.obligations == from_schedule(schedule)
    assert plan.obligations_declared is False


def test_a_plan_without_schedule_or_obligations_owes_the_briefs_defaults() -> None:
    # when
    plan = parse_plan(BASE)

    # then
    assert plan.obligations == from_schedule(Schedule())


def test_a_broken_schedule_is_refused_where_it_is_broken() -> None:
    # when
    error = refusal(BASE + '\n[schedule]\nweekly_due = "someday"\n')

    # then
    assert error.code == "invalid_plan"
    assert error.field == "schedule.weekly_due"
    assert "someday" in error.message and "someday" in error.message_vi


# --- the section --------------------------------------------------------------------------


def test_each_listed_kind_becomes_one_obligation() -> None:
    # given
    text = with_obligations("""
[[obligations]]
kinds = ["weekly"]
owner = "cadre"
due = "thứ năm 14:00"
remind_hours_before = 5

[[obligations]]
kinds = ["urgent"]
owner = "cadre"

[[obligations]]
kinds = ["quarterly", "annual"]
owner = "unit"
level = "ward"
due_day = 15
due_time = 17:00:00

[[obligations]]
kinds = ["semiannual"]
owner = "unit"
units = ["hoi"]
due_dates = [{ period = "H1", month = 6, day = 10 }]
due_time = "00:00"
""")

    # when
    plan = parse_plan(text)

    # then
    assert plan.obligations_declared is True
    assert [(o.kind, o.owner, o.level, o.units) for o in plan.obligations] == [
        ("weekly", OwnerType.CADRE, None, ()),
        ("urgent", OwnerType.CADRE, None, ()),
        ("quarterly", OwnerType.UNIT, "ward", ()),
        ("annual", OwnerType.UNIT, "ward", ()),
        ("semiannual", OwnerType.UNIT, None, ("hoi",)),
    ]
    assert plan.obligations[0].rule == WeekdayDue(3, time(14))
    assert plan.obligations[2].rule == MonthDayDue(15, time(17))
    assert plan.obligations[4].rule == DatesDue(
        Cadence.HALF, (FixedDate(1, 6, 10),), time(0)
    )


def test_an_empty_section_means_nothing_is_owed() -> None:
    # when
    plan = parse_plan(BASE.replace('name = "Mẫu"\n', 'name = "Mẫu"\nobligations = []\n', 1))

    # then
    assert plan.obligations == ()
    assert plan.obligations_declared is True


def test_obligations_read_back_from_their_records() -> None:
    # given
    plan = load_plan(PLANS / "demo-thuan-thanh.toml")

    # when
    again = tuple(Obligation.from_mapping(o.to_mapping()) for o in plan.obligations)

    # then
    assert again == plan.obligations


@pytest.mark.parametrize(
    ("table", "field"),
    [
        pytest.param('owner = "cadre"\n', "obligations[0].kinds", id="no-kinds"),
        pytest.param('kinds = []\nowner = "cadre"\n', "obligations[0].kinds", id="empty-kinds"),
        pytest.param('kinds = "weekly"\nowner = "cadre"\ndue = "thursday 14:00"\n',
                     "obligations[0].kinds", id="kinds-not-a-list"),
        pytest.param('kinds = ["weekly", "daily"]\nowner = "cadre"\ndue = "thursday 14:00"\n',
                     "obligations[0].kinds[1]", id="unknown-kind"),
        pytest.param('kinds = ["urgent", "urgent"]\nowner = "cadre"\n',
                     "obligations[0].kinds[1]", id="kind-twice"),
        pytest.param('kinds = ["urgent"]\n', "obligations[0].owner", id="no-owner"),
        pytest.param('kinds = ["urgent"]\nowner = "leader"\n', "obligations[0].owner",
                     id="unknown-owner"),
        pytest.param('kinds = ["urgent"]\nowner = "cadre"\nwhen = 1\n', "obligations[0].when",
                     id="unknown-key"),
        pytest.param('kinds = ["urgent"]\nowner = "cadre"\nlevel = "town"\n',
                     "obligations[0].level", id="unknown-level"),
        pytest.param('kinds = ["urgent"]\nowner = "cadre"\nunits = ["hoi-xa"]\n',
                     "obligations[0].units[0]", id="unknown-unit"),
        pytest.param('kinds = ["urgent"]\nowner = "cadre"\nunits = ["hoi"]\nlevel = "ward"\n',
                     "obligations[0].units", id="level-and-units"),
        pytest.param('kinds = ["urgent"]\nowner = "unit"\nunits = ["hoi", "ban-tinh"]\n',
                     "obligations[0].units[1]", id="unit-with-no-recipient"),
        pytest.param('kinds = ["monthly"]\nowner = "cadre"\ndue = "thursday 14:00"\n',
                     "obligations[0].due", id="weekday-for-a-month"),
        pytest.param('kinds = ["weekly", "monthly"]\nowner = "unit"\ndue_day = 15\n',
                     "obligations[0].due_day", id="day-of-month-for-a-week"),
        pytest.param('kinds = ["annual"]\nowner = "cadre"\n'
                     'due_dates = [{ month = 2, day = 30 }]\n',
                     "obligations[0].due_dates[0].day", id="no-such-date"),
        pytest.param('kinds = ["weekly"]\nowner = "cadre"\ndue = "thursday 14:00"\n'
                     "remind_hours_before = -1\n",
                     "obligations[0].remind_hours_before", id="negative-reminder"),
    ],
)
def test_a_broken_obligation_is_refused_where_it_is_broken(table: str, field: str) -> None:
    # when
    error = refusal(with_obligations("\n[[obligations]]\n" + table))

    # then
    assert error.code == "invalid_plan"
    assert error.field == field
    assert error.message and error.message_vi and error.message != error.message_vi


def test_a_level_no_unit_stands_at_is_refused() -> None:
    # given: no unit covers a quarter-level area once the branch covers none
    text = with_obligations(CADRES_WEEKLY.replace('owner = "cadre"',
                                                  'owner = "cadre"\nlevel = "quarter"'))
    text = text.replace('areas = ["khu-1"]\n', "")

    # when
    error = refusal(text)

    # then
    assert error.field == "obligations[0].level"
    assert "quarter" in error.message and "quarter" in error.message_vi


@pytest.mark.parametrize(
    ("scope", "field"),
    [
        pytest.param("", "obligations[1].kinds[0]", id="whole-network-twice"),
        pytest.param('level = "ward"\n', "obligations[1].level", id="same-level-twice"),
        pytest.param('units = ["chi-hoi", "hoi"]\n', "obligations[1].units[1]",
                     id="same-unit-twice"),
    ],
)
def test_the_same_kind_owed_twice_by_the_same_owners_is_refused(scope: str, field: str) -> None:
    # given
    first = '\n[[obligations]]\nkinds = ["urgent"]\nowner = "unit"\n'
    second = first
    if scope:
        first += scope.replace('"chi-hoi", ', "")
        second += scope

    # when
    error = refusal(with_obligations(first, second))

    # then
    assert error.field == field


def test_the_same_kind_for_cadres_and_for_units_is_two_obligations() -> None:
    # given
    text = with_obligations(
        '\n[[obligations]]\nkinds = ["urgent"]\nowner = "cadre"\n',
        '\n[[obligations]]\nkinds = ["urgent"]\nowner = "unit"\nunits = ["hoi"]\n',
    )

    # when / then
    assert len(parse_plan(text).obligations) == 2


# --- the plan's network for the engine ---------------------------------------------------


def test_the_plans_org_chart_answers_as_the_plan() -> None:
    # when
    chart = parse_plan(BASE).org_chart()

    # then
    assert chart.levels == ("province", "ward", "quarter")
    assert chart.unit_for_area("khu-1") == "chi-hoi"
    assert chart.level_of_unit("hoi") == "ward"
    assert chart.recipients("chi-hoi") == ("hoi",)
    assert [a.cadre_id for a in chart.active_at(local(2026, 3, 1))] == ["cb-1"]


# --- the demo follows seed 002 ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(PLANS / "demo-thuan-thanh.toml")


def test_demo_cadres_owe_the_weekly_quick_report_and_urgent_reports_only(demo: Plan) -> None:
    # when
    kinds = engine_of(demo).kinds_for_area("ho-dong-coi")
    year = engine_of(demo).due_between(local(2026, 1, 1), local(2027, 1, 1))

    # then
    assert kinds == {"weekly", "urgent"}
    assert {i.kind for i in year if i.owner.type is OwnerType.CADRE} == {"weekly"}


def test_demo_weekly_summaries_follow_seed_002(demo: Plan) -> None:
    # when
    items = engine_of(demo).owed(Period.parse("2026-W48"), ["weekly"])
    owed = by_owner(items)

    # then: cadres by 14:00, the commune associations too, the town by 13:30,
    # the town's mobilisation board during Thursday
    assert owed[("cadre", "cb-ho-dong-coi")] == local(2026, 11, 26, 14)
    assert owed[("unit", "ccb-ho")] == local(2026, 11, 26, 14)
    assert owed[("unit", "ccb-thi-xa")] == local(2026, 11, 26, 13, 30)
    assert owed[("unit", "bdv-thi-uy")] == local(2026, 11, 27)
    assert {u for t, u in owed if t == "unit"} == {
        "ccb-ho", "ccb-song-ho", "ccb-gia-dong", "ccb-dinh-to", "ccb-thi-xa", "bdv-thi-uy",
    }
    assert sum(1 for t, _ in owed if t == "cadre") == 12
    assert len([i for i in items if i.owner.type is OwnerType.CADRE]) == 13  # Đặng Xá has two


def test_demo_town_summary_goes_to_the_board_and_the_province(demo: Plan) -> None:
    # when
    items = engine_of(demo).owed(Period.parse("2026-W48"), ["weekly"])

    # then
    town = next(i for i in items if i.owner.id == "ccb-thi-xa")
    assert town.recipients[0] == "bdv-thi-uy"
    assert {"bdv-tinh-uy", "ccb-tinh"} <= set(town.recipients)


def test_demo_units_owe_periodic_reports_on_the_15th(demo: Plan) -> None:
    # when
    items = engine_of(demo).owed(Period.parse("2026-Q4"))

    # then
    assert {i.owner.id for i in items} == {
        "ccb-ho", "ccb-song-ho", "ccb-gia-dong", "ccb-dinh-to", "ccb-thi-xa", "bdv-thi-uy",
    }
    assert {i.deadline for i in items} == {local(2026, 12, 16)}
