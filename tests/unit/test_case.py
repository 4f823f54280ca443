"""The case lifecycle: statuses, transitions, reasons, worst severity."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.case import Case, parse_tracking_number, tracking_number
from domain.errors import Conflict, InvalidInput

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def opened() -> Case:
    return Case(tracking_number="VV-2026-000001", area_id="kp-1", unit_id="ch-1",
                category="land", severity="medium", title="Tranh chấp đất", description="",
                report_id=uuid4(), hot_spot_index=0, at=AT, by="cb.1")


def test_a_case_opens_received_with_a_deadline():
    case = opened()
    assert case.status == "received"
    assert case.status_deadline == AT + timedelta(days=2)


def test_status_change_needs_a_reason():
    with pytest.raises(InvalidInput) as info:
        opened().change_status("verifying", "  ", AT, "ld.1")
    assert info.value.field == "reason"


def test_status_goes_through_the_lifecycle():
    case = opened()
    for status in ("verifying", "handling", "resolved"):
        case.change_status(status, f"chuyển sang {status}", AT, "ld.1")
    assert case.status == "resolved" and case.status_deadline is None


def test_impossible_transition_is_refused_with_both_languages():
    case = opened()
    case.change_status("resolved", "đã xong", AT, "ld.1")
    with pytest.raises(Conflict) as info:
        case.change_status("verifying", "xem lại", AT, "ld.1")
    assert info.value.code == "invalid_transition" and "đã giải quyết" in info.value.message_vi


def test_a_resolved_case_can_be_reopened():
    case = opened()
    case.change_status("resolved", "đã xong", AT, "ld.1")
    case.change_status("handling", "phát sinh lại", AT, "ld.1")
    assert case.status == "handling"


def test_joining_report_raises_severity_to_the_worst():
    case = opened()
    case.link_report(report_id=uuid4(), hot_spot_index=0, severity="urgent", at=AT, by="cb.2")
    case.link_report(report_id=uuid4(), hot_spot_index=0, severity="low", at=AT, by="cb.3")
    assert case.severity == "urgent" and len(case.reports) == 3


def test_tracking_numbers_round_trip():
    number = tracking_number(2026, 123)
    assert number == "VV-2026-000123"
    assert parse_tracking_number(number) == (2026, 123)
    assert parse_tracking_number("VV-26-1") is None
