"""NetworkView answers with the one obligation engine over the live network it projects."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

from domain.ids import NETWORK_ID
from domain.obligations import OwnerType, from_schedule
from domain.periods import Period
from services.common.network_view import NetworkView
from services.common.plan_file import load_plan
from tests.unit.plan_envelopes import plan_envelopes

PLANS = Path(__file__).resolve().parents[2] / "plans"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=VN)


def view_of(plan_name: str) -> NetworkView:
    view = NetworkView()
    for envelope in plan_envelopes(load_plan(PLANS / plan_name)):
        view.apply(envelope["type"], envelope["aggregate_id"], envelope["data"])
    return view


def test_the_recorded_obligations_are_the_plans():
    view = view_of("demo-thuan-thanh.toml")
    assert view.obligations() == load_plan(PLANS / "demo-thuan-thanh.toml").obligations


def test_a_network_that_recorded_none_owes_what_its_schedule_says():
    view = view_of("two-level.toml")
    assert view.obligations() == from_schedule(view.schedule())
    assert view.engine().kinds_for_area("tram-lo-nghi-an") == {
        "weekly", "monthly", "quarterly", "semiannual", "annual", "urgent"}


def test_the_org_chart_holds_the_live_levels_areas_units_and_assignments():
    view = view_of("demo-thuan-thanh.toml")
    view.apply("NetworkUnitRetired", NETWORK_ID, {"unit_id": "ch-ho-a-lu"})
    chart = view.org_chart()
    assert chart.levels == ("province", "town", "commune", "village")
    assert chart.units["ccb-thi-xa"].parent == "bdv-thi-uy"
    assert "ch-ho-a-lu" not in chart.units
    assert {a.area_id for a in chart.assignments if a.cadre_id == "cb-ho-a-lu"} == {
        "ho-a-lu", "ho-dang-xa"}


def test_cadres_of_the_demo_owe_weekly_and_urgent_reports_only():
    engine = view_of("demo-thuan-thanh.toml").engine()
    assert engine.kinds_for_area("ho-dong-coi") == {"weekly", "urgent"}
    monthly = engine.owed(Period.parse("2026-11"))
    assert monthly and {i.owner.type for i in monthly} == {OwnerType.UNIT}


def test_the_engine_is_kept_until_the_network_or_an_assignment_changes():
    view = view_of("demo-thuan-thanh.toml")
    engine, governance = view.engine(), view.governance()
    assert view.engine() is engine
    view.apply("ReportSubmitted", uuid4(), {})
    assert view.engine() is engine
    view.apply("AssignmentStarted", uuid4(), {
        "cadre_id": "cb-ho-dong-coi", "area_id": "ho-a-lu", "valid_from": THURSDAY.isoformat()})
    moved = view.engine()
    assert moved is not engine
    # Who owes which kind where does not hang on assignments: it is not rebuilt for them.
    assert view.governance() is governance
    assert any(i.owner.id == "cb-ho-dong-coi" and i.area_id == "ho-a-lu"
               for i in moved.owed(Period.parse("2026-W49")))
    view.apply("NetworkObligationsDefined", NETWORK_ID, {"obligations": []})
    assert view.governance() is not governance
    assert view.engine().kinds_for_area("ho-dong-coi") >= {"monthly"}
