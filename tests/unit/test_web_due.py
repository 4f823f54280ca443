"""How deadlines are said on the cadre's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.periods import Period
from domain.schedule import Schedule
from services.intake.web.casework import as_of_instant, read_vi
from services.intake.web.due import countdown_vi, week_label, when_vi
from services.intake.web.site import Refused


@pytest.mark.parametrize(("delta", "said"), [
    (timedelta(hours=4), "còn 4 giờ 0 phút"),
    (timedelta(days=6, hours=23, minutes=59, seconds=59), "còn 6 ngày 23 giờ 59 phút"),
    (timedelta(seconds=59), "còn 0 giờ 0 phút"),
    (timedelta(minutes=-61), "quá hạn 1 giờ 1 phút"),
])
def test_countdown_is_said_in_vietnamese(delta: timedelta, said: str):
    assert countdown_vi(delta) == said


def test_a_deadline_is_said_in_vietnam_time_with_its_weekday():
    assert when_vi(datetime(2026, 11, 26, 7, 0, tzinfo=UTC)) == "14:00 thứ Năm, 26/11/2026"


def test_a_week_is_named_with_its_days():
    assert week_label(Period.parse("2026-W48"), Schedule()) == "Tuần 48/2026 (23/11 – 29/11)"


def test_as_of_from_a_datetime_local_input_is_vietnam_time():
    assert as_of_instant("2026-11-26T10:30") == "2026-11-26T10:30:00+07:00"
    assert as_of_instant("2026-11-26T10:30:00+00:00") == "2026-11-26T10:30:00+00:00"
    with pytest.raises(Refused):
        as_of_instant("hôm qua")


def test_an_auditors_read_is_said_in_vietnamese():
    assert read_vi("history") == "xem diễn biến"
    assert read_vi("history as of X") == "xem trạng thái tại X"
