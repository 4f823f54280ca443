"""Tamper evidence against real SQLite files edited behind the store's back, each way."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.domain import Aggregate, event

from services.common.store import open_store
from services.intake.audit.canonical import chain
from services.intake.audit.chain import Sealer
from services.intake.audit.checkpoint import Checkpoint, make_checkpoint
from services.intake.audit.verify import verify

EVENTS = 1500  # 300 aggregates of 5 events: one checkpoint anchor (1024) and the root
AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class Note(Aggregate):
    @event("Opened")
    def __init__(self, title: str):
        self.title = title

    @event("Written")
    def write(self, text: str) -> None:
        self.text = text


def save_notes(home: Path, count: int, start: int = 0) -> None:
    store = open_store(home)
    notes = [Note(title=f"ghi chú {start + i}") for i in range(count)]
    for note in notes:
        for line in range(4):
            note.write(f"dòng {line}: tình hình ổn định " * 8)
    store.save(*notes)
    store.close()


@pytest.fixture(scope="session")
def sealed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("audit-template")
    save_notes(home, EVENTS // 5)
    Sealer(home / "events.sqlite").seal_pending()
    return home / "events.sqlite"


@pytest.fixture
def db(tmp_path: Path, sealed_file: Path) -> Path:
    (tmp_path / "home").mkdir()
    target = tmp_path / "home" / "events.sqlite"
    shutil.copy(sealed_file, target)
    return target


@pytest.fixture
def checkpoint(db: Path) -> Checkpoint:
    return make_checkpoint(db, Ed25519PrivateKey.generate(), AT)


def tamper(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def move(db: Path, frm: int, to: int) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (to, frm))
    conn.close()


def damage_of(db: Path, cp: Checkpoint | None = None) -> tuple[int, str] | None:
    """The first damage, found alike by the one-thread check and the parallel one."""
    found = []
    for workers in (1, 2):
        damage = verify(db, cp, workers=workers).damage
        found.append(None if damage is None else (damage.position, damage.kind))
    assert found[0] == found[1], found
    return found[0]


def reseal(db: Path) -> None:
    """Recompute the chain and the block seals from the (tampered) events, as a careful forger
    would: with the sealer itself, over emptied audit tables."""
    tamper(db, "DELETE FROM tinhhinh_audit_chain", "DELETE FROM tinhhinh_audit_blocks")
    Sealer(db).seal_pending()


def rechain_only(db: Path) -> None:
    """Recompute the per-event chain alone, leaving the block seals as they were."""
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    rows = conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                        "FROM stored_events ORDER BY rowid").fetchall()
    with conn:
        conn.execute("DELETE FROM tinhhinh_audit_chain")
        conn.executemany("INSERT INTO tinhhinh_audit_chain VALUES (?, ?)", chain(bytes(32), rows))
    conn.close()


@pytest.fixture(params=[False, True], ids=["alone", "with-checkpoint"])
def cp(request: pytest.FixtureRequest, checkpoint: Checkpoint) -> Iterator[Checkpoint | None]:
    yield checkpoint if request.param else None


def test_intact_history_verifies(db: Path, cp: Checkpoint | None) -> None:
    result = verify(db, cp)
    assert result.ok and result.sealed == EVENTS and result.unsealed == 0


@pytest.mark.parametrize("change", [
    "UPDATE stored_events SET state = X'00' || state WHERE rowid = 700",
    "UPDATE stored_events SET topic = topic || 'x' WHERE rowid = 700",
    "UPDATE stored_events SET originator_id = 'ffffffffffffffffffffffffffffffff' "
    "WHERE rowid = 700",
    "UPDATE stored_events SET originator_version = originator_version + 100 WHERE rowid = 700",
    "UPDATE stored_events SET originator_version = 'v9' WHERE rowid = 700",
    # Bytes that are not UTF-8 must be caught, not crash the check.
    "UPDATE stored_events SET topic = CAST(X'ff00fe' AS TEXT) WHERE rowid = 700",
], ids=["state", "topic", "originator_id", "version", "version_type", "topic_not_utf8"])
def test_edited_event_is_named(db: Path, cp: Checkpoint | None, change: str) -> None:
    tamper(db, change)
    assert damage_of(db, cp) == (700, "edited")


def test_removed_event_is_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "DELETE FROM stored_events WHERE rowid = 321")
    assert damage_of(db, cp) == (321, "removed")


def test_removed_event_and_its_seal_are_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "DELETE FROM stored_events WHERE rowid = 321",
           "DELETE FROM tinhhinh_audit_chain WHERE position = 321")
    assert damage_of(db, cp) == (321, "removed")


def test_removed_event_with_later_ones_renumbered_is_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "DELETE FROM stored_events WHERE rowid = 321",
           "UPDATE stored_events SET rowid = -rowid WHERE rowid > 321",
           "UPDATE stored_events SET rowid = -rowid - 1 WHERE rowid < 0")
    assert damage_of(db, cp) == (321, "removed")


def test_swapped_events_are_named_reordered(db: Path, cp: Checkpoint | None) -> None:
    move(db, 400, -1)
    move(db, 900, 400)
    move(db, -1, 900)
    assert damage_of(db, cp) == (400, "reordered")


def test_event_inserted_with_later_ones_renumbered_is_named(
        db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "UPDATE stored_events SET rowid = -rowid WHERE rowid >= 500",
           "UPDATE stored_events SET rowid = -rowid + 1 WHERE rowid < 0",
           "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
           "VALUES (500, 'forged', 1, 'domain.report:Report.Submitted', X'7b7d')")
    assert damage_of(db, cp) == (500, "inserted")


def test_event_inserted_in_a_gap_is_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "DELETE FROM stored_events WHERE rowid = 500",
           "DELETE FROM tinhhinh_audit_chain WHERE position = 500",
           "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
           "VALUES (500, 'forged', 1, 'domain.report:Report.Submitted', X'7b7d')")
    assert damage_of(db, cp) == (500, "inserted")


def test_truncated_events_under_their_seals_are_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "DELETE FROM stored_events WHERE rowid > 1400")
    assert damage_of(db, cp) == (1401, "truncated")


def test_truncation_of_events_and_seals_needs_a_checkpoint(
        db: Path, checkpoint: Checkpoint) -> None:
    tamper(db, "DELETE FROM stored_events WHERE rowid > 1400")
    reseal(db)
    assert damage_of(db) is None
    assert damage_of(db, checkpoint) == (1401, "truncated")


def test_consistent_rewrite_is_caught_at_the_first_checkpoint_anchor(
        db: Path, checkpoint: Checkpoint) -> None:
    tamper(db, "UPDATE stored_events SET state = X'00' || state WHERE rowid = 100")
    reseal(db)
    assert damage_of(db) is None
    assert damage_of(db, checkpoint) == (1024, "rewritten")


def test_consistent_rewrite_after_the_last_anchor_is_caught_at_the_root(
        db: Path, checkpoint: Checkpoint) -> None:
    tamper(db, "UPDATE stored_events SET state = X'00' || state WHERE rowid = 1200")
    reseal(db)
    assert damage_of(db, checkpoint) == (EVENTS, "rewritten")


def test_rewrite_before_later_damage_is_named_first(db: Path, checkpoint: Checkpoint) -> None:
    tamper(db, "UPDATE stored_events SET state = X'00' || state WHERE rowid = 100")
    reseal(db)
    tamper(db, "DELETE FROM stored_events WHERE rowid = 1300")
    assert damage_of(db) == (1300, "removed")
    assert damage_of(db, checkpoint) == (1024, "rewritten")


def test_altered_seal_is_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "UPDATE tinhhinh_audit_chain SET hash = zeroblob(32) WHERE position = 77")
    assert damage_of(db, cp) == (77, "seal_altered")


def test_altered_block_seal_is_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "UPDATE tinhhinh_audit_blocks SET hash = zeroblob(32) WHERE block = 2")
    assert damage_of(db, cp) == (1025, "block_rewritten")


def test_rewrite_of_events_and_their_chain_is_caught_by_the_block_seal(
        db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "UPDATE stored_events SET state = X'00' || state WHERE rowid = 1100")
    rechain_only(db)
    assert damage_of(db, cp) == (1025, "block_rewritten")


def test_lost_block_seals_are_named(db: Path, cp: Checkpoint | None) -> None:
    tamper(db, "DELETE FROM tinhhinh_audit_blocks WHERE block = 2")
    assert damage_of(db, cp) == (1025, "block_rewritten")


def test_events_after_the_last_seal_are_not_damage(db: Path, cp: Checkpoint | None) -> None:
    save_notes(db.parent, 2, start=1000)
    result = verify(db, cp)
    assert result.ok and result.sealed == EVENTS and result.unsealed == 10


def test_lost_audit_tables_are_rebuilt_against_the_checkpoint(
        db: Path, checkpoint: Checkpoint) -> None:
    tamper(db, "DROP TABLE tinhhinh_audit_chain", "DROP TABLE tinhhinh_audit_blocks")
    assert verify(db, checkpoint).ok
    tamper(db, "UPDATE stored_events SET state = X'00' || state WHERE rowid = 1000")
    assert damage_of(db, checkpoint) == (1024, "rewritten")


def test_verify_writes_nothing(db: Path, checkpoint: Checkpoint) -> None:
    save_notes(db.parent, 1, start=1000)
    before = db.read_bytes()
    assert verify(db, checkpoint).unsealed == 5
    assert db.read_bytes() == before
