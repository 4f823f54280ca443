"""The notifier and the units' own reports: receipts, returns, the ladder, who is told."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.alert import HOT_SPOT, OVERDUE, REMINDER, RETURNED, UNIT_REPORT
from domain.clock import FixedClock
from domain.obligation_engine import Status
from services.notifier.deadlines import KINDS
from services.notifier.service import NotifierService
from tests.unit.test_notifier_service import (
    VN,
    WEDNESDAY,
    drain,
    everyone_reported,
    notifier,
    report,
    sent_to,
    uid,
)

THURSDAY_0830 = datetime(2026, 11, 26, 8, 30, tzinfo=VN)
THURSDAY_1330 = datetime(2026, 11, 26, 13, 30, tzinfo=VN)
TOWN_RECIPIENTS = ["bdv-thi-uy", "btv-thi-uy", "bdv-tinh-uy", "ccb-tinh"]


def unit_event(type_: str, unit_id: str, at: datetime, *, kind: str = "weekly",
               period: str = "2026-W48", revision: int = 1, report_id: str = "ur-1",
               **fields: Any) -> dict[str, Any]:
    """A UnitReport* envelope as the relay publishes it (the agreed event spec)."""
    data: dict[str, Any] = {"unit_id": unit_id, "kind": kind, "period": period,
                            "revision": revision}
    stamp = at.isoformat()
    if type_ in ("UnitReportSent", "UnitReportResent"):
        data.update({"number": "12/BC-CCB", "recipients": TOWN_RECIPIENTS,
                     "sent_by": uid("ld.ccb.thixa"), "sent_at": stamp,
                     "deadline": THURSDAY_1330.isoformat(), "on_time": True})
        if type_ == "UnitReportResent":
            data["first_sent_at"] = fields.pop("first_sent_at", stamp)
    elif type_ == "UnitReportReturned":
        data.update({"by_unit": "bdv-thi-uy", "by_account": uid("ld.bdv.thiuy"),
                     "reason": "Thiếu số liệu", "returned_at": stamp})
    elif type_ == "UnitReportReceived":
        data.update({"by_unit": "bdv-thi-uy", "by_account": uid("ld.bdv.thiuy"),
                     "received_at": stamp})
    data.update(fields)
    return {"type": type_, "event_id": f"{report_id}-{type_}-{revision}",
            "aggregate_id": report_id, "data": data}


def cadre_event(type_: str, report_id: str, at: datetime, *, revision: int = 1,
                **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": "weekly", "period": "2026-W48", "area_id": "ho-dong-coi",
                            "cadre_id": "cb-ho-dong-coi", "unit_id": "ch-ho-dong-coi",
                            "revision": revision}
    if type_ == "ReportReturned":
        data.update({"reason": "Ghi rõ số người", "returned_by": uid("ld.ccb.ho"),
                     "returned_by_unit": "ccb-ho", "returned_at": at.isoformat()})
    else:
        data.update({"idempotency_key": "k2", "body_hash": "h", "case_ids": [],
                     "content": {"assessment": "stable", "summary": "Ổn định",
                                 "hot_spots": []},
                     "corrected_at": at.isoformat(),
                     "first_submitted_at": fields.pop("first_submitted_at", at.isoformat())})
    data.update(fields)
    return {"type": type_, "event_id": f"{report_id}-{type_}-{revision}",
            "aggregate_id": report_id, "data": data}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WEDNESDAY)


@pytest.fixture
def quiet(clock: FixedClock) -> NotifierService:
    """The demo with last weeks' reports in, the units' own included: nothing is due."""
    service = notifier(clock)
    for period, day in (("2026-W46", 12), ("2026-W47", 19)):
        everyone_reported(service, period, datetime(2026, 11, day, 10, 0, tzinfo=VN))
    service.sweep()
    drain(service)
    return service


def town_rows(service: NotifierService, at: datetime) -> list[dict[str, Any]]:
    return [r for r in service.overdue(at)
            if r["unit_id"] == "ccb-thi-xa" and r["cadre_id"] is None
            and r["period"] == "2026-W48"]


# -- receipts ----------------------------------------------------------------------------

def test_a_unit_report_sent_makes_the_units_obligation_received(quiet: NotifierService):
    # Given the town's summary overdue at 14:00
    assert town_rows(quiet, datetime(2026, 11, 26, 14, 0, tzinfo=VN))
    # When it is sent at 15:00
    quiet.apply(unit_event("UnitReportSent", "ccb-thi-xa", datetime(2026, 11, 26, 15, 0,
                                                                    tzinfo=VN)))
    # Then it is no longer overdue from then on, and was overdue before it
    assert town_rows(quiet, datetime(2026, 11, 26, 16, 0, tzinfo=VN)) == []
    assert town_rows(quiet, datetime(2026, 11, 26, 14, 30, tzinfo=VN))


def test_a_returned_unit_report_stands_returned_until_resent_and_is_never_overdue(
        quiet: NotifierService, clock: FixedClock):
    sent = datetime(2026, 11, 26, 11, 0, tzinfo=VN)
    quiet.apply(unit_event("UnitReportSent", "ccb-thi-xa", sent))
    quiet.apply(unit_event("UnitReportReturned", "ccb-thi-xa", sent + timedelta(hours=1)))
    later = datetime(2026, 11, 27, 10, 0, tzinfo=VN)
    assert town_rows(quiet, later) == []
    assert quiet.unit_status("weekly", "2026-W48", "ccb-thi-xa", later) == Status.RETURNED
    quiet.apply(unit_event("UnitReportResent", "ccb-thi-xa", later, revision=2,
                           first_sent_at=sent.isoformat()))
    # Judged by the first sending: on time
    assert quiet.unit_status("weekly", "2026-W48", "ccb-thi-xa", later) == Status.RECEIVED


def test_a_returned_cadre_report_stands_returned_until_corrected(quiet: NotifierService):
    at = datetime(2026, 11, 26, 10, 0, tzinfo=VN)
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", at, report_id=None))
    quiet.apply(cadre_event("ReportReturned", "r-1", at + timedelta(hours=1)))
    later = datetime(2026, 11, 27, 10, 0, tzinfo=VN)
    assert quiet.cadre_status("weekly", "2026-W48", "cb-ho-dong-coi", "ho-dong-coi",
                              later) == Status.RETURNED
    assert not [r for r in quiet.overdue(later) if r["cadre_id"] == "cb-ho-dong-coi"
                and r["period"] == "2026-W48"]
    quiet.apply(cadre_event("ReportCorrected", "r-1", later, revision=2,
                            first_submitted_at=at.isoformat()))
    assert quiet.cadre_status("weekly", "2026-W48", "cb-ho-dong-coi", "ho-dong-coi",
                              later) == Status.RECEIVED


def test_unknown_event_types_change_nothing(quiet: NotifierService):
    before = (len(quiet.book.alerts), len(quiet.book.pending))
    assert quiet.apply({"type": "SomethingNew", "aggregate_id": "x", "data": {"a": 1}}) == 0
    assert quiet.apply(unit_event("UnitReportReceived", "ccb-thi-xa", WEDNESDAY)) == 0
    assert (len(quiet.book.alerts), len(quiet.book.pending)) == before


# -- the ladder for units ------------------------------------------------------------------

def test_a_units_reminder_goes_to_its_leaders_five_hours_before_13_30(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_0830 - timedelta(seconds=1))
    quiet.sweep()
    assert "ld.ccb.thixa" not in sent_to(quiet)
    clock.set(THURSDAY_0830)
    quiet.sweep()
    [alert] = [a for a in quiet.book.alerts.values()
               if a.kind == REMINDER and a.unit_id == "ccb-thi-xa"]
    assert alert.recipients == [uid("ld.ccb.thixa")] and alert.area_id is None
    assert sent_to(quiet)["ld.ccb.thixa"] == 1


def test_a_units_overdue_tells_its_leaders_then_climbs_to_the_parent(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1330)
    quiet.sweep()
    [alert] = [a for a in quiet.book.alerts.values()
               if a.kind == OVERDUE and a.unit_id == "ccb-thi-xa"]
    assert alert.recipients == [uid("ld.ccb.thixa")]
    assert alert.chain == ["ccb-thi-xa", "bdv-thi-uy", "bdv-tinh-uy"]
    drain(quiet)
    clock.set(THURSDAY_1330 + timedelta(hours=24))
    quiet.sweep()
    assert alert.level_unit_id == "bdv-thi-uy"
    assert sent_to(quiet)["ld.bdv.thiuy"] == 1
    # The report arriving stops the ladder.
    quiet.apply(unit_event("UnitReportSent", "ccb-thi-xa", clock.now()))
    assert alert.status == "resolved"
    clock.set(THURSDAY_1330 + timedelta(hours=72))
    drain(quiet)
    quiet.sweep()
    assert alert.level_unit_id == "bdv-thi-uy"


def test_a_unit_that_sent_on_time_is_never_alerted(quiet: NotifierService, clock: FixedClock):
    quiet.apply(unit_event("UnitReportSent", "ccb-thi-xa", THURSDAY_1330 - timedelta(minutes=1)))
    clock.set(THURSDAY_1330 + timedelta(hours=1))
    quiet.sweep()
    assert not [a for a in quiet.book.alerts.values()
                if a.kind == OVERDUE and a.unit_id == "ccb-thi-xa"]


def test_no_unit_alert_asks_for_a_report_the_plan_does_not_make_it_owe(clock: FixedClock):
    # Given every kind swept and nobody has reported for weeks
    service = notifier(clock, kinds=KINDS)
    clock.set(datetime(2026, 12, 16, 10, 0, tzinfo=VN))
    service.sweep()
    units = {a.unit_id for a in service.book.alerts.values()
             if a.kind in (OVERDUE, REMINDER) and a.area_id is None}
    engine = service.view.engine()
    # Then only units that owe something and have someone to send to are asked
    assert units and all(engine.kinds_for_unit(u) for u in units)
    assert "bdv-tinh-uy" not in units and "btv-thi-uy" not in units
    assert {a.report_kind for a in service.book.alerts.values()
            if a.area_id is None and a.kind == OVERDUE} >= {"weekly", "monthly"}


# -- alerts for unit reports and returns ------------------------------------------------

def test_a_sent_unit_report_tells_the_leaders_of_every_recipient_once(
        quiet: NotifierService):
    sent = unit_event("UnitReportSent", "ccb-thi-xa", WEDNESDAY)
    quiet.apply(sent)
    quiet.apply(sent)
    quiet.apply(sent, remember=False)
    [alert] = [a for a in quiet.book.alerts.values()
               if a.kind == UNIT_REPORT and a.period == "2026-W48"]
    assert set(alert.recipients) == {uid("ld.bdv.thiuy"), uid("ld.btv.thiuy"),
                                     uid("ld.bdv.tinhuy"), uid("ld.ccb.tinh")}
    [seen] = quiet.alerts_for(uid("ld.ccb.tinh"), filters={"period": "2026-W48"})["alerts"]
    assert seen["message_vi"].startswith("Báo cáo mới: Hội Cựu chiến binh thị xã Thuận Thành")
    assert "12/BC-CCB" in seen["message_vi"] and "2026-W48" in seen["message_vi"]
    assert sent_to(quiet) == Counter({"ld.bdv.thiuy": 1, "ld.btv.thiuy": 1, "ld.bdv.tinhuy": 1,
                                      "ld.ccb.tinh": 1})
    assert quiet.alerts_for(uid("ld.ccb.songho"), filters={"period": "2026-W48"})["total"] == 0


def test_a_returned_unit_report_tells_the_drafting_units_leaders_why(quiet: NotifierService):
    sent = WEDNESDAY
    quiet.apply(unit_event("UnitReportSent", "ccb-thi-xa", sent))
    drain(quiet)
    quiet.apply(unit_event("UnitReportReturned", "ccb-thi-xa", sent + timedelta(hours=1)))
    [alert] = [a for a in quiet.book.alerts.values() if a.kind == RETURNED]
    assert alert.recipients == [uid("ld.ccb.thixa")]
    [seen] = quiet.alerts_for(uid("ld.ccb.thixa"), filters={"type": "returned"})["alerts"]
    assert "Thiếu số liệu" in seen["message_vi"] and seen["reason"] == "Thiếu số liệu"
    # Sending it again closes the return and tells the recipients anew.
    quiet.apply(unit_event("UnitReportResent", "ccb-thi-xa", sent + timedelta(hours=2),
                           revision=2, first_sent_at=sent.isoformat()))
    assert alert.status == "resolved"
    assert len([a for a in quiet.book.alerts.values()
                if a.kind == UNIT_REPORT and a.period == "2026-W48"]) == 2


def test_a_returned_cadre_report_tells_the_cadre_why(quiet: NotifierService):
    quiet.apply(cadre_event("ReportReturned", "r-1", WEDNESDAY))
    quiet.apply(cadre_event("ReportReturned", "r-1", WEDNESDAY))
    [alert] = [a for a in quiet.book.alerts.values() if a.kind == RETURNED]
    assert alert.recipients == [uid("cb.ho.dongcoi")]
    [seen] = quiet.alerts_for(uid("cb.ho.dongcoi"))["alerts"]
    assert "Ghi rõ số người" in seen["message_vi"]
    quiet.apply(cadre_event("ReportCorrected", "r-1", WEDNESDAY + timedelta(hours=1),
                            revision=2))
    assert alert.status == "resolved"


# -- urgent hot spots --------------------------------------------------------------------

def test_urgent_hot_spot_reaches_the_copy_recipients_of_the_line_at_once(
        quiet: NotifierService, clock: FixedClock):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent", period=None,
                       hot_spots=[{"category": "land", "severity": "urgent", "title": "X"}]))
    [alert] = [a for a in quiet.book.alerts.values() if a.kind == HOT_SPOT]
    assert set(alert.recipients) == {
        uid("ld.ch.ho.dongcoi"), uid("ld.ccb.ho"), uid("ld.ccb.thixa"), uid("ld.bdv.thiuy"),
        uid("ld.btv.thiuy"), uid("ld.bdv.tinhuy"), uid("ld.ccb.tinh"), uid("ld.btv.tinhuy")}
    assert quiet.alerts_for(uid("ld.ccb.songho"))["alerts"] == []


def test_an_unacknowledged_overdue_climbs_one_level_at_a_time_up_to_the_province(
        quiet: NotifierService, clock: FixedClock):
    deadline = datetime(2026, 11, 26, 14, 0, tzinfo=VN)
    clock.set(deadline)
    quiet.sweep()
    alert = next(a for a in quiet.book.alerts.values()
                 if a.kind == OVERDUE and a.area_id == "ho-dong-coi")
    rungs = []
    for days in (1, 2, 3, 4, 5):
        clock.set(deadline + timedelta(days=days))
        quiet.sweep()
        rungs.append(alert.level_unit_id)
    assert rungs == ["ccb-ho", "ccb-thi-xa", "bdv-thi-uy", "bdv-tinh-uy", "bdv-tinh-uy"]
    assert uid("ld.bdv.tinhuy") in alert.recipients


def test_an_unacknowledged_high_hot_spot_climbs_one_level_per_wait_up_to_the_province(
        quiet: NotifierService, clock: FixedClock):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent", period=None,
                       hot_spots=[{"category": "land", "severity": "high", "title": "X"}]))
    [alert] = [a for a in quiet.book.alerts.values() if a.kind == HOT_SPOT]
    rungs = [alert.level_unit_id]
    start = clock.now()
    for days in (1, 2, 3, 4):
        clock.set(start + timedelta(days=days))
        quiet.sweep()
        rungs.append(alert.level_unit_id)
    assert rungs == ["ccb-ho", "ccb-thi-xa", "bdv-thi-uy", "bdv-tinh-uy", "bdv-tinh-uy"]


# -- alerts people can act on ------------------------------------------------------------

@pytest.fixture
def busy(quiet: NotifierService, clock: FixedClock) -> NotifierService:
    """W48's deadlines passed with nothing in, and two urgent hot spots in Hồ."""
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    quiet.sweep()
    for n in range(2):
        quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent",
                           period=None, hot_spots=[{"category": "land", "severity": "urgent",
                                                    "title": f"Vụ {n}"}]))
    return quiet


