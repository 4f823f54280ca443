"""Sign-in throttling kept in the home (`signin.sqlite`): it survives restarts, and nothing
is ever evicted to make room, so no flood of names unlocks a key; rows go when they expire.

Failures are counted under three keys, so that an attacker is locked, not the user:

- the username *and* the address together (`pair`): five failures lock that pair;
- the address (`client`): twenty failures, whatever the usernames, lock the address (a
  commune office or a carrier's NAT puts many phones behind one address);
- the username (`user`): twenty failures from anywhere lock the username, but only for
  addresses that never signed in as it: the right password from the user's usual address
  still works while others guess from elsewhere.

Each new lock of a key lasts twice the one before (15 min, 30 min, … at most a day) while
the key's last lock is less than a day old. The web form, the HTTP API, password changes and
the NATS request share this one limiter (bootstrap). Attempts without an address (NATS)
count under the username and the pair `(username, -)`.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

from domain.clock import Clock
from domain.errors import DomainError

MAX_FAILURES = 5  # per username and address
MAX_FAILURES_PER_CLIENT = 20
MAX_FAILURES_PER_USER = 20  # from addresses that never signed in as this username
WINDOW = timedelta(minutes=15)
COOL_DOWN = timedelta(minutes=15)
MAX_LOCK = timedelta(days=1)
STRIKE_MEMORY = timedelta(days=1)  # a lock older than this no longer doubles the next
KNOWN_FOR = timedelta(days=90)  # an address that signed in is "usual" this long
FILE = "signin.sqlite"
_PRUNE_EVERY = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signin_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS signin_failures_key ON signin_failures (key, at);
CREATE INDEX IF NOT EXISTS signin_failures_at ON signin_failures (at);
CREATE TABLE IF NOT EXISTS signin_locks (
    key TEXT PRIMARY KEY, since REAL NOT NULL, until REAL NOT NULL, strikes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signin_known (
    username TEXT NOT NULL, client TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (username, client));
"""


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


class SignInLimiter:
    """Refuses a key for a while after too many failures within `window`; see the module."""

    def __init__(self, clock: Clock, path: Path | None = None, *,
                 max_failures: int = MAX_FAILURES,
                 max_failures_per_client: int = MAX_FAILURES_PER_CLIENT,
                 max_failures_per_user: int = MAX_FAILURES_PER_USER,
                 window: timedelta = WINDOW, cool_down: timedelta = COOL_DOWN):
        self.clock = clock
        self.max_failures = max_failures
        self.max_failures_per_client = max_failures_per_client
        self.max_failures_per_user = max_failures_per_user
        self.window = window.total_seconds()
        self.cool_down = cool_down.total_seconds()
        self._lock = threading.Lock()
        self._calls = 0
        # One connection, used under the lock: the limiter's transactions are short.
        self._db = sqlite3.connect(":memory:" if path is None else path, timeout=10,
                                   check_same_thread=False, isolation_level=None)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __len__(self) -> int:
        """How many keys have failures or locks on record."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM (SELECT key FROM signin_failures UNION "
                "SELECT key FROM signin_locks)").fetchone()
        return int(row[0])

    def _keys(self, username: str, client: str | None,
              known: bool) -> list[tuple[str, int, bool]]:
        """(key, limit, whether its lock refuses this attempt)."""
        keys = [(f"pair:{username}|{client or '-'}", self.max_failures, True),
                (f"user:{username}", self.max_failures_per_user, not known)]
        if client:
            keys.append((f"client:{client}", self.max_failures_per_client, True))
        return keys

    def _known(self, username: str, client: str | None, now: float) -> bool:
        if not client:
            return False
        row = self._db.execute("SELECT at FROM signin_known WHERE username = ? AND client = ?",
                               (username, client)).fetchone()
        return row is not None and row[0] > now - KNOWN_FOR.total_seconds()

    def admit(self, username: str, client: str | None) -> datetime:
        """Refuse while a key that applies is locked; otherwise count this attempt as a
        failure until `succeeded` says otherwise, so that guesses sent all at once are
        counted at once. Returns the attempt's stamp for `succeeded`."""
        stamp = self.clock.now()
        now = stamp.timestamp()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            keys = self._keys(username, client, self._known(username, client, now))
            waits = [until - now for key, _, applies in keys if applies
                     for (until,) in self._db.execute(
                         "SELECT until FROM signin_locks WHERE key = ? AND until > ?",
                         (key, now))]
            if waits:
                raise TooManyAttempts(math.ceil(max(waits)))
            for key, limit, _ in keys:
                self._db.execute("INSERT INTO signin_failures VALUES (?, ?)", (key, now))
                if self._failures(key, now) >= limit:
                    self._lock_key(key, now)
            self._calls += 1
            if self._calls % _PRUNE_EVERY == 0:
                self._prune(now)
        return stamp

    def _failures(self, key: str, now: float) -> int:
        """Failures within the window, and since the key's last lock ended: a fresh start."""
        lock = self._db.execute("SELECT until FROM signin_locks WHERE key = ?",
                                (key,)).fetchone()
        ended = -math.inf if lock is None else lock[0]
        row = self._db.execute("SELECT count(*) FROM signin_failures WHERE key = ? AND at > ? "
                               "AND at >= ?", (key, now - self.window, ended)).fetchone()
        return int(row[0])

    def _lock_key(self, key: str, now: float) -> None:
        last = self._db.execute("SELECT until, strikes FROM signin_locks WHERE key = ?",
                                (key,)).fetchone()
        strikes = 0 if last is None or last[0] < now - STRIKE_MEMORY.total_seconds() \
            else last[1] + 1
        length = min(self.cool_down * 2 ** min(strikes, 16), MAX_LOCK.total_seconds())
        self._db.execute("INSERT OR REPLACE INTO signin_locks VALUES (?, ?, ?, ?)",
                         (key, now, now + length, strikes))

    def succeeded(self, username: str, client: str | None, attempt: datetime) -> None:
        """The attempt signed in: its pair starts afresh and the address becomes one of the
        username's usual ones; the username and the address only take the attempt back (a
        valid account must not clear an address that guesses others)."""
        at = attempt.timestamp()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            pair = f"pair:{username}|{client or '-'}"
            self._db.execute("DELETE FROM signin_failures WHERE key = ?", (pair,))
            self._db.execute("DELETE FROM signin_locks WHERE key = ?", (pair,))
            for key in (f"user:{username}", f"client:{client}" if client else None):
                if key is None:
                    continue
                self._db.execute(
                    "DELETE FROM signin_failures WHERE rowid IN (SELECT rowid FROM "
                    "signin_failures WHERE key = ? AND at = ? LIMIT 1)", (key, at))
                # A lock this very attempt set is taken back with it.
                self._db.execute("DELETE FROM signin_locks WHERE key = ? AND since = ?",
                                 (key, at))
            if client:
                self._db.execute("INSERT OR REPLACE INTO signin_known VALUES (?, ?, ?)",
                                 (username, client, at))

    def prune(self) -> None:
        """Forget what has expired: failures past the window, locks past their memory."""
        with self._lock, self._db:
            self._prune(self.clock.now().timestamp())

    def _prune(self, now: float) -> None:
        self._db.execute("DELETE FROM signin_failures WHERE at <= ?", (now - self.window,))
        self._db.execute("DELETE FROM signin_locks WHERE until <= ?",
                         (now - STRIKE_MEMORY.total_seconds(),))
        self._db.execute("DELETE FROM signin_known WHERE at <= ?",
                         (now - KNOWN_FOR.total_seconds(),))
