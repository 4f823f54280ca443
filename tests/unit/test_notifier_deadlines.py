"""What is overdue at an instant: to the second, by receipt time, for assigned pairs only."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from domain.obligation_engine import ObligationEngine
from domain.obligations import from_schedule
from domain.schedule import Schedule
from services.common.network_view import NetworkView
from services.notifier.deadlines import overdue, passed, reminding
from services.notifier.received import Received

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEADLINE = datetime(2026, 11, 26, 14, 0, tzinfo=VN)


def view_with(*assignments: tuple[str, str, datetime, datetime | None]) -> NetworkView:
    view = NetworkView()
    view.apply("NetworkCreated", uuid4(), {"name": "x"})
    for area, parent in (("vn", None), ("c", "vn"), ("a", "c"), ("b", "c")):
        view.apply("NetworkAreaDefined", uuid4(),
                   {"area": {"id": area, "name": area, "level": "l", "parent": parent}})
    for area in ("a", "b"):
        view.apply("NetworkUnitDefined", uuid4(),
                   {"unit": {"id": f"ch-{area}", "name": area, "area_ids": [area]}})
    for cadre, area, start, end in assignments:
        view.apply("AssignmentStarted", uuid4(), {
            "cadre_id": cadre, "area_id": area, "valid_from": start.isoformat(),
            "valid_until": None if end is None else end.isoformat()})
    return view


SINCE_JANUARY = datetime(2026, 1, 1, tzinfo=VN)


def engine_of(schedule: Schedule) -> ObligationEngine:
    """The network of `view_with` owing what the schedule says."""
    return ObligationEngine(view_with().org_chart(), from_schedule(schedule), schedule)


def weekly(rows: list[dict[str, object]], period: str = "2026-W48") -> set[tuple[object, ...]]:
    return {(r["cadre_id"], r["area_id"]) for r in rows
            if r["kind"] == "weekly" and r["period"] == period}


def test_a_weekly_report_is_overdue_from_14_00_00_not_a_second_before():
    view = view_with(("cb-a", "a", SINCE_JANUARY, None))
    received = Received()
    assert weekly(overdue(view, received, DEADLINE - timedelta(seconds=1), ("weekly",))) == set()
    rows = overdue(view, received, DEADLINE, ("weekly",))
    assert weekly(rows) == {("cb-a", "a")}
    row = next(r for r in rows if r["period"] == "2026-W48")
    assert row == {"kind": "weekly", "period": "2026-W48", "cadre_id": "cb-a", "area_id": "a",
                   "unit_id": "ch-a", "deadline": "2026-11-26T07:00:00+00:00"}


def test_receipt_time_decides_and_the_device_time_is_only_kept():
    view = view_with(("cb-a", "a", SINCE_JANUARY, None))
    received = Received()
    late = DEADLINE + timedelta(hours=1)
    received.add("weekly", "2026-W48", "cb-a", "a", late,
                 device_time=DEADLINE - timedelta(hours=5))
    assert weekly(overdue(view, received, DEADLINE, ("weekly",))) == {("cb-a", "a")}
    assert weekly(overdue(view, received, late, ("weekly",))) == set()
    assert received.when("weekly", "2026-W48", "cb-a", "a") == (
        late, DEADLINE - timedelta(hours=5))


def test_a_report_at_13_59_59_counts():
    view = view_with(("cb-a", "a", SINCE_JANUARY, None))
    received = Received()
    received.add("weekly", "2026-W48", "cb-a", "a", DEADLINE - timedelta(seconds=1))
    assert weekly(overdue(view, received, DEADLINE, ("weekly",))) == set()


def test_only_assignments_active_at_the_deadline_are_expected():
    view = view_with(("cb-ended", "a", SINCE_JANUARY, DEADLINE),
                     ("cb-new", "b", DEADLINE + timedelta(seconds=1), None),
                     ("cb-both", "b", SINCE_JANUARY, None))
    assert weekly(overdue(view, Received(), DEADLINE + timedelta(days=1), ("weekly",))) == {
        ("cb-both", "b")}


def test_each_kind_is_judged_for_its_two_latest_passed_periods():
    dues = passed(engine_of(Schedule()), DEADLINE.astimezone(ZoneInfo("UTC")))
    labels = {(d.kind, d.label) for d in dues}
    assert {("weekly", "2026-W48"), ("weekly", "2026-W47"), ("monthly", "2026-11"),
            ("monthly", "2026-10"), ("quarterly", "2026-Q3"), ("quarterly", "2026-Q2"),
            ("semiannual", "2026-H1"), ("semiannual", "2025-H2"), ("annual", "2025"),
            ("annual", "2024")} == labels
    wednesday = passed(engine_of(Schedule()), DEADLINE - timedelta(days=1), ("weekly",))
    assert [d.label for d in wednesday] == ["2026-W46", "2026-W47"]


def test_months_starting_on_the_15th_leave_no_gap_before_a_deadline():
    schedule = Schedule(month_start_day=15)
    at = datetime(2026, 11, 15, 23, 0, tzinfo=VN)
    dues = passed(engine_of(schedule), at, ("monthly",))
    assert [d.label for d in dues] == ["2026-09", "2026-10"]


def test_reminders_are_due_from_nine_until_the_deadline():
    schedule = engine_of(Schedule())
    assert reminding(schedule, DEADLINE - timedelta(hours=5, seconds=1), ("weekly",)) == []
    [due] = reminding(schedule, DEADLINE - timedelta(hours=5), ("weekly",))
    assert due.label == "2026-W48"
    assert reminding(schedule, DEADLINE, ("weekly",)) == []
    assert reminding(schedule, DEADLINE - timedelta(hours=1), ("monthly",)) == []


def test_an_earlier_receipt_wins_over_a_resubmission():
    received = Received()
    assert received.add("weekly", "2026-W48", "cb", "a", DEADLINE)
    assert not received.add("weekly", "2026-W48", "cb", "a", DEADLINE + timedelta(hours=1))
    assert received.add("weekly", "2026-W48", "cb", "a", DEADLINE - timedelta(hours=1))
    assert len(received) == 1