def test_alerts_filter_by_type_kind_period_and_unit(busy: NotifierService):
    town = uid("ld.ccb.thixa")
    overdue = busy.alerts_for(town, filters={"type": "overdue"})["alerts"]
    assert overdue and {a["kind"] for a in overdue} == {"overdue"}
    spots = busy.alerts_for(town, filters={"type": "hot_spot", "unit_id": "ch-ho-dong-coi"})
    assert spots["total"] == 2
    assert busy.alerts_for(town, filters={"type": "overdue", "period": "2026-W47"})["total"] == 0
    weekly = busy.alerts_for(town, filters={"kind": "weekly"})["alerts"]
    assert {a["report_kind"] for a in weekly} == {"weekly"} and len(weekly) == len(overdue)


def test_a_filter_naming_an_unknown_type_is_refused(busy: NotifierService):
    from domain.errors import InvalidInput
    with pytest.raises(InvalidInput) as err:
        busy.alerts_for(uid("ld.ccb.thixa"), filters={"type": "nonsense"})
    assert err.value.field == "type"


def test_groups_count_the_callers_alerts_by_type_kind_period_and_unit(busy: NotifierService):
    groups = busy.alert_groups(uid("ld.ccb.ho"))["groups"]
    spots = next(g for g in groups if g["type"] == "hot_spot")
    assert (spots["count"], spots["open"], spots["unit_id"]) == (2, 2, "ch-ho-dong-coi")
    assert spots["title_vi"]
    assert sum(g["count"] for g in groups) == busy.alerts_for(uid("ld.ccb.ho"))["total"]
    newest = [g["newest_at"] for g in groups]
    assert newest == sorted(newest, reverse=True)
    # A sibling commune's leader sees none of Hồ's groups.
    assert not [g for g in busy.alert_groups(uid("ld.ccb.songho"))["groups"]
                if g["unit_id"] == "ch-ho-dong-coi"]


