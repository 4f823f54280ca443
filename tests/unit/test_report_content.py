"""Report content: checked field by field, normalised, refused with English and Vietnamese."""

import unicodedata

import pytest

from domain.errors import InvalidInput
from domain.report_content import MAX_SUMMARY, parse_submission


def body(**overrides):
    base = {"kind": "weekly", "area_id": "kp-1", "period": "2026-W48",
            "assessment": "stable", "summary": "Ổn định, không có gì mới"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def refused(payload):
    with pytest.raises(InvalidInput) as info:
        parse_submission(payload)
    err = info.value
    assert err.message and err.message_vi and err.message != err.message_vi
    return err


def test_a_minimal_weekly_report_is_accepted():
    s = parse_submission(body())
    assert s.kind == "weekly" and str(s.period) == "2026-W48"
    assert s.content["assessment"] == "stable"


def test_text_is_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Ổn định")
    s = parse_submission(body(summary=decomposed))
    assert s.content["summary"] == unicodedata.normalize("NFC", "Ổn định")


def test_nfc_and_nfd_bodies_hash_alike():
    nfd = unicodedata.normalize("NFD", "Tình hình ổn định")
    assert parse_submission(body(summary=nfd)).body_hash() == parse_submission(
        body(summary="Tình hình ổn định")).body_hash()


def test_different_bodies_hash_differently():
    assert parse_submission(body()).body_hash() != parse_submission(
        body(assessment="attention")).body_hash()


@pytest.mark.parametrize(("payload", "field"), [
    (body(kind="daily"), "kind"),
    (body(area_id="KP 1"), "area_id"),
    (body(period="2026-13"), "period"),
    (body(period="2026-11"), "period"),
    (body(assessment="fine"), "assessment"),
    (body(summary=""), "summary"),
    (body(summary="x" * (MAX_SUMMARY + 1)), "summary"),
    (body(counts={"complaints_received": -1}), "counts.complaints_received"),
    (body(counts={"complaints_received": True}), "counts.complaints_received"),
    (body(counts={"Bad Key": 1}), "counts.Bad Key"),
    (body(hot_spots=[{"category": "land", "severity": "severe", "title": "x"}]),
     "hot_spots[0].severity"),
    (body(hot_spots=[{"category": "land", "severity": "high"}]), "hot_spots[0].title"),
    (body(sections={"gossip": "x"}), "sections.gossip"),
    (body(device_time="2026-11-26 10:00"), "device_time"),
    (body(extra=1), "extra"),
])
def test_bad_fields_are_named(payload, field):
    assert refused(payload).field == field


def test_urgent_report_has_no_period():
    s = parse_submission(body(kind="urgent", period=None))
    assert s.period is None
    assert refused(body(kind="urgent")).field == "period"


def test_periodic_kinds_require_a_matching_period():
    assert str(parse_submission(body(kind="quarterly", period="2026-Q4")).period) == "2026-Q4"
    assert refused(body(kind="monthly", period=None)).field == "period"
