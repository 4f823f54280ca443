"""A cadre's report returned for correction and corrected: revisions, status, history."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import Conflict, InvalidInput
from domain.report import Report

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
FIRST = {"assessment": "stable", "summary": "Ổn định", "sections": {}, "counts": {"a": 1},
         "hot_spots": []}
SECOND = {"assessment": "attention", "summary": "Có vụ việc", "sections": {}, "counts": {"a": 2},
          "hot_spots": []}


def submitted() -> Report:
    return Report(account_id=uuid4(), idempotency_key="k1", body_hash="h1", kind="weekly",
                  period="2026-W48", area_id="kp-1", cadre_id="cb-1", unit_id="ch-1",
                  content=dict(FIRST), submitted_at=AT, device_time=None,
                  deadline=AT + timedelta(hours=4), on_time=True, case_ids=[])


def returned(report: Report, reason: str = "Thiếu số liệu") -> Report:
    report.return_for_correction(reason=reason, returned_by="acc-ld", returned_by_unit="ch-1",
                                 at=AT + timedelta(hours=1), idempotency_key="ld:r1")
    return report


def corrected(report: Report) -> Report:
    report.correct(idempotency_key="k2", body_hash="h2", content=dict(SECOND),
                   at=AT + timedelta(hours=2), case_ids=["VV-2026-000001"])
    return report


def test_a_submitted_report_is_revision_one_and_submitted():
    report = submitted()
    shown = report.as_dict()
    assert (shown["revision"], shown["status"]) == (1, "submitted")
    assert "return_reason" not in shown


def test_a_returned_report_stands_returned_with_its_reason_and_the_event_names_it_all():
    report = returned(submitted())
    shown = report.as_dict()
    assert (shown["status"], shown["revision"], shown["return_reason"]) == (
        "returned", 1, "Thiếu số liệu")
    event = report.collect_events()[-1]
    assert type(event).__name__ == "Returned"
    assert (event.kind, event.period, event.area_id, event.cadre_id, event.unit_id,
            event.revision, event.returned_by, event.returned_by_unit) == (
        "weekly", "2026-W48", "kp-1", "cb-1", "ch-1", 1, "acc-ld", "ch-1")


def test_a_return_needs_a_reason():
    with pytest.raises(InvalidInput) as info:
        returned(submitted(), reason="  ")
    assert info.value.field == "reason"


def test_a_returned_report_cannot_be_returned_again_until_corrected():
    report = returned(submitted())
    with pytest.raises(Conflict) as info:
        returned(report, reason="Lý do khác")
    assert info.value.code == "not_returnable"


def test_a_correction_is_the_next_revision_of_the_same_report_timed_by_the_first():
    report = corrected(returned(submitted()))
    shown = report.as_dict()
    assert (shown["revision"], shown["status"], shown["assessment"]) == (2, "corrected",
                                                                         "attention")
    assert shown["counts"] == {"a": 2} and shown["case_ids"] == ["VV-2026-000001"]
    assert shown["submitted_at"] == AT.isoformat() and shown["on_time"] is True
    assert "return_reason" not in shown
    event = report.collect_events()[-1]
    assert type(event).__name__ == "Corrected"
    assert (event.revision, event.first_submitted_at, event.idempotency_key) == (2, AT, "k2")


def test_only_a_returned_report_can_be_corrected():
    with pytest.raises(Conflict) as info:
        corrected(submitted())
    assert info.value.code == "not_returned"


def test_history_keeps_every_revision_who_when_why():
    report = submitted()
    corrected(returned(report))
    returned(report, reason="Vẫn thiếu")
    history = report.history()
    assert [(h["action"], h["revision"]) for h in history] == [
        ("submitted", 1), ("returned", 1), ("corrected", 2), ("returned", 2)]
    assert history[3]["reason"] == "Vẫn thiếu" and history[1]["by"] == "acc-ld"
    assert report.revision_content(1)["summary"] == "Ổn định"
    assert report.revision_content(2)["summary"] == "Có vụ việc"


def test_the_aggregate_rebuilt_from_its_events_is_the_same():
    report = submitted()
    corrected(returned(report))
    events = report.collect_events()
    rebuilt = None
    for e in events:
        rebuilt = e.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.as_dict() == report.as_dict()
