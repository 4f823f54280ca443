"""`tinhhinh audit checkpoint` and `audit verify` on a real home: exit codes and messages."""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from services.common.logconfig import configure_logging
from services.intake.audit.cli import (
    add_audit_parser,
    checkpoint_command,
    run_audit,
    verify_command,
)
from services.intake.audit.keys import key_path
from tests.integration.test_audit_tamper import save_notes

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As `tinhhinh` runs: SQLite persistence, logs on stderr (stdout may carry JSON)."""
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    monkeypatch.delenv("SQLITE_DBNAME", raising=False)
    configure_logging()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    save_notes(tmp_path, 30)
    return tmp_path


def edit(home: Path, position: int) -> None:
    conn = sqlite3.connect(home / "events.sqlite")
    with conn:
        conn.execute("UPDATE stored_events SET state = X'00' || state WHERE rowid = ?",
                     (position,))
    conn.close()


def test_checkpoint_then_verify_passes(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = home / "cp.json"
    assert checkpoint_command(home, out, FixedClock(AT)) == 0
    data = json.loads(out.read_text())
    assert (data["size"], data["time"]) == (150, "2026-11-26T03:00:00+00:00")
    assert key_path(home).is_file()
    assert verify_command(home, out) == 0
    said = capsys.readouterr().out
    assert "nguyên vẹn" in said and "intact" in said and "150" in said


def test_checkpoint_to_stdout_seals_first(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert checkpoint_command(home, None, FixedClock(AT)) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["size"] == 150 and len(data["root"]) == 64


def test_edited_history_fails_naming_position_and_kind(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint_command(home, home / "cp.json", FixedClock(AT))
    edit(home, 42)
    assert verify_command(home, home / "cp.json") == 1
    err = capsys.readouterr().err
    assert "vị trí 42" in err and "position 42: edited" in err


def test_flipped_signature_byte_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint_command(home, home / "cp.json", FixedClock(AT))
    data = json.loads((home / "cp.json").read_text())
    data["signature"] = f"{int(data['signature'][:2], 16) ^ 1:02x}{data['signature'][2:]}"
    (home / "cp.json").write_text(json.dumps(data))
    capsys.readouterr()
    assert verify_command(home, home / "cp.json") == 1
    assert "refused" in capsys.readouterr().err


def test_checkpoint_of_another_key_is_refused(
        home: Path, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path_factory.mktemp("other")
    save_notes(other, 30)
    checkpoint_command(other, other / "cp.json", FixedClock(AT))
    checkpoint_command(home, None, FixedClock(AT))
    capsys.readouterr()
    assert verify_command(home, other / "cp.json") == 1
    assert "another key" in capsys.readouterr().err


def test_no_checkpoint_is_signed_over_altered_history(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint_command(home, home / "first.json", FixedClock(AT))
    edit(home, 7)
    assert checkpoint_command(home, home / "second.json", FixedClock(AT)) == 1
    assert not (home / "second.json").exists()
    assert "Refusing" in capsys.readouterr().err


def test_verify_reports_unsealed_events_and_writes_nothing(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_command(home, None) == 0
    assert "150 events not yet sealed" in capsys.readouterr().out
    assert not key_path(home).exists()
    conn = sqlite3.connect(home / "events.sqlite")
    assert conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'tinhhinh_audit%'"
                        ).fetchall() == []
    conn.close()


def test_postgres_mode_is_refused_clearly(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.postgres")
    assert verify_command(home, None) == 1
    assert "SQLite persistence only" in capsys.readouterr().err


def test_missing_database_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_command(tmp_path, None) == 1
    assert checkpoint_command(tmp_path, None) == 1
    assert "No event database" in capsys.readouterr().err


def test_parser_dispatches_both_actions(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="tinhhinh")
    add_audit_parser(parser.add_subparsers(dest="command", required=True))
    out = home / "cp.json"
    args = parser.parse_args(["audit", "checkpoint", "--home", str(home), "--out", str(out)])
    assert run_audit(args) == 0 and out.is_file()
    args = parser.parse_args(["audit", "verify", "--home", str(home), "--checkpoint", str(out)])
    assert run_audit(args) == 0
    with pytest.raises(SystemExit) as usage:
        parser.parse_args(["audit"])
    assert usage.value.code == 2
