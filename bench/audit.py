"""`audit verify` throughput over a million stored events, beside raw SHA-256 on this machine.

    .venv/bin/python bench/audit.py              # one million events, a few minutes
    .venv/bin/python bench/audit.py --events 50000   # a smoke run

One run, one temporary home:

1. the event store is created by the application itself (so the schema is exactly
   eventsourcing's), then N events are written straight into ``stored_events`` with
   ``executemany`` in a few large transactions: aggregates of ten events, uuid ids,
   realistic topics, JSON states of about 300 bytes;
2. the sealer chains them all (timed);
3. ``verify`` runs several times, alone and against a signed checkpoint; the best
   and median times give events/s and MB/s of canonical event bytes;
4. the same canonical bytes, concatenated, are hashed in one ``hashlib.sha256`` call:
   the physical limit. The ratio verify / raw is the figure the goal (>= 50%) is about;
5. for where the time goes: a pass that only reads the rows (both cursors, no hashing)
   and a pass that only hashes already-read rows, link by link.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit import Sealer, verify
from services.audit.canonical import ZERO, canonical, link
from services.audit.checkpoint import make_checkpoint
from services.logconfig import configure_logging
from services.store import open_store

GOAL_RATIO = 0.5
PER_AGGREGATE = 10
TRANSACTION = 200_000
TOPICS = [b"domain.report:Report.Submitted", b"domain.report:Report.Corrected",
          b"domain.assignment:Assignment.Started", b"domain.case:Case.StatusChanged",
          b"domain.network:Network.AreaDefined"]
SELECT = ("SELECT rowid, originator_id, originator_version, topic, state "
          "FROM stored_events ORDER BY rowid")


def state(rng: random.Random, i: int) -> bytes:
    """A JSON payload of about 300 bytes, like a stored report event."""
    body = {
        "originator_topic": "domain.report:Report", "timestamp": f"2026-11-26T03:{i % 60:02d}:00",
        "area_id": f"thuan-thanh-kp{rng.randrange(400):03d}", "period": "2026-W48",
        "assessment": rng.choice(["stable", "attention", "complex"]),
        "summary": "Tình hình ổn định, nhân dân phấn khởi " + "x" * rng.randrange(40, 90),
        "counts": {"complaints_received": rng.randrange(5)},
    }
    return json.dumps(body, ensure_ascii=False).encode()


def rows(n: int, seed: int = 7) -> Iterator[tuple[int, str, int, str, bytes]]:
    rng = random.Random(seed)
    high = rng.getrandbits(64) << 64
    for i in range(n):
        yield (i + 1, uuid.UUID(int=high | (i // PER_AGGREGATE)).hex, i % PER_AGGREGATE + 1,
               TOPICS[i % len(TOPICS)].decode(), state(rng, i))


def write_events(home: Path, n: int) -> Path:
    open_store(home).close()  # the application creates its own table
    db = home / "events.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")  # a bulk load, not acknowledged reports
    source = rows(n)
    for _ in range(0, n, TRANSACTION):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO stored_events (rowid, originator_id, originator_version, "
                         "topic, state) VALUES (?, ?, ?, ?, ?)",
                         (next(source) for _ in range(min(TRANSACTION, n))))
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def raw_sha256(data: bytes) -> float:
    """Seconds for one hashlib call over all the bytes, best of five."""
    return min(timed(lambda: hashlib.sha256(data).digest(), 5))


def read_only(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    events = conn.execute(SELECT)
    seals = conn.execute("SELECT hash FROM tinhhinh_audit_chain ORDER BY position")
    while events.fetchmany(2048) and seals.fetchmany(2048):
        pass
    conn.close()


def load_rows(db: Path) -> list[tuple[int, bytes, int, bytes, bytes]]:
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    out = conn.execute(SELECT).fetchall()
    conn.close()
    return out


def hash_only(all_rows: list[tuple[int, bytes, int, bytes, bytes]]) -> None:
    h = ZERO
    for row in all_rows:
        h = link(h, row)


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    configure_logging()
    n = args.events
    print(f"audit bench: {n:,} events · Python {platform.python_version()} · "
          f"SQLite {sqlite3.sqlite_version} · {os.cpu_count()} CPUs · {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="tinhhinh-audit-bench-") as tmp:
        home = Path(tmp)
        start = time.perf_counter()
        db = write_events(home, n)
        line("write events (executemany)", f"{time.perf_counter() - start:.1f} s, "
             f"{db.stat().st_size / 1e6:.0f} MB file")

        start = time.perf_counter()
        sealed = Sealer(db, batch=50_000).seal_pending()
        seal_s = time.perf_counter() - start
        line("seal", f"{seal_s:.2f} s ({sealed / seal_s:,.0f} events/s)")

        all_rows = load_rows(db)
        data = b"".join(canonical(*r) for r in all_rows)
        mb = len(data) / 1e6
        line("canonical bytes", f"{mb:.1f} MB ({len(data) / n:.0f} bytes/event)")
        raw = raw_sha256(data)
        line("raw SHA-256, one call over those bytes", f"{raw:.3f} s = {mb / raw:,.0f} MB/s")

        del data
        result = verify(db)
        assert result.ok and result.sealed == n, result  # a broken bench measures nothing
        checkpoint = make_checkpoint(db, Ed25519PrivateKey.generate(), datetime.now(UTC))
        for label, cp in (("verify", None), ("verify --checkpoint", checkpoint)):
            times = timed(lambda cp=cp: verify(db, cp), args.repeat)  # type: ignore[misc]
            best, median = min(times), statistics.median(times)
            line(f"{label}: best / median", f"{best:.3f} s / {median:.3f} s")
            line(f"{label}: throughput (best)",
                 f"{n / best:,.0f} events/s, {mb / best:,.0f} MB/s, "
                 f"{raw / best:.0%} of raw SHA-256 (goal {GOAL_RATIO:.0%})")

        line("where it goes: read rows only", f"{min(timed(lambda: read_only(db), 3)):.3f} s")
        line("where it goes: hash links only (Python)",
             f"{min(timed(lambda: hash_only(all_rows), 3)):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
