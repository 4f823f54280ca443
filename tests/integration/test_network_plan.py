"""Loading plan files records only differences, in real SQLite files."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.ids import NETWORK_ID
from services.common.plan_file import parse_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.conftest import THURSDAY_MORNING, TWO_LEVEL

PLANS = Path(__file__).resolve().parents[2] / "plans"


@pytest.fixture
def loaded(home: Path):
    store = open_store(home)
    directory = Directory(store)
    directory.refresh()
    yield store, directory
    store.close()


def test_loading_the_same_file_twice_records_nothing(loaded):
    store, directory = loaded
    position = store.last_position()
    result = apply_plan(store, directory, parse_plan(TWO_LEVEL.read_text()),
                        FixedClock(THURSDAY_MORNING))
    assert result.total == 0
    assert store.last_position() == position


def test_a_renamed_unit_records_one_event(loaded):
    store, directory = loaded
    text = TWO_LEVEL.read_text().replace('name = "Hội Cựu chiến binh tỉnh Bắc Ninh"',
                                         'name = "Hội CCB tỉnh Bắc Ninh (đổi tên)"')
    result = apply_plan(store, directory, parse_plan(text), FixedClock(THURSDAY_MORNING))
    assert result.changes == {"unit_defined": 1}
    unit = directory.unit("ccb-tinh")
    assert unit is not None and unit.name == "Hội CCB tỉnh Bắc Ninh (đổi tên)"


def test_an_assignment_dropped_from_the_file_ends_and_is_not_deleted(loaded):
    store, directory = loaded
    block = ('[[assignments]]\ncadre = "cb-tram-lo-nghi-an"\narea = "tram-lo-nghi-an"\n'
             'from = 2025-07-01\n')
    text = TWO_LEVEL.read_text()
    assert block in text
    later = FixedClock(THURSDAY_MORNING + timedelta(days=1))
    result = apply_plan(store, directory, parse_plan(text.replace(block, "")), later)
    assert result.changes == {"assignment_ended": 1}
    (ended,) = [a for a in directory.assignments() if a.cadre_id == "cb-tram-lo-nghi-an"]
    assert ended.valid_until == later.now()
    assert ended.covers(later.now() - timedelta(seconds=1))
    assert not ended.covers(later.now())


def test_a_changed_initial_password_changes_nothing(loaded):
    store, directory = loaded
    text = re.sub(r'password = "demo-2026"', 'password = "another-2026"', TWO_LEVEL.read_text(),
                  count=1)
    result = apply_plan(store, directory, parse_plan(text), FixedClock(THURSDAY_MORNING))
    assert result.total == 0


def test_an_account_dropped_from_the_file_is_disabled(loaded):
    store, directory = loaded
    blocks = TWO_LEVEL.read_text().split("[[accounts]]")
    kept = [b for b in blocks if 'username = "ld.ccb.tramlo"' not in b]
    result = apply_plan(store, directory, parse_plan("[[accounts]]".join(kept)),
                        FixedClock(THURSDAY_MORNING))
    assert result.changes == {"account_disabled": 1}
    account = directory.account_by_username("ld.ccb.tramlo")
    assert account is not None and not account.active


def test_the_demo_plan_loads_into_an_empty_store(tmp_path: Path):
    store = open_store(tmp_path)
    try:
        directory = Directory(store)
        plan = parse_plan((PLANS / "demo-thuan-thanh.toml").read_text())
        result = apply_plan(store, directory, plan, FixedClock(THURSDAY_MORNING))
        assert result.changes["unit_defined"] == 22
        areas = directory.assigned_areas("cb-ho-a-lu", THURSDAY_MORNING)
        assert areas == ["ho-a-lu", "ho-dang-xa"]
        assert directory.visible_areas("ccb-thi-xa") <= directory.visible_areas("bdv-tinh-uy")
    finally:
        store.close()


def _network_events(store, after: int) -> list[str]:
    return [n.topic.rsplit(":", 1)[-1] for n in store.notifications_after(after, 10_000)
            if n.originator_id == NETWORK_ID]


def test_the_plans_obligations_are_recorded_once_and_not_again(tmp_path: Path):
    store = open_store(tmp_path)
    try:
        directory = Directory(store)
        plan = parse_plan((PLANS / "demo-thuan-thanh.toml").read_text())
        first = apply_plan(store, directory, plan, FixedClock(THURSDAY_MORNING))
        assert first.changes["obligations_defined"] == 1
        network = store.find(NETWORK_ID)
        assert network.obligations == [o.to_mapping() for o in plan.obligations]
        position = store.last_position()
        again = apply_plan(store, directory, plan, FixedClock(THURSDAY_MORNING))
        assert again.total == 0
        assert store.last_position() == position
    finally:
        store.close()


def test_a_changed_obligation_is_recorded_and_a_plan_without_any_records_none(loaded):
    store, directory = loaded
    position = store.last_position()
    assert "Network.ObligationsDefined" not in _network_events(store, 0)
    text = TWO_LEVEL.read_text() + (
        '\n[[obligations]]\nkinds = ["weekly"]\nowner = "cadre"\ndue = "thursday 13:30"\n')
    result = apply_plan(store, directory, parse_plan(text), FixedClock(THURSDAY_MORNING))
    assert result.changes == {"obligations_defined": 1}
    assert _network_events(store, position) == ["Network.ObligationsDefined"]
    back = apply_plan(store, directory, parse_plan(TWO_LEVEL.read_text()),
                      FixedClock(THURSDAY_MORNING))
    assert back.changes == {"obligations_defined": 1}
    assert store.find(NETWORK_ID).obligations == []
