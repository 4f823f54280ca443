"""The sealer against real SQLite files: in order, idempotent, resumable, and running live."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from hashlib import sha256
from pathlib import Path

import pytest

from services.intake.audit import sql
from services.intake.audit.blocks import SealRefused
from services.intake.audit.canonical import ZERO, canonical
from services.intake.audit.chain import Sealer
from services.intake.audit.database import connect_write
from services.intake.audit.verify import verify
from tests.integration.test_audit_tamper import save_notes, tamper


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


def blocks(db: Path) -> list[tuple[int, int, bytes]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT block, last, hash FROM tinhhinh_audit_blocks ORDER BY block")
    out = [(int(b), int(last), bytes(h)) for b, last, h in rows]
    conn.close()
    return out


def test_block_seals_follow_their_definition(tmp_path: Path) -> None:
    save_notes(tmp_path, 250)  # 1,250 events: a full block and an open one
    db = tmp_path / "events.sqlite"
    Sealer(db, batch=300).seal_pending()
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    rows = conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                        "FROM stored_events ORDER BY rowid").fetchall()
    conn.close()
    chained = dict(seals(db))
    expected, prev = [], ZERO
    for block, first, last in ((1, 1, 1024), (2, 1025, 1250)):
        part = rows[first - 1:last]
        events = b"".join(canonical(*row) for row in part)
        hashes = b"".join(chained[row[0]] for row in part)
        prev = sha256(prev + sha256(events).digest() + sha256(hashes).digest()).digest()
        expected.append((block, last, prev))
    assert blocks(db) == expected


def test_sealer_resumes_from_its_last_commit_in_small_batches(tmp_path: Path) -> None:
    save_notes(tmp_path, 10)
    db = tmp_path / "events.sqlite"
    whole_copy = tmp_path / "whole.sqlite"
    shutil.copy(db, whole_copy)
    Sealer(whole_copy).seal_pending()
    # A crash after the first batch committed: the next sealer starts from that commit.
    first = Sealer(db, batch=17)
    conn = connect_write(db)
    conn.execute(sql.CREATE_CHAIN)
    conn.execute(sql.CREATE_BLOCKS)
    assert first._seal_batch(conn) == 17
    conn.close()
    assert Sealer(db, batch=4).seal_pending() == 50 - 17
    assert seals(db) == seals(whole_copy) and blocks(db) == blocks(whole_copy)


def test_sealer_refuses_to_seal_over_an_edited_open_block(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    tamper(db, "UPDATE stored_events SET state = X'00' WHERE rowid = 3")
    save_notes(tmp_path, 1, start=10)
    with pytest.raises(SealRefused):
        Sealer(db).seal_pending()  # resealing the open block would absorb the edit
    damage = verify(db).damage
    assert damage is not None and (damage.position, damage.kind) == (3, "edited")


def test_a_running_sealer_never_reads_back_what_it_sealed(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    sealer = Sealer(db)
    sealer.seal_pending()
    tamper(db, "UPDATE stored_events SET state = X'00' WHERE rowid = 3")
    save_notes(tmp_path, 1, start=10)
    assert sealer.seal_pending() == 5  # extends the block from memory, not from the file
    damage = verify(db).damage
    assert damage is not None and (damage.position, damage.kind) == (3, "edited")


def test_a_chain_sealed_before_blocks_gets_its_block_seals(tmp_path: Path) -> None:
    save_notes(tmp_path, 250)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    expected = blocks(db)
    tamper(db, "DROP TABLE tinhhinh_audit_blocks")  # as an earlier version left it
    assert Sealer(db).seal_pending() == 0
    save_notes(tmp_path, 1, start=1000)
    assert Sealer(db).seal_pending() == 5
    assert blocks(db)[0] == expected[0] and blocks(db)[-1][1] == 1255
    assert verify(db).ok


def test_emptied_block_seals_are_not_filled_in_again(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    tamper(db, "DELETE FROM tinhhinh_audit_blocks")
    save_notes(tmp_path, 1, start=10)
    with pytest.raises(SealRefused):
        Sealer(db).seal_pending()
    damage = verify(db).damage
    assert damage is not None and (damage.position, damage.kind) == (1, "block_rewritten")


def test_sealer_never_reseals_a_position(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    before = seals(db)
    tamper(db, "UPDATE stored_events SET state = X'00' WHERE rowid = 3")
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
    tamper(db, "UPDATE stored_events SET state = replace(state, 'a', 'b') WHERE rowid = 5")
    damage = verify(db).damage
    assert damage is not None and (damage.position, damage.kind) == (5, "edited")


def test_odd_rows_sealed_as_they_are_verify_through_python(tmp_path: Path) -> None:
    save_notes(tmp_path, 2)
    db = tmp_path / "events.sqlite"
    conn = sqlite3.connect(db)
    with conn:  # no ordinary event looks like this; the SQL spelling would differ from Python's
        conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, "
                     "topic, state) VALUES (11, X'00ff', 3.5, 'x', NULL)")
        # Plain to SQLite's eye (integer version, blob state), spelled otherwise by it: a
        # negative version's hex, a NULL topic that drops the row; Python spells it again.
        conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, "
                     "topic, state) VALUES (12, 'abc', -4, NULL, X'01')")
    conn.close()
    assert Sealer(db).seal_pending() == 12
    assert verify(db).ok and verify(db, workers=2).ok
