"""The unit report aggregate: its state machine, its content rules, its document numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.document_number import DocumentNumber, format_number, unit_code
from domain.errors import Conflict, InvalidInput
from domain.ids import document_number_id, unit_report_id
from domain.unit_report import UnitReport
from domain.unit_report_content import UNIT_SECTIONS, content_of, parse_reason, parse_unit_draft

AT = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
LEADER = str(uuid4())
PARENT_LEADER = str(uuid4())


def drafted(**content: object) -> UnitReport:
    body = {"assessment": "stable", "summary": "Tình hình ổn định.", "sections": {},
            "proposals": ""}
    body.update(content)
    return UnitReport(unit_id="ccb-thi-xa", kind="weekly", period="2026-W48", revision=1,
                      content=body, signer={"title": "CHỦ TỊCH", "name": "Nguyễn Văn A"},
                      prefill={}, drafted_by=LEADER, drafted_at=AT, idempotency_key="k1",
                      body_hash="h")


def sent(report: UnitReport, key: str = "send-1") -> UnitReport:
    report.send("12/BC-CCB", ["bdv-thi-uy", "btv-thi-uy"], LEADER, AT, AT + timedelta(hours=3),
                True, key, "")
    return report


def test_the_id_is_the_drafting_account_and_its_key():
    report = drafted()
    assert report.id == unit_report_id(__import__("uuid").UUID(LEADER), "k1")


def test_draft_send_return_revise_resend_keeps_every_revision_and_the_number():
    report = sent(drafted())
    report.return_for_correction("bdv-thi-uy", PARENT_LEADER, "Thiếu số liệu Đình Tổ",
                                 AT + timedelta(hours=1), "r1", "x")
    assert report.status == "returned" and report.return_reason == "Thiếu số liệu Đình Tổ"
    report.revise({"assessment": "attention", "summary": "Đã bổ sung.", "sections": {},
                   "proposals": ""}, report.signer, LEADER, AT + timedelta(hours=2), "v1", "y")
    report.resend(["bdv-thi-uy", "btv-thi-uy"], LEADER, AT + timedelta(hours=4), "s2", "")
    assert (report.status, report.revision, report.number) == ("sent", 2, "12/BC-CCB")
    assert report.first_sent_at == AT and report.sent_at == AT + timedelta(hours=4)
    assert [step["type"] for step in report.history()] == [
        "drafted", "sent", "returned", "revised", "resent"]
    returned = report.history()[2]
    assert (returned["by"], returned["by_unit"], returned["reason"], returned["revision"]) == (
        PARENT_LEADER, "bdv-thi-uy", "Thiếu số liệu Đình Tổ", 1)
    assert [r["content"]["summary"] for r in report.revisions] == [
        "Tình hình ổn định.", "Đã bổ sung."]
    events = [type(e).__qualname__ for e in report.collect_events()]
    assert events == ["UnitReport.Drafted", "UnitReport.Sent", "UnitReport.Returned",
                      "UnitReport.Revised", "UnitReport.Resent"]


def test_resent_event_carries_first_sent_at_and_keeps_timeliness():
    report = sent(drafted())
    report.return_for_correction("bdv-thi-uy", PARENT_LEADER, "Sai số liệu", AT, "r1", "")
    report.revise(dict(report.content), report.signer, LEADER, AT, "v1", "")
    report.resend(["bdv-thi-uy"], LEADER, AT + timedelta(days=2), "s2", "")
    resent = report.collect_events()[-1]
    assert resent.first_sent_at == AT and resent.on_time is True
    assert resent.deadline == AT + timedelta(hours=3)


@pytest.mark.parametrize("action, code", [
    (lambda r: sent(r, "again"), "not_a_draft"),
    (lambda r: r.resend(["p"], LEADER, AT, "s", ""), "not_returned"),
])
def test_a_sent_report_cannot_be_sent_or_resent(action, code):
    report = sent(drafted())
    with pytest.raises(Conflict) as refused:
        action(report)
    assert refused.value.code == code


def test_a_sent_report_cannot_be_revised_and_a_draft_cannot_be_returned():
    report = drafted()
    with pytest.raises(Conflict) as refused:
        report.return_for_correction("p", PARENT_LEADER, "Lý do", AT, "r", "")
    assert refused.value.code == "not_sent"
    sent(report)
    with pytest.raises(Conflict) as refused:
        report.revise(report.content, report.signer, LEADER, AT, "v", "")
    assert refused.value.code == "not_editable"


def test_a_returned_report_is_not_sent_again_without_a_correction():
    report = sent(drafted())
    report.return_for_correction("p", PARENT_LEADER, "Lý do", AT, "r", "")
    with pytest.raises(Conflict) as refused:
        report.resend(["p"], LEADER, AT, "s", "")
    assert refused.value.code == "not_revised"


def test_returning_again_for_the_same_reason_records_nothing_and_another_is_refused():
    report = sent(drafted())
    assert report.return_for_correction("p", PARENT_LEADER, "Lý do", AT, "r", "")
    before = len(report.pending_events)
    assert report.return_for_correction("p", PARENT_LEADER, "Lý do", AT, "r2", "") is False
    assert len(report.pending_events) == before
    with pytest.raises(Conflict):
        report.return_for_correction("p", PARENT_LEADER, "Lý do khác", AT, "r3", "")


def test_a_recipient_receives_once_and_a_resent_revision_afresh():
    report = sent(drafted())
    assert report.receive("bdv-thi-uy", PARENT_LEADER, AT, "a", "")
    assert report.receive("bdv-thi-uy", PARENT_LEADER, AT, "b", "") is False
    assert report.received_by == {"bdv-thi-uy": AT.isoformat()}
    report.return_for_correction("bdv-thi-uy", PARENT_LEADER, "Lý do", AT, "r", "")
    with pytest.raises(Conflict):
        report.receive("btv-thi-uy", PARENT_LEADER, AT, "c", "")
    report.revise(report.content, report.signer, LEADER, AT, "v", "")
    report.resend(["bdv-thi-uy"], LEADER, AT, "s", "")
    assert report.received_by == {}


# -- content -------------------------------------------------------------------------------

def test_a_draft_is_checked_and_normalised():
    draft = parse_unit_draft({"kind": "weekly", "period": "2026-W48", "assessment": "stable",
                              "summary": "  Tình hình ổn định ",
                              "sections": {"forecast": "Dự báo ổn định",
                                           "unit_activities": "Đã họp giao ban"},
                              "proposals": "Đề nghị hỗ trợ",
                              "signer": {"title": "CHỦ TỊCH", "name": "Nguyễn Văn A"}})
    assert draft.summary == "Tình hình ổn định"
    assert set(UNIT_SECTIONS) >= {"forecast", "unit_activities", "socio_economic"}
    assert "proposals" not in UNIT_SECTIONS
    decomposed = "Ho\u0302̀"  # "Hồ" decomposed (NFD)
    assert parse_unit_draft({"kind": "weekly", "period": "2026-W48", "assessment": "stable",
                             "summary": decomposed}).summary == "Hồ"


@pytest.mark.parametrize("body, field, code", [
    ({"period": "2026-W48", "assessment": "stable", "summary": "x"}, "kind", "missing_field"),
    ({"kind": "weekly", "assessment": "stable", "summary": "x"}, "period", "missing_field"),
    ({"kind": "weekly", "period": "2026-11", "assessment": "stable", "summary": "x"}, "period",
     None),
    ({"kind": "weekly", "period": "2026-W48", "summary": "x"}, "assessment", "missing_field"),
    ({"kind": "weekly", "period": "2026-W48", "assessment": "fine", "summary": "x"},
     "assessment", "invalid_field"),
    ({"kind": "weekly", "period": "2026-W48", "assessment": "stable", "summary": "x" * 8001},
     "summary", "too_long"),
    ({"kind": "weekly", "period": "2026-W48", "assessment": "stable", "summary": "x",
      "sections": {"gossip": "x"}}, "sections.gossip", "unknown_field"),
    ({"kind": "weekly", "period": "2026-W48", "assessment": "stable", "summary": "x",
      "signer": {"title": "CHỦ TỊCH"}}, "signer.name", "invalid_field"),
    ({"kind": "weekly", "period": "2026-W48", "assessment": "stable", "summary": "x",
      "colour": "red"}, "colour", "unknown_field"),
])
def test_a_bad_draft_is_refused_naming_the_field_in_both_languages(body, field, code):
    with pytest.raises(InvalidInput) as refused:
        parse_unit_draft(body)
    assert refused.value.field == field
    assert refused.value.message and refused.value.message_vi
    if code is not None:
        assert refused.value.code == code


def test_a_summary_left_out_comes_from_the_base_and_none_at_all_is_refused():
    draft = parse_unit_draft({"kind": "weekly", "period": "2026-W48", "assessment": "stable"})
    base = {"summary": "Tuần trước ổn định", "sections": {"forecast": "Ổn định"}}
    content = content_of(draft, base)
    assert content["summary"] == "Tuần trước ổn định"
    assert content["sections"] == {"forecast": "Ổn định"}
    with pytest.raises(InvalidInput) as refused:
        content_of(draft, None)
    assert refused.value.field == "summary"


def test_a_return_needs_a_reason():
    assert parse_reason({"reason": " Thiếu số liệu "}) == "Thiếu số liệu"
    for body in ({}, {"reason": ""}, {"reason": "x" * 2001}, {"why": "x"}):
        with pytest.raises(InvalidInput):
            parse_reason(body)


# -- document numbers --------------------------------------------------------------------

def test_numbers_follow_the_body_a_party_board_or_an_association():
    assert format_number(12, "association", "CCB") == "12/BC-CCB"
    assert format_number(12, "party", "BDVTU") == "12-BC/BDVTU"
    assert format_number(3, None, unit_code("ban-x", "")) == "3/BC-BAN-X"
    with pytest.raises(ValueError):
        format_number(0, "party", "BDV")


def test_a_number_is_one_aggregate_per_unit_year_and_sequence():
    first = DocumentNumber(unit_id="ccb-thi-xa", year=2026, sequence=1, number="1/BC-CCB",
                           unit_report_id="r")
    assert first.id == document_number_id("ccb-thi-xa", 2026, 1)
    # A new year starts again at 1, under another id.
    assert document_number_id("ccb-thi-xa", 2027, 1) != first.id
    assert document_number_id("ccb-ho", 2026, 1) != first.id


def test_the_index_numbers_per_unit_and_year_and_follows_a_return():
    from uuid import uuid4 as new_id

    from services.intake.unit_report_index import UnitReportIndex, unit_receipts
    index = UnitReportIndex()
    index.apply("DocumentNumberTaken", new_id(), {"unit_id": "ccb-ho", "year": 2026,
                                                  "sequence": 5}, 1)
    assert index.last_sequence("ccb-ho", 2026) == 5
    assert index.last_sequence("ccb-ho", 2027) == 0
    assert index.last_sequence("ccb-song-ho", 2026) == 0
    rid = new_id()
    index.apply("UnitReportDrafted", rid, {"unit_id": "ccb-ho", "kind": "weekly",
                                           "period": "2026-W48"}, 2)
    sent = {"number": "5/BC-CCB", "recipients": ["ccb-thi-xa"], "sent_at": AT.isoformat(),
            "deadline": None, "on_time": True}
    index.apply("UnitReportSent", rid, sent, 3)
    index.apply("UnitReportReturned", rid, {}, 4)
    [receipt] = unit_receipts(index)
    assert receipt.returned and receipt.submitted_at == AT
    later = AT + timedelta(days=1)
    index.apply("UnitReportResent", rid, {**sent, "sent_at": later.isoformat(),
                                          "first_sent_at": AT.isoformat()}, 5)
    [receipt] = unit_receipts(index)
    assert not receipt.returned and receipt.submitted_at == AT
    assert index.apply("ReportSubmitted", new_id(), {}, 6) is False
