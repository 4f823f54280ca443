"""A consumer's health: its last error, and "stuck" after a minute failing without progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.clock import FixedClock
from services.common.consumer_health import ConsumerHealth

T0 = datetime(2026, 11, 26, 14, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def test_a_consumer_failing_on_one_message_for_over_a_minute_is_stuck_and_says_why():
    clock = FixedClock(T0)
    health = ConsumerHealth(clock)
    health.failed(KeyError("kind"))
    clock.set(T0 + timedelta(seconds=30))
    health.failed(KeyError("kind"))
    clock.set(T0 + timedelta(seconds=60))
    assert health.stuck_reason() is None
    clock.set(T0 + timedelta(seconds=61))
    reason = health.stuck_reason()
    assert reason is not None and "stuck for 61 s" in reason and "KeyError('kind')" in reason
    assert health.report()["failures"] == 2 and health.report()["stuck_seconds"] == 61.0


def test_progress_ends_being_stuck_and_keeps_the_last_error():
    clock = FixedClock(T0)
    health = ConsumerHealth(clock)
    health.failed("disk I/O error")
    clock.set(T0 + timedelta(minutes=5))
    health.advanced()
    assert health.stuck_reason() is None and health.stuck_seconds() == 0.0
    assert health.report()["last_error"] == "disk I/O error"
    assert health.report()["last_error_at"] == T0.astimezone(UTC).isoformat()