def test_a_group_is_acknowledged_at_once_and_a_repeat_records_nothing(busy: NotifierService):
    leader = uid("ld.ccb.ho")
    spots = next(g for g in busy.alert_groups(leader)["groups"] if g["type"] == "hot_spot")
    first = busy.acknowledge_many(leader, "ack-1", {"group": spots["key"]})
    assert first["acknowledged"] == 2
    versions = {a.id: a.version for a in busy.book.alerts.values()}
    again = busy.acknowledge_many(leader, "ack-1", {"group": spots["key"]})
    assert again == first
    assert {a.id: a.version for a in busy.book.alerts.values()} == versions
    assert busy.alerts_for(leader, filters={"type": "hot_spot"})["total"] == 0
    # The others see who acknowledged them, as with one alert at a time.
    town = busy.alerts_for(uid("ld.ccb.thixa"), "acknowledged", filters={"type": "hot_spot"})
    assert town["total"] == 2
    assert {tuple(a["acknowledged_by"]) for a in town["alerts"]} == {(leader,)}


def test_the_same_key_with_another_selection_is_a_conflict(busy: NotifierService):
    from domain.errors import Conflict
    leader = uid("ld.ccb.ho")
    busy.acknowledge_many(leader, "ack-1", {"type": "hot_spot"})
    with pytest.raises(Conflict) as err:
        busy.acknowledge_many(leader, "ack-1", {"type": "overdue"})
    assert err.value.code == "idempotency_conflict"


def test_acknowledging_a_group_needs_a_key_and_a_selection(busy: NotifierService):
    from domain.errors import InvalidInput
    leader = uid("ld.ccb.ho")
    with pytest.raises(InvalidInput):
        busy.acknowledge_many(leader, None, {"type": "hot_spot"})
    with pytest.raises(InvalidInput):
        busy.acknowledge_many(leader, "k", {"colour": "red"})
