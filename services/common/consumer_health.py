"""What an operator woken at night asks of a consumer: its last error, and is it stuck?

A consumer that fails on the same message again and again looks busy in its logs and
healthy in a process list; after `STUCK_AFTER` of failing without progress its health
says "stuck" and why, so `/healthz` turns 503 naming it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.clock import Clock

STUCK_AFTER = timedelta(minutes=1)


class ConsumerHealth:
    """Failures since the last progress, timed by the injected clock."""

    def __init__(self, clock: Clock, stuck_after: timedelta = STUCK_AFTER):
        self.clock = clock
        self.stuck_after = stuck_after
        self.failures = 0
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.failing_since: datetime | None = None

    def failed(self, error: BaseException | str) -> None:
        now = self.clock.now()
        self.failures += 1
        self.last_error = error if isinstance(error, str) else repr(error)
        self.last_error_at = now
        if self.failing_since is None:
            self.failing_since = now

    def advanced(self) -> None:
        """A message was applied: whatever failed before is behind it."""
        self.failing_since = None

    def stuck_seconds(self) -> float:
        if self.failing_since is None:
            return 0.0
        return max(0.0, (self.clock.now() - self.failing_since).total_seconds())

    def stuck_reason(self) -> str | None:
        """Why the consumer is stuck, or None while it is not (yet)."""
        seconds = self.stuck_seconds()
        if self.failing_since is None or seconds <= self.stuck_after.total_seconds():
            return None
        return (f"stuck for {seconds:.0f} s on one message, {self.failures} failures; "
                f"last error: {self.last_error}")

    def report(self) -> dict[str, Any]:
        return {
            "failures": self.failures,
            "last_error": self.last_error,
            "last_error_at": None if self.last_error_at is None
            else self.last_error_at.isoformat(),
            "stuck_seconds": round(self.stuck_seconds(), 1),
        }
