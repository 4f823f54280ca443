"""Server-side sessions: new on every sign-in, ended by idleness or age, never by the cookie."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from domain.clock import FixedClock
from services.intake.sessions import Expired, SessionStore

START = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> SessionStore:
    return SessionStore(tmp_path / "web.sqlite", clock)


def test_a_session_is_found_by_its_cookie_and_only_its_hash_is_stored(
    store: SessionStore, tmp_path: Path,
):
    account = uuid4()
    token, session = store.open(account, "stamp")
    loaded = store.load(token)
    assert loaded is not None and loaded.account_id == account and loaded.csrf == session.csrf
    with sqlite3.connect(tmp_path / "web.sqlite") as db:
        dump = "\n".join(db.iterdump())
    assert token not in dump
    assert store.load("not-a-session") is None


def test_idle_for_30_minutes_ends_it(store: SessionStore, clock: FixedClock):
    token, _ = store.open(uuid4(), "stamp")
    clock.advance(timedelta(minutes=29, seconds=59))
    assert store.load(token) is not None
    clock.advance(timedelta(minutes=30))
    with pytest.raises(Expired) as caught:
        store.load(token)
    assert caught.value.reason == "idle"
    assert store.load(token) is None  # and it is gone


def test_twelve_hours_end_it_however_active(store: SessionStore, clock: FixedClock):
    token, _ = store.open(uuid4(), "stamp")
    for _ in range(47):
        clock.advance(timedelta(minutes=15))
        assert store.load(token) is not None
    clock.advance(timedelta(minutes=15))
    with pytest.raises(Expired) as caught:
        store.load(token)
    assert caught.value.reason == "absolute"


def test_each_sign_in_gets_its_own_session_and_csrf(store: SessionStore):
    account = uuid4()
    first, a = store.open(account, "stamp")
    second, b = store.open(account, "stamp")
    assert first != second and a.csrf != b.csrf
    store.close(a.token_hash)
    assert store.load(first) is None and store.load(second) is not None
