"""The network's records: built from the JSON a Network event carries, typed, refused if bad."""

from __future__ import annotations

from typing import Any

import pytest

from domain.network_records import Area, Cadre, Level, Unit


def test_a_full_unit_payload_becomes_a_unit_with_every_field():
    # given the unit record `tinhhinh network load` puts in NetworkUnitDefined
    record = {"id": "ccb-ho", "name": "Hội CCB xã Hồ", "kind": "association",
              "parent": "ccb-thi-xa", "copies_to": ["bdv-xa-ho"], "area_ids": ["xa-ho"],
              "place": "Hồ", "code": "CCB", "superior": "Hội CCB thị xã"}
    # when it is read
    unit = Unit.from_record(record)
    # then every field is there, lists as tuples
    assert unit == Unit(id="ccb-ho", name="Hội CCB xã Hồ", kind="association",
                        parent="ccb-thi-xa", copies_to=("bdv-xa-ho",), area_ids=("xa-ho",),
                        place="Hồ", code="CCB", superior="Hội CCB thị xã", retired=False)


def test_a_unit_payload_without_the_optional_fields_reads_as_readers_assumed():
    unit = Unit.from_record({"id": "ch-a", "name": "Chi hội A"})
    assert (unit.kind, unit.parent, unit.copies_to, unit.area_ids) == (None, None, (), ())
    assert (unit.place, unit.code, unit.superior, unit.retired) == ("", "", "", False)


def test_level_area_and_cadre_payloads_become_records():
    assert Level.from_record({"id": "xa", "name": "Xã", "rank": 2}) == Level("xa", "Xã", 2)
    assert Area.from_record({"id": "xa-ho", "name": "Xã Hồ", "level": "xa",
                             "parent": "thi-xa"}) == Area("xa-ho", "Xã Hồ", "xa", "thi-xa")
    assert Area.from_record({"id": "vn", "name": "Việt Nam", "level": "tw",
                             "parent": None}).parent is None
    assert Cadre.from_record({"id": "cb-1", "name": "Nguyễn Văn A",
                              "unit": "ch-a"}) == Cadre("cb-1", "Nguyễn Văn A", "ch-a")


@pytest.mark.parametrize(("kind", "record", "field"), [
    (Area, {"name": "x"}, "'id'"),
    (Area, {"id": "", "name": "x"}, "'id'"),
    (Area, {"id": "a"}, "'name'"),
    (Area, {"id": "a", "name": "x", "parent": 7}, "'parent'"),
    (Unit, {"id": "u", "name": "x", "area_ids": "xa-ho"}, "'area_ids'"),
    (Unit, {"id": "u", "name": "x", "copies_to": [1]}, "'copies_to'"),
    (Unit, {"id": "u", "name": "x", "kind": 3}, "'kind'"),
    (Level, {"id": "l", "name": "x", "rank": "2"}, "'rank'"),
    (Level, {"id": "l", "name": "x", "rank": True}, "'rank'"),
    (Cadre, {"id": "c", "name": "x"}, "'unit'"),
])
def test_a_record_missing_a_field_or_of_the_wrong_type_is_refused_naming_the_field(
        kind: Any, record: dict[str, Any], field: str):
    with pytest.raises(ValueError, match=field):
        kind.from_record(record)


def test_retiring_a_record_keeps_it_marked_and_leaves_the_original_as_it_was():
    area = Area("xa-ho", "Xã Hồ", "xa", "thi-xa")
    retired = area.retire()
    assert retired == Area("xa-ho", "Xã Hồ", "xa", "thi-xa", retired=True)
    assert area.retired is False
