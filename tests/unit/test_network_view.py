"""The network view: typed records from Network events, whichever way the events arrive."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from domain.ids import NETWORK_ID, account_id
from domain.network_records import AccountRecord, Area, AssignmentRecord, Cadre, Level, Unit
from services.common.network_view import NetworkView


def network() -> NetworkView:
    view = NetworkView()
    view.apply("NetworkCreated", NETWORK_ID, {"name": "Thuận Thành"})
    view.apply("NetworkLevelDefined", NETWORK_ID, {"level": {"id": "xa", "name": "Xã", "rank": 1}})
    for area, parent in (("thi-xa", None), ("xa-ho", "thi-xa")):
        view.apply("NetworkAreaDefined", NETWORK_ID, {"area": {
            "id": area, "name": area.upper(), "level": "xa", "parent": parent}})
    view.apply("NetworkUnitDefined", NETWORK_ID, {"unit": {
        "id": "ccb-ho", "name": "Hội CCB xã Hồ", "kind": "association", "parent": None,
        "copies_to": [], "area_ids": ["xa-ho"], "place": "Hồ", "code": "CCB", "superior": ""}})
    view.apply("NetworkCadreDefined", NETWORK_ID,
               {"cadre": {"id": "cb-1", "name": "Nguyễn Văn A", "unit": "ccb-ho"}})
    return view


def test_network_events_become_typed_records():
    # given the events of a small network, as the store or JetStream hands them over
    view = network()
    # then each record is read by attribute, not by key
    assert view.levels["xa"] == Level("xa", "Xã", 1)
    assert view.areas["xa-ho"] == Area("xa-ho", "XA-HO", "xa", "thi-xa")
    assert view.units["ccb-ho"].area_ids == ("xa-ho",)
    assert view.units["ccb-ho"].place == "Hồ"
    assert view.cadres["cb-1"] == Cadre("cb-1", "Nguyễn Văn A", "ccb-ho")


def test_a_retired_record_stays_marked_and_a_redefined_one_is_live_again():
    view = network()
    # when the unit is retired
    view.apply("NetworkUnitRetired", NETWORK_ID, {"unit_id": "ccb-ho"})
    # then it is kept, marked, and no longer live
    assert view.units["ccb-ho"].retired
    assert view.live_units() == []
    # when the plan defines it again
    view.apply("NetworkUnitDefined", NETWORK_ID, {"unit": {"id": "ccb-ho", "name": "Hội CCB"}})
    # then it is live again
    assert view.live_units() == [Unit("ccb-ho", "Hội CCB")]


def test_retiring_an_unknown_record_changes_nothing():
    view = network()
    view.apply("NetworkAreaRetired", uuid4(), {"area_id": "nowhere"})
    assert "nowhere" not in view.areas
    assert set(view.areas) == {"thi-xa", "xa-ho"}


def test_accounts_are_records_without_secrets_that_follow_their_events():
    view = network()
    leader = account_id("lanh-dao")
    # given an account opened with a password hash, then disabled
    view.apply("AccountOpened", leader, {"username": "lanh-dao", "name": "Trần B",
                                         "role": "leader", "unit_id": "ccb-ho",
                                         "cadre_id": None, "password_hash": "$argon2id$..."})
    view.apply("AccountDisabled", leader, {})
    # then the view holds the account, no hash, marked inactive
    assert view.accounts[leader] == AccountRecord(leader, "lanh-dao", "Trần B", "leader",
                                                  "ccb-ho", None, active=False)
    assert not hasattr(view.accounts[leader], "password_hash")


def test_an_assignment_is_a_record_whose_span_the_later_events_change():
    view = network()
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    assignment = uuid4()
    view.apply("AssignmentStarted", assignment, {"cadre_id": "cb-1", "area_id": "xa-ho",
                                                 "valid_from": start.isoformat(),
                                                 "valid_until": None})
    view.apply("AssignmentEnded", assignment, {"valid_until": end.isoformat()})
    assert view.assignments[assignment] == AssignmentRecord(assignment, "cb-1", "xa-ho",
                                                            start, end)
    assert view.assignments[assignment].covers(start)
    assert not view.assignments[assignment].covers(end)
