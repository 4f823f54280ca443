"""The report form: posted fields become the body IntakeService.submit takes."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.report_content import parse_submission
from services.intake.web.report_form import QUICK_SUMMARY, from_fields, from_report, said


def posted(**fields: str) -> dict[str, str]:
    base = {"area_id": "dong-coi", "idempotency_key": "web-k", "assessment": "attention",
            "summary": "Có việc"}
    base.update(fields)
    return base


def test_fields_become_a_body_the_domain_accepts():
    form = from_fields(posted(**{
        "sections.opinions": "Mong làm đường", "sections.proposals": "  ",
        "counts.complaints_received": " 2 ", "counts.households_visited": "",
        "hot_spots[1].title": "Thứ hai", "hot_spots[0].title": "Thứ nhất",
        "hot_spots[0].category": "land", "hot_spots[0].severity": "high",
        "hot_spots[2].title": "", "device_time": "2026-11-26T09:00:00+07:00"}),
        "weekly", "2026-W48")
    body = form.body()
    assert body["sections"] == {"opinions": "Mong làm đường"}
    assert body["counts"] == {"complaints_received": 2}
    assert [s["title"] for s in body["hot_spots"]] == ["Thứ nhất", "Thứ hai"]
    assert body["hot_spots"][1]["category"] == "other"  # a row's defaults
    submission = parse_submission(body)
    assert submission.kind == "weekly" and str(submission.period) == "2026-W48"
    assert submission.device_time is not None


def test_a_removed_or_blank_hot_spot_is_left_out():
    form = from_fields(posted(**{"hot_spots[0].title": "Cũ", "hot_spots[0].case_id":
                                 "VV-2026-000001", "hot_spots[0].remove": "1",
                                 "hot_spots[1].title": " "}), "weekly", "2026-W48")
    assert "hot_spots" not in form.body()


def test_quick_stable_ignores_what_was_typed():
    form = from_fields(posted(summary="", **{"hot_spots[0].title": "x"}), "weekly", "2026-W48")
    assert form.body(quick=True) == {"kind": "weekly", "area_id": "dong-coi",
                                     "period": "2026-W48", "assessment": "stable",
                                     "summary": QUICK_SUMMARY}


@pytest.mark.parametrize("raw", ["mười", "-1", "1.5", "２"])
def test_a_count_that_is_not_a_whole_number_names_its_field(raw: str):
    form = from_fields(posted(**{"counts.meetings_attended": raw}), "weekly", "2026-W48")
    with pytest.raises(InvalidInput) as caught:
        form.body()
    assert caught.value.field == "counts.meetings_attended"
    assert "phải là số nguyên không âm" in caught.value.message_vi


def test_unknown_names_and_rows_beyond_the_limit_are_ignored():
    form = from_fields(posted(**{"hot_spots[25].title": "x", "evil": "1",
                                 "sections.nope": "y"}), "urgent", None)
    assert form.hot_spots == [] and form.sections == {}


def test_a_past_report_prefills_and_carries_only_open_cases():
    report = {"area_id": "dong-coi", "assessment": "complex", "summary": "Tuần trước",
              "sections": {"opinions": "Ý kiến"}, "counts": {"complaints_received": 1,
                                                           "custom_count": 5},
              "hot_spots": [{"category": "land", "severity": "high", "title": "Đất",
                             "description": ""},
                            {"category": "social", "severity": "low", "title": "Xong",
                             "description": ""}],
              "case_ids": ["VV-2026-000001", "VV-2026-000002"]}
    form = from_report(report, "weekly", "2026-W49", "web-new", {"VV-2026-000001"})
    assert (form.assessment, form.summary, form.key) == ("complex", "Tuần trước", "web-new")
    assert form.counts == {"complaints_received": "1"}
    assert [s["case_id"] for s in form.hot_spots] == ["VV-2026-000001"]


@pytest.mark.parametrize(("field", "message", "shown"), [
    ("summary", "summary: không được để trống", "Tóm tắt tình hình: không được để trống"),
    ("hot_spots[1].title", "hot_spots[1].title: dài quá 200 ký tự",
     "Điểm nóng thứ 2, tiêu đề: dài quá 200 ký tự"),
    ("sections.opinions", "sections.opinions: dài quá 4000 ký tự",
     "Ý kiến, nguyện vọng của nhân dân: dài quá 4000 ký tự"),
    ("area_id", "Đồng chí không được phân công", "Đồng chí không được phân công"),
    (None, "Chưa lưu được báo cáo", "Chưa lưu được báo cáo"),
])
def test_a_refusal_names_the_field_as_the_form_labels_it(field: str | None, message: str,
                                                         shown: str):
    assert said(field, message) == shown
