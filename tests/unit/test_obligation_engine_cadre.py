"""The engine asked about one cadre: an area's deadline, and what one cadre owes."""

from __future__ import annotations

from domain.obligation_engine import Owner
from domain.obligations import OwnerType
from tests.unit.test_obligations import SEED_002, engine, local, ob, p


def test_an_areas_cadre_deadline_is_the_one_its_governing_obligation_sets() -> None:
    # given: the branch of Đông Côi reports at 10:00, the rest of the ward at 12:00
    obligations = [
        ob(kind="weekly", owner="cadre", units=["ccb-ho"], due="thursday 12:00"),
        ob(kind="weekly", owner="cadre", units=["ch-dong-coi"], due="thursday 10:00"),
    ]

    # when
    found = engine(obligations)

    # then
    assert found.cadre_deadline("weekly", p("2026-W48"), "ho-dong-coi") == local(2026, 11, 26, 10)
    assert found.cadre_deadline("weekly", p("2026-W48"), "ho-a-lu") == local(2026, 11, 26, 12)
    # an area no obligation reaches owes nothing
    assert found.cadre_deadline("weekly", p("2026-W48"), "song-ho-dong-ho") is None


def test_a_cadre_owes_no_deadline_for_a_kind_only_units_owe_or_for_urgent_reports() -> None:
    # given seed 002: cadres owe weekly and urgent reports, units the periodic ones
    found = engine(SEED_002)

    # then
    assert found.cadre_deadline("weekly", p("2026-W48"), "ho-a-lu") == local(2026, 11, 26, 14)
    assert found.cadre_deadline("monthly", p("2026-11"), "ho-a-lu") is None
    assert found.cadre_deadline("urgent", p("2026-W48"), "ho-a-lu") is None
    # a period of another cadence is not this kind's
    assert found.cadre_deadline("weekly", p("2026-11"), "ho-a-lu") is None


def test_the_engine_for_one_cadre_owes_that_cadres_items_only() -> None:
    # when
    mine = engine(SEED_002).for_cadre("cb-dong-coi")

    # then: no other cadre's item, and no unit's
    items = mine.owed(p("2026-W48"), ["weekly"], OwnerType.CADRE)
    assert [(i.owner, i.area_id) for i in items] == [
        (Owner(OwnerType.CADRE, "cb-dong-coi"), "ho-dong-coi")]
