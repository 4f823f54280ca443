"""The sealer against real SQLite files: in order, idempotent, resumable, and running live."""

from __future__ import annotations

import asyncio
import sqlite3
from hashlib import sha256
from pathlib import Path

from services.audit import Sealer, verify
from services.audit.canonical import ZERO, canonical
from tests.integration.test_audit_tamper import save_notes


def seals(db: Path) -> list[tuple[int, bytes]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT position, hash FROM tinhhinh_audit_chain ORDER BY position")
    out = [(int(p), bytes(h)) for p, h in rows]
    conn.close()
    return out


def test_chain_follows_its_definition(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    expected, prev = [], ZERO
    for row in conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                            "FROM stored_events ORDER BY rowid"):
        prev = sha256(prev + canonical(*row)).digest()
        expected.append((row[0], prev))
    conn.close()
    assert seals(db) == expected
    assert [p for p, _ in expected] == list(range(1, 11))


def test_sealing_twice_seals_nothing_new(tmp_path: Path) -> None:
    save_notes(tmp_path, 3)
    sealer = Sealer(tmp_path / "events.sqlite")
    assert sealer.seal_pending() == 15
    before = seals(sealer.db)
    restarted = Sealer(sealer.db)
    assert restarted.seal_pending() == 0
    assert seals(sealer.db) == before
    assert restarted.position == 15


def test_sealer_resumes_from_its_last_seal_in_small_batches(tmp_path: Path) -> None:
    save_notes(tmp_path, 10)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    whole = seals(db)
    # A crash loses at most the batch being written: drop the tail as if it never committed.
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM tinhhinh_audit_chain WHERE position > 17")
    conn.close()
    assert Sealer(db, batch=4).seal_pending() == 50 - 17
    assert seals(db) == whole


def test_sealer_never_reseals_a_position(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    before = seals(db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE stored_events SET state = X'00' WHERE rowid = 3")
    conn.close()
    Sealer(db).seal_pending()
    assert seals(db) == before
    damage = verify(db).damage
    assert damage is not None and (damage.position, damage.kind) == (3, "edited")


def test_empty_home_seals_nothing(tmp_path: Path) -> None:
    save_notes(tmp_path, 0)
    assert Sealer(tmp_path / "events.sqlite").seal_pending() == 0
    assert verify(tmp_path / "events.sqlite").ok


async def test_running_sealer_follows_new_events(tmp_path: Path) -> None:
    save_notes(tmp_path, 1)
    sealer = Sealer(tmp_path / "events.sqlite", poll_interval=30.0)
    task = asyncio.create_task(sealer.run())
    try:
        assert await sealer.wait_sealed(5, within=10)
        await asyncio.to_thread(save_notes, tmp_path, 2, 10)
        sealer.wake()  # with a 30 s poll interval, only the wake can seal in time
        assert await sealer.wait_sealed(15, within=10)
    finally:
        sealer.stop()
        await asyncio.wait_for(task, 10)
    assert verify(tmp_path / "events.sqlite").unsealed == 0


def test_network_plan_events_seal_and_verify(home: Path) -> None:
    db = home / "events.sqlite"
    assert Sealer(db).seal_pending() > 0
    assert verify(db).ok
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE stored_events SET state = replace(state, 'a', 'b') WHERE rowid = 5")
    conn.close()
    damage = verify(db).damage
    assert damage is not None and (damage.position, damage.kind) == (5, "edited")
