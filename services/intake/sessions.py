"""Server-side sign-in sessions in the home's web.sqlite, expiring by the injected clock."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from domain.clock import Clock

COOKIE = "tinhhinh_session"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    password_stamp TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
)
"""


def _hash(token: str) -> str:
    # Only the hash is stored: a copy of the file does not let anyone sign in.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """One signed-in browser: whose, since when, and its CSRF token."""

    token_hash: str
    account_id: UUID
    password_stamp: str
    csrf: str
    created_at: datetime
    last_seen: datetime


class Expired(Exception):
    """The session was known but is over; `reason` is `idle` or `absolute`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SessionStore:
    def __init__(self, path: Path, clock: Clock, idle: timedelta = IDLE,
                 absolute: timedelta = ABSOLUTE):
        self.path = path
        self.clock = clock
        self.idle = idle
        self.absolute = absolute
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def open(self, account_id: UUID, password_stamp: str) -> tuple[str, Session]:
        """A new session (never a reused one: no fixation); returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        session = Session(_hash(token), account_id, password_stamp, secrets.token_urlsafe(32),
                          now, now)
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM web_sessions WHERE last_seen < ? OR created_at < ?",
                       ((now - self.idle).isoformat(), (now - self.absolute).isoformat()))
            db.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, ?)",
                       (session.token_hash, str(account_id), password_stamp, session.csrf,
                        now.isoformat(), now.isoformat()))
        return token, session

    def load(self, token: str) -> Session | None:
        """The live session for a cookie, touched; None if unknown; Expired if over."""
        token_hash = _hash(token)
        with closing(self._connect()) as db, db:
            row = db.execute("SELECT * FROM web_sessions WHERE token_hash = ?",
                             (token_hash,)).fetchone()
            if row is None:
                return None
            session = Session(row[0], UUID(row[1]), row[2], row[3],
                              datetime.fromisoformat(row[4]), datetime.fromisoformat(row[5]))
            now = self.clock.now()
            reason = None
            if now - session.created_at >= self.absolute:
                reason = "absolute"
            elif now - session.last_seen >= self.idle:
                reason = "idle"
            if reason is not None:
                db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))
            else:
                db.execute("UPDATE web_sessions SET last_seen = ? WHERE token_hash = ?",
                           (now.isoformat(), token_hash))
        if reason is not None:
            raise Expired(reason)
        return Session(session.token_hash, session.account_id, session.password_stamp,
                       session.csrf, session.created_at, now)

    def close(self, token_hash: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))
