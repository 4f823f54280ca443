"""Who may read and who may act: the rules of domain/access.py, on a small fake network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domain.access import (
    administered_units,
    may_act,
    may_read,
    may_read_rollup,
    readable_units,
    reader,
    unit_scope,
)
from domain.errors import Forbidden
from domain.network_records import Unit

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class FakeNetwork:
    """town ← commune-a ← branch-a1; town ← commune-b; province receives copies from town;
    a retired unit 'old' also names the province as a recipient."""

    def __init__(self) -> None:
        self.units = {u.id: u for u in (
            Unit("province", "P", area_ids=("p",)),
            Unit("town", "T", area_ids=("t",), copies_to=("province",)),
            Unit("commune-a", "A", parent="town", area_ids=("a",)),
            Unit("branch-a1", "A1", parent="commune-a", area_ids=("a1",)),
            Unit("commune-b", "B", parent="town", area_ids=("b",)),
            Unit("old", "O", area_ids=("o",), copies_to=("province",), retired=True),
        )}
        # cadre cb-1 holds a1 from NOW on, and held b until NOW
        self.assignments = [("cb-1", "a1", NOW, None), ("cb-1", "b", NOW - timedelta(days=9), NOW)]

    def unit_subtree(self, unit_id: str) -> set[str]:
        below = {u for u, rec in self.units.items() if rec.parent == unit_id}
        return {unit_id}.union(*(self.unit_subtree(u) for u in below))

    def unit_scope(self, unit_id: str) -> set[str]:
        return unit_scope(self, unit_id)

    def _areas(self, units: set[str]) -> set[str]:
        return {a for u in units for a in self.units[u].area_ids}

    def visible_areas(self, unit_id: str) -> set[str]:
        return self._areas(self.unit_scope(unit_id))

    def subtree_areas(self, unit_id: str) -> set[str]:
        return self._areas(self.unit_subtree(unit_id))

    def assigned_areas(self, cadre_id: str, at: datetime) -> list[str]:
        return sorted(area for cadre, area, start, end in self.assignments
                      if cadre == cadre_id and start <= at and (end is None or at < end))


@dataclass(frozen=True)
class Account:
    role: str
    unit_id: str | None = None
    cadre_id: str | None = None
    active: bool = True


NET = FakeNetwork()
CADRE = Account("cadre", cadre_id="cb-1")
TOWN_LEADER = Account("leader", unit_id="town")
PROVINCE_LEADER = Account("leader", unit_id="province")


def test_a_units_scope_is_its_subtree_and_the_subtrees_of_live_units_copying_to_it():
    assert unit_scope(NET, "town") == {"town", "commune-a", "branch-a1", "commune-b"}
    assert unit_scope(NET, "province") == {"province", "town", "commune-a", "branch-a1",
                                           "commune-b"}  # not the retired 'old'


@pytest.mark.parametrize("account", [Account("auditor"), Account("admin")])
def test_auditors_and_admins_without_a_unit_read_everything(account: Account):
    assert may_read(account, NET, "o", at=NOW)
    assert may_read(account, NET, "a1", at=NOW, cadre_id="cb-9")
    assert readable_units(account, NET) is None


def test_an_auditor_with_a_unit_reads_only_that_units_scope():
    auditor = Account("auditor", unit_id="commune-a")
    assert may_read(auditor, NET, "a1", at=NOW)
    assert not may_read(auditor, NET, "b", at=NOW)
    assert readable_units(auditor, NET) == {"commune-a", "branch-a1"}


def test_a_leader_reads_the_areas_of_their_scope_copies_included():
    assert may_read(TOWN_LEADER, NET, "a1", at=NOW, cadre_id="cb-1")
    assert not may_read(TOWN_LEADER, NET, "p", at=NOW)
    assert may_read(PROVINCE_LEADER, NET, "b", at=NOW)  # town copies to the province


def test_a_leader_without_a_unit_reads_nothing():
    leader = Account("leader")
    assert not may_read(leader, NET, "t", at=NOW)
    assert readable_units(leader, NET) == set()


def test_a_cadre_reads_their_own_records_wherever_and_no_one_elses():
    assert may_read(CADRE, NET, "p", at=NOW, cadre_id="cb-1")
    assert not may_read(CADRE, NET, "a1", at=NOW, cadre_id="cb-2")  # even in their own area


def test_a_cadre_reads_the_cases_of_the_areas_assigned_to_them_at_that_instant():
    assert may_read(CADRE, NET, "a1", at=NOW)
    assert not may_read(CADRE, NET, "a1", at=NOW - timedelta(seconds=1))  # not yet assigned
    assert may_read(CADRE, NET, "b", at=NOW - timedelta(seconds=1))
    assert not may_read(CADRE, NET, "b", at=NOW)  # that assignment ended at NOW


def test_a_reader_answers_as_may_read_for_every_record():
    records = [(area, cadre) for area in ("p", "t", "a", "a1", "b", "o")
               for cadre in (None, "cb-1", "cb-2")]
    for account in (CADRE, TOWN_LEADER, PROVINCE_LEADER, Account("admin"), Account("leader")):
        readable = reader(account, NET, NOW)
        assert [readable(a, c) for a, c in records] == [
            may_read(account, NET, a, at=NOW, cadre_id=c) for a, c in records]


def test_rollups_are_read_within_the_scope_and_by_no_cadre():
    assert may_read_rollup(NET, "leader", "province", "branch-a1")
    assert not may_read_rollup(NET, "leader", "town", "province")
    assert not may_read_rollup(NET, "cadre", "town", "town")
    assert not may_read_rollup(NET, "admin", None, "old")  # retired
    assert not may_read_rollup(NET, "admin", None, "nowhere")


def test_a_leader_acts_in_their_own_subtree_but_not_on_what_is_copied_to_them():
    assert may_act(TOWN_LEADER, NET, "a1")
    assert not may_act(PROVINCE_LEADER, NET, "a1")  # read-only copy
    assert may_act(PROVINCE_LEADER, NET, "p")


class NestedAreas(FakeNetwork):
    """The province's area `p` holds every other area, as a province holds its towns: the
    province unit's own areas then cover cases of units that only copy to it."""

    def subtree_areas(self, unit_id: str) -> set[str]:
        areas = super().subtree_areas(unit_id)
        return areas | {"t", "a", "a1", "b"} if "p" in areas else areas


def test_a_copy_recipient_whose_area_covers_the_case_still_only_reads_it():
    nested = NestedAreas()
    # The case was opened in a1, whose unit is branch-a1: town's line, copied to the province.
    assert may_act(TOWN_LEADER, nested, "a1", unit_id="branch-a1")
    assert not may_act(PROVINCE_LEADER, nested, "a1", unit_id="branch-a1")
    assert may_act(PROVINCE_LEADER, nested, "p", unit_id="province")


@pytest.mark.parametrize("account", [Account("admin"), Account("auditor"), CADRE,
                                     Account("leader")])
def test_only_leaders_with_a_unit_act_on_cases(account: Account):
    assert not may_act(account, NET, "t")


def test_an_admin_administers_their_units_subtree_or_without_a_unit_everything():
    assert administered_units(Account("admin"), NET) is None
    assert administered_units(Account("admin", unit_id="commune-a"), NET) == {
        "commune-a", "branch-a1"}


@pytest.mark.parametrize("account", [TOWN_LEADER, Account("auditor"),
                                     Account("admin", active=False)])
def test_anyone_but_an_active_admin_is_refused_administration(account: Account):
    with pytest.raises(Forbidden) as refused:
        administered_units(account, NET)
    assert refused.value.code == "not_an_admin" and refused.value.message_vi
