"""Who may read a rollup: a leader their subtree and what is copied to them, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.access import may_read_rollup
from services.aggregator.synthetic import EnvelopeWriter
from services.common.network_view import NetworkView
from services.common.plan_file import load_plan

DEMO = Path(__file__).resolve().parents[2] / "plans" / "demo-thuan-thanh.toml"


@pytest.fixture(scope="module")
def view() -> NetworkView:
    view = NetworkView()
    writer = EnvelopeWriter()
    for envelope in writer.plan(load_plan(DEMO)):
        view.apply(envelope.type, envelope.aggregate_id, envelope.data)
    view.apply("NetworkUnitRetired", "-", {"unit_id": "ch-ho-a-lu"})
    return view


@pytest.mark.parametrize(("unit_id", "allowed"), [
    ("ccb-thi-xa", True),        # their own unit
    ("ccb-ho", True),            # a commune below it
    ("ch-ho-dong-coi", True),    # a branch below that
    ("bdv-thi-uy", False),       # the unit it reports to
    ("ccb-tinh", False),         # a recipient of its copies, not below it
])
def test_a_leader_reads_their_own_subtree_only(view: NetworkView, unit_id: str, allowed: bool):
    assert may_read_rollup(view, "leader", "ccb-thi-xa", unit_id) is allowed


def test_a_leader_cannot_read_a_sibling(view: NetworkView):
    assert not may_read_rollup(view, "leader", "ccb-ho", "ccb-song-ho")
    assert not may_read_rollup(view, "leader", "ch-ho-dong-coi", "ch-ho-dang-xa")


def test_a_copy_recipient_reads_what_is_copied_to_it(view: NetworkView):
    # ccb-thi-xa sends its reports to Hội CCB tỉnh at the same time (copies_to).
    assert may_read_rollup(view, "leader", "ccb-tinh", "ccb-thi-xa")
    assert may_read_rollup(view, "leader", "ccb-tinh", "ccb-ho")
    assert not may_read_rollup(view, "leader", "ccb-tinh", "bdv-thi-uy")


def test_network_wide_roles_read_everything_and_cadres_nothing(view: NetworkView):
    assert may_read_rollup(view, "admin", None, "ccb-ho")
    assert may_read_rollup(view, "auditor", None, "bdv-tinh-uy")
    assert may_read_rollup(view, "auditor", "ccb-ho", "ch-ho-dong-coi")
    assert not may_read_rollup(view, "auditor", "ccb-ho", "ccb-song-ho")
    assert not may_read_rollup(view, "cadre", "ch-ho-dong-coi", "ch-ho-dong-coi")
    assert not may_read_rollup(view, "leader", None, "ccb-ho")


def test_unknown_and_retired_units_are_read_by_no_one(view: NetworkView):
    assert not may_read_rollup(view, "admin", None, "ccb-nowhere")
    assert not may_read_rollup(view, "admin", None, "ch-ho-a-lu")
