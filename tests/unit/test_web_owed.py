"""What the web says is owed: the (cadre, area) pairs expected at the deadline, as the
aggregator and the notifier count them (docs/aggregator.md), not the assignments of now."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from domain.clock import VN, FixedClock
from domain.periods import Period
from services.common.plan_file import parse_plan
from services.common.store import Store
from services.intake import network_plan
from services.intake.directory import AccountView, Directory
from services.intake.network_plan import apply_plan
from services.intake.web.completeness import unit_week
from services.intake.web.due import cadre_week

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=VN)  # week 2026-W48, due Thursday 14:00
W48 = Period.parse("2026-W48")

# cb-1 watched Khu phố Một until Tuesday's end and Khu phố Hai from Wednesday: at
# Thursday's deadline only Khu phố Hai owes the weekly report.
PLAN = """\
name = "Mẫu"

[[levels]]
id = "ward"
name = "Phường"

[[levels]]
id = "quarter"
name = "Khu phố"

[[areas]]
id = "p1"
name = "Phường Một"
level = "ward"

[[areas]]
id = "p1-k1"
name = "Khu phố Một"
level = "quarter"
parent = "p1"

[[areas]]
id = "p1-k2"
name = "Khu phố Hai"
level = "quarter"
parent = "p1"

[[units]]
id = "hoi-p1"
name = "Hội phường Một"
kind = "association"
areas = ["p1"]
place = "Mẫu"
code = "CCB"

[[cadres]]
id = "cb-1"
name = "Nguyễn Văn Một"
unit = "hoi-p1"

[[accounts]]
username = "cb.1"
password = "demo-2026"
role = "cadre"
cadre = "cb-1"
name = "Nguyễn Văn Một"

[[accounts]]
username = "ld.p1"
password = "demo-2026"
role = "leader"
unit = "hoi-p1"
name = "Lãnh đạo phường Một"

[[assignments]]
cadre = "cb-1"
area = "p1-k1"
from = 2026-01-01
until = 2026-11-24

[[assignments]]
cadre = "cb-1"
area = "p1-k2"
from = 2026-11-25
"""


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Any:
    # argon2 is slow on purpose; these tests are about what is owed, not the hash.
    monkeypatch.setattr(network_plan, "hash_password", lambda p: f"fake${p}")
    store = Store(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    directory = Directory(store)
    apply_plan(store, directory, parse_plan(PLAN), FixedClock(TUESDAY))
    directory.refresh()
    # No report sent yet: the page's other source, the intake's report list, is empty.
    service = SimpleNamespace(list_reports=lambda *args, **kwargs: [])
    yield SimpleNamespace(directory=directory, service=service)
    store.close()


def account(runtime: Any, username: str) -> AccountView:
    found = runtime.directory.account_by_username(username)
    assert found is not None
    return found


def test_the_cadres_page_lists_the_areas_owed_at_this_weeks_deadline(runtime: Any):
    # When the cadre opens their page on Tuesday
    week = cadre_week(runtime, account(runtime, "cb.1"), TUESDAY)
    # Then this week's report is owed for the area held at Thursday's deadline
    assert week.period == W48
    assert [a.area_id for a in week.areas] == ["p1-k2"]
    # and the past four weeks', missed, for the area held at each of their deadlines
    assert [(m.period, m.area_id) for m in week.missing] == [
        ("2026-W47", "p1-k1"), ("2026-W46", "p1-k1"), ("2026-W45", "p1-k1"),
        ("2026-W44", "p1-k1")]


def test_the_units_table_expects_the_pairs_assigned_at_the_deadline(runtime: Any):
    # When the leader opens the unit's table for this week on Tuesday
    table = unit_week(runtime, account(runtime, "ld.p1"), "hoi-p1", W48)
    # Then the one pair expected at Thursday's deadline is the one still missing
    [row] = table.rows
    assert (row.expected, row.received) == (1, 0)
    assert row.missing == ["Nguyễn Văn Một (Khu phố Hai)"]


def owing(obligations: str) -> Any:
    """A runtime over PLAN with these obligations instead of its schedule's."""
    store = Store(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    directory = Directory(store)
    apply_plan(store, directory, parse_plan(PLAN + obligations), FixedClock(TUESDAY))
    directory.refresh()
    return SimpleNamespace(directory=directory,
                           service=SimpleNamespace(list_reports=lambda *args, **kwargs: []))


FRIDAY_MORNING = """
[[obligations]]
kinds = ["weekly"]
owner = "cadre"
due = "friday 09:00"

[[obligations]]
kinds = ["urgent"]
owner = "cadre"
"""

URGENT_ONLY = """
[[obligations]]
kinds = ["urgent"]
owner = "cadre"
"""


@pytest.fixture
def no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_plan, "hash_password", lambda p: f"fake${p}")


@pytest.mark.usefixtures("no_hashing")
def test_the_cadres_deadline_is_the_one_their_areas_obligation_sets():
    # Given the plan's cadres owe the weekly report on Friday at 09:00
    runtime = owing(FRIDAY_MORNING)

    # When the cadre opens their page on Tuesday
    week = cadre_week(runtime, account(runtime, "cb.1"), TUESDAY)

    # Then the countdown runs to Friday 09:00, and both forms are offered for the area
    assert week.deadline == week.target == datetime(2026, 11, 27, 9, 0, tzinfo=VN)
    assert [(a.area_id, sorted(a.kinds)) for a in week.areas] == [
        ("p1-k2", ["urgent", "weekly"])]
    # and the missed weeks fell due on their Fridays
    assert {m.deadline.astimezone(VN).weekday() for m in week.missing} == {4}


@pytest.mark.usefixtures("no_hashing")
def test_a_cadre_who_owes_no_weekly_report_is_offered_the_urgent_one_only():
    # Given the plan's cadres owe urgent reports only
    runtime = owing(URGENT_ONLY)

    # When the cadre opens their page on Tuesday
    week = cadre_week(runtime, account(runtime, "cb.1"), TUESDAY)

    # Then no weekly deadline, nothing missed, and the area held now offers the urgent form
    assert (week.deadline, week.target, week.missing) == (None, None, [])
    assert [(a.area_id, sorted(a.kinds)) for a in week.areas] == [("p1-k1", ["urgent"])]
    # and the unit's table expects no weekly report of anyone
    [row] = unit_week(runtime, account(runtime, "ld.p1"), "hoi-p1", W48).rows
    assert (row.expected, row.missing) == (0, [])
