"""The last verification as the auditor's page shows it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.clock import FixedClock
from services.intake.audit.chain import Sealer
from services.intake.audit.status import AuditStatus
from tests.integration.test_audit_tamper import save_notes


def test_status_is_reverified_only_when_stale(tmp_path: Path) -> None:
    save_notes(tmp_path, 4)
    db = tmp_path / "events.sqlite"
    Sealer(db).seal_pending()
    clock = FixedClock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    status = AuditStatus(db, clock, max_age=timedelta(minutes=5))
    first = status()
    assert first["ok"] and first["position"] == 20 and first["first_bad"] is None
    assert "nguyên vẹn" in first["message_vi"]

    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM stored_events WHERE rowid = 9")
    conn.close()
    assert status() == first  # still fresh: the page does not re-read a million events
    clock.advance(timedelta(minutes=5))
    later = status()
    assert (later["ok"], later["first_bad"], later["kind"]) == (False, 9, "removed")
    assert later["checked_at"] == "2026-11-26T03:05:00+00:00"
    assert "vị trí 9" in later["message_vi"]
