"""Instants as events hold them, and the clock tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import VN, FixedClock, as_instant

AT = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def test_an_instant_from_the_store_is_kept_as_it_is():
    assert as_instant(AT) is AT


def test_an_instant_from_an_envelope_is_read_from_iso_text_with_its_offset():
    assert as_instant("2026-11-26T14:00:00+07:00") == AT
    assert as_instant("2026-11-26T14:00:00+07:00").utcoffset() == timedelta(hours=7)  # type: ignore[union-attr]


def test_no_instant_stays_none():
    assert as_instant(None) is None


def test_a_fixed_clock_refuses_a_naive_instant_and_moves_only_when_told():
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 11, 26, 14))  # noqa: DTZ001
    clock = FixedClock(datetime(2026, 11, 26, 14, tzinfo=VN))
    assert clock.now() == AT and clock.now().tzinfo is UTC
    clock.advance(timedelta(minutes=1))
    assert clock.now() == AT + timedelta(minutes=1)
