"""Reporting periods: parsing, printing, stepping and matching report kinds."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.periods import REPORT_KIND_CADENCE, Cadence, Period, cadence_of_kind, iso_weeks_in


@pytest.mark.parametrize(
    ("text", "cadence", "year", "index"),
    [
        ("2026-W48", Cadence.WEEK, 2026, 48),
        ("2026-W01", Cadence.WEEK, 2026, 1),
        ("2026-W53", Cadence.WEEK, 2026, 53),
        ("2026-11", Cadence.MONTH, 2026, 11),
        ("2026-01", Cadence.MONTH, 2026, 1),
        ("2026-Q4", Cadence.QUARTER, 2026, 4),
        ("2026-H2", Cadence.HALF, 2026, 2),
        ("2026", Cadence.YEAR, 2026, 1),
        ("2000", Cadence.YEAR, 2000, 1),
        ("2100-12", Cadence.MONTH, 2100, 12),
    ],
)
def test_each_period_form_parses_and_prints_back_the_same_text(
    text: str, cadence: Cadence, year: int, index: int
) -> None:
    # when
    period = Period.parse(text)

    # then
    assert period == Period(cadence, year, index)
    assert str(period) == text
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 2026-W48",
        "2026-W48 ",
        "2026-W48\n",
        "2026-w48",
        "2026-W4",
        "2026-W048",
        "2026-W00",
        "2026-W54",
        "2026-13",
        "2026-00",
        "2026-1",
        "2026-Q0",
        "2026-Q5",
        "2026-H0",
        "2026-H3",
        "1999",
        "2101",
        "1999-W10",
        "26-11",
        "2026/11",
        "2026-11-01",
        "２０２６",  # full-width digits
        "٢٠٢٦",  # Arabic-Indic digits
        "week 48",
    ],
)
def test_malformed_period_is_rejected_with_field_and_both_messages(text: str) -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.parse(text)

    # then
    error = caught.value
    assert error.code == "invalid_period"
    assert error.field == "period"
    assert "2026-W48" in error.message and "2026-Q4" in error.message
    assert "2026-W48" in error.message_vi and "Kỳ báo cáo" in error.message_vi


def test_period_that_is_not_text_is_rejected_as_invalid_period() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.parse(None)  # type: ignore[arg-type]

    # then
    assert caught.value.code == "invalid_period"


def test_2026_has_iso_week_53_and_2027_does_not() -> None:
    # given / when / then
    assert iso_weeks_in(2026) == 53
    assert iso_weeks_in(2027) == 52
    assert str(Period.parse("2026-W53")) == "2026-W53"


def test_week_53_of_a_52_week_year_is_rejected_with_a_specific_message() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.parse("2027-W53")

    # then
    error = caught.value
    assert error.code == "invalid_period"
    assert error.field == "period"
    assert "2027" in error.message and "53" in error.message
    assert "2027" in error.message_vi and "tuần ISO 53" in error.message_vi


def test_constructing_an_impossible_period_directly_is_rejected() -> None:
    # when / then
    with pytest.raises(InvalidInput):
        Period(Cadence.MONTH, 2026, 13)
    with pytest.raises(InvalidInput):
        Period(Cadence.WEEK, 2027, 53)
    with pytest.raises(InvalidInput):
        Period(Cadence.YEAR, 2026, 2)


def test_cadence_given_as_plain_text_equals_the_enum_period() -> None:
    # when
    period = Period("month", 2026, 11)  # type: ignore[arg-type]

    # then
    assert period == Period(Cadence.MONTH, 2026, 11)
    assert hash(period) == hash(Period(Cadence.MONTH, 2026, 11))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("2026-W52", "2026-W53"),
        ("2026-W53", "2027-W01"),
        ("2027-W52", "2028-W01"),
        ("2025-W52", "2026-W01"),
        ("2026-W48", "2026-W49"),
        ("2026-12", "2027-01"),
        ("2026-11", "2026-12"),
        ("2026-Q4", "2027-Q1"),
        ("2026-H1", "2026-H2"),
        ("2026-H2", "2027-H1"),
        ("2026", "2027"),
    ],
)
def test_next_and_previous_step_one_period_across_year_ends(before: str, after: str) -> None:
    # given
    earlier, later = Period.parse(before), Period.parse(after)

    # when / then
    assert earlier.next() == later
    assert later.previous() == earlier


def test_week_before_2027_w01_is_2026_w53() -> None:
    # when / then
    assert str(Period.parse("2027-W01").previous()) == "2026-W53"


def test_stepping_past_the_supported_years_is_rejected() -> None:
    # when / then
    with pytest.raises(InvalidInput):
        Period.parse("2100").next()
    with pytest.raises(InvalidInput):
        Period.parse("2000-W01").previous()


def test_periods_of_one_cadence_sort_chronologically() -> None:
    # given
    texts = ["2027-W01", "2026-W53", "2026-W09", "2026-W10"]

    # when
    ordered = sorted(Period.parse(text) for text in texts)

    # then
    assert [str(p) for p in ordered] == ["2026-W09", "2026-W10", "2026-W53", "2027-W01"]


@pytest.mark.parametrize(
    ("period", "months"),
    [("2026-11", (11, 11)), ("2026-Q4", (10, 12)), ("2026-H1", (1, 6)), ("2026", (1, 12))],
)
def test_a_period_spans_its_months(period: str, months: tuple[int, int]) -> None:
    # when / then
    assert Period.parse(period).months() == months


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("weekly", "2026-W48"),
        ("monthly", "2026-11"),
        ("quarterly", "2026-Q4"),
        ("semiannual", "2026-H2"),
        ("annual", "2026"),
    ],
)
def test_for_kind_accepts_the_period_form_of_each_report_kind(kind: str, text: str) -> None:
    # when
    period = Period.for_kind(kind, text)

    # then
    assert period.cadence is REPORT_KIND_CADENCE[kind]
    assert str(period) == text


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("weekly", "2026-11"),
        ("monthly", "2026-W48"),
        ("quarterly", "2026-H2"),
        ("annual", "2026-Q4"),
    ],
)
def test_for_kind_rejects_a_period_of_the_wrong_cadence(kind: str, text: str) -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.for_kind(kind, text)

    # then
    error = caught.value
    assert error.code == "period_kind_mismatch"
    assert error.field == "period"
    assert text in error.message and text in error.message_vi
    assert error.message != error.message_vi


def test_weekly_mismatch_message_shows_the_expected_form() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.for_kind("weekly", "2026-11")

    # then
    assert "2026-W48" in caught.value.message
    assert "Báo cáo tuần" in caught.value.message_vi


def test_urgent_reports_take_no_period() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.for_kind("urgent", "2026-W48")

    # then
    assert caught.value.code == "period_kind_mismatch"
    assert caught.value.field == "period"
    assert cadence_of_kind("urgent") is None


def test_for_kind_still_rejects_a_malformed_period() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.for_kind("weekly", "2026-W99")

    # then
    assert caught.value.code == "invalid_period"


def test_unknown_report_kind_is_rejected_on_the_kind_field() -> None:
    # when
    with pytest.raises(InvalidInput) as caught:
        Period.for_kind("fortnightly", "2026-W48")

    # then
    error = caught.value
    assert error.code == "unknown_report_kind"
    assert error.field == "kind"
    assert "fortnightly" in error.message and "fortnightly" in error.message_vi
