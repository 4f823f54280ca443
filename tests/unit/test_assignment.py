"""Assignment validity is half-open: valid at its start, no longer valid at its end."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.assignment import Assignment, overlaps

START = datetime(2026, 1, 1, 17, 0, tzinfo=UTC)
END = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def make(until=END):
    return Assignment(cadre_id="cb-1", area_id="kp-1", valid_from=START, valid_until=until)


def test_assignment_is_valid_exactly_at_its_start():
    assert make().covers(START)


def test_assignment_is_not_valid_just_before_its_start():
    assert not make().covers(START - TICK)


def test_assignment_is_valid_just_before_its_end():
    assert make().covers(END - TICK)


def test_assignment_is_not_valid_exactly_at_its_end():
    assert not make().covers(END)


def test_open_ended_assignment_stays_valid():
    assert make(until=None).covers(datetime(2099, 1, 1, tzinfo=UTC))


def test_assignment_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        make(until=START)


def test_ending_records_ended_and_stops_validity_from_then():
    a = make(until=None)
    a.collect_events()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    a.end(at)
    events = a.collect_events()
    assert [type(e).__name__ for e in events] == ["Ended"]
    assert a.covers(at - TICK) and not a.covers(at)


def test_ending_an_already_ended_assignment_records_nothing():
    a = make()
    a.collect_events()
    a.end(END + timedelta(days=1))
    assert a.collect_events() == []


def test_same_cadre_area_and_start_name_the_same_assignment():
    assert make().id == make(until=None).id


def test_spans_that_share_an_instant_overlap():
    assert overlaps((START, END), (END - TICK, None))
    assert overlaps((START, None), (START - TICK, START + TICK))


def test_a_span_ending_where_the_next_begins_does_not_overlap_it():
    assert not overlaps((START, END), (END, None))
    assert not overlaps((END, None), (START, END))


def test_an_assignment_cancelled_before_it_began_overlaps_nothing():
    # Ended at its start: it never covered an instant, so it blocks no new assignment.
    assert not overlaps((END, END), (START, None))
    assert not overlaps((START, None), (END, END))
