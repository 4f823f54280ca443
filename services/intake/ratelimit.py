"""Sign-in throttling: failed attempts counted per username and per client address.

The counts live in memory, in the intake process: each process counts its own
attempts and a restart forgets them. The web form, the HTTP API and the NATS
request share one limiter, since they share the intake's `IntakeService`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.clock import Clock
from domain.errors import DomainError

MAX_FAILURES = 5
# Higher per address: a commune office, or a mobile carrier's NAT, puts many phones
# behind one address, and one person's typos must not lock out the others.
MAX_FAILURES_PER_CLIENT = 20
WINDOW = timedelta(minutes=15)
COOL_DOWN = timedelta(minutes=15)
MAX_KEYS = 10_000  # bounded memory however many usernames are tried


class TooManyAttempts(DomainError):
    """Sign-in refused for a while; `retry_after` is in whole seconds."""

    status = 429

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            "too_many_attempts",
            f"Too many failed sign-in attempts; try again in {minutes} minute(s)",
            f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


@dataclass
class _Count:
    failures: list[datetime] = field(default_factory=list)
    locked_until: datetime | None = None


class SignInLimiter:
    """After `max_failures` failures within `window`, a key is refused for `cool_down`."""

    def __init__(self, clock: Clock, *, max_failures: int = MAX_FAILURES,
                 max_failures_per_client: int = MAX_FAILURES_PER_CLIENT,
                 window: timedelta = WINDOW, cool_down: timedelta = COOL_DOWN,
                 max_keys: int = MAX_KEYS):
        self.clock = clock
        self.max_failures = max_failures
        self.max_failures_per_client = max_failures_per_client
        self.window = window
        self.cool_down = cool_down
        self.max_keys = max_keys
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many usernames and addresses are tracked."""
        return len(self._counts)

    def _keys(self, username: str, client: str | None) -> list[tuple[str, int]]:
        keys = [(f"user:{username}", self.max_failures)]
        if client:
            keys.append((f"client:{client}", self.max_failures_per_client))
        return keys

    def admit(self, username: str, client: str | None) -> datetime:
        """Refuse while the username or the address cools down; otherwise count this
        attempt as a failure until `succeeded` says otherwise, so that guesses sent all
        at once are counted at once. Returns the attempt's stamp for `succeeded`."""
        now = self.clock.now()
        keys = self._keys(username, client)
        with self._lock:
            waits = [count.locked_until - now for key, _ in keys
                     if (count := self._counts.get(key)) is not None
                     and count.locked_until is not None and count.locked_until > now]
            if waits:
                raise TooManyAttempts(math.ceil(max(waits).total_seconds()))
            for key, limit in keys:
                count = self._current(key, now)
                count.failures.append(now)
                if len(count.failures) >= limit:
                    count.locked_until = now + self.cool_down
        return now

    def succeeded(self, username: str, client: str | None, attempt: datetime) -> None:
        """The attempt signed in: the username starts afresh; the address only takes the
        attempt back (a valid account must not clear an address that guesses others)."""
        with self._lock:
            self._counts.pop(f"user:{username}", None)
            if not client:
                return
            count = self._counts.get(f"client:{client}")
            if count is not None and attempt in count.failures:
                count.failures.remove(attempt)
                if len(count.failures) < self.max_failures_per_client:
                    count.locked_until = None

    def _current(self, key: str, now: datetime) -> _Count:
        count = self._counts.get(key)
        if count is None:
            if len(self._counts) >= self.max_keys:
                self._evict(now)
            count = self._counts[key] = _Count()
        elif count.locked_until is not None and count.locked_until <= now:
            count.failures.clear()  # the cool-down is over: a fresh start
            count.locked_until = None
        count.failures[:] = [at for at in count.failures if at > now - self.window]
        return count

    def _evict(self, now: datetime) -> None:
        for key in [k for k, c in self._counts.items()
                    if (c.locked_until is None or c.locked_until <= now)
                    and all(at <= now - self.window for at in c.failures)]:
            del self._counts[key]
        while len(self._counts) >= self.max_keys:
            del self._counts[next(iter(self._counts))]  # the oldest key
