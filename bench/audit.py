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
4. the bytes verify hashes -- every event's canonical bytes and its 32-byte chain hash --
   are hashed in one ``hashlib.sha256`` call: the physical limit. The ratio raw / verify
   is the figure the goal (>= 50%) is about. Verify runs in one thread (as the services
   run it) and in one thread per CPU (as ``tinhhinh audit verify`` runs it);
5. for where the time goes: SQLite building the block bytes alone (both libraries), and
   the old per-event way (read every row into Python, one link per event).

Then the history of a case with 1,000 events (goal < 50 ms), as ``bench/case_history.py``
prints it. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
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

from services.common.logconfig import configure_logging
from services.common.store import open_store
from services.intake.audit.canonical import BLOCK, ZERO, canonical, link
from services.intake.audit.chain import Sealer
from services.intake.audit.checkpoint import make_checkpoint
from services.intake.audit.verify import verify

GOAL_RATIO = 0.5
WORKERS = max(1, min(os.cpu_count() or 1, 8))  # as `tinhhinh audit verify`
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


def write_events(home: Path, n: int, transaction: int = TRANSACTION) -> Path:
    open_store(home).close()  # the application creates its own table
    db = home / "events.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")  # a bulk load, not acknowledged reports
    source = rows(n)
    for _ in range(0, n, transaction):
        conn.execute("BEGIN")
        # islice, not `next` n times: the last transaction may hold fewer rows.
        conn.executemany("INSERT INTO stored_events (rowid, originator_id, originator_version, "
                         "topic, state) VALUES (?, ?, ?, ?, ?)",
                         itertools.islice(source, transaction))
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


def build_only(db: Path, use_apsw: bool) -> None:
    """SQLite building every full block's bytes, no hashing."""
    from services.intake.audit import blocks

    if use_apsw:
        conn = blocks.connect_apsw_readonly(db)
    else:
        conn = sqlite3.connect(db)
        conn.text_factory = bytes
    n = conn.execute("SELECT max(position) FROM tinhhinh_audit_chain").fetchone()[0]
    for first in range(1, n + 1, BLOCK):
        last = min(first + BLOCK - 1, n)
        blocks.events_bytes(conn, first, last)
        blocks.hashes_bytes(conn, first, last)
    conn.close()


def load_rows(db: Path) -> list[tuple[int, bytes, int, bytes, bytes]]:
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    out = conn.execute(SELECT).fetchall()
    conn.close()
    return out


def chain_hashes(db: Path) -> list[bytes]:
    conn = sqlite3.connect(db)
    out = [bytes(h) for (h,) in conn.execute(
        "SELECT hash FROM tinhhinh_audit_chain ORDER BY position")]
    conn.close()
    return out


def per_event(db: Path) -> None:
    """The per-event way: every row into Python, one link each."""
    h = ZERO
    for row in load_rows(db):
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

        data = b"".join(canonical(*r) for r in load_rows(db)) + b"".join(chain_hashes(db))
        mb = len(data) / 1e6
        line("bytes verify hashes", f"{mb:.1f} MB ({len(data) / n:.0f} bytes/event, "
             "canonical event + chain hash)")
        raw = raw_sha256(data)
        line("raw SHA-256, one call over those bytes", f"{raw:.3f} s = {mb / raw:,.0f} MB/s")

        del data
        result = verify(db)
        assert result.ok and result.sealed == n, result  # a broken bench measures nothing
        checkpoint = make_checkpoint(db, Ed25519PrivateKey.generate(), datetime.now(UTC))
        for label, cp, workers in (("verify, 1 thread", None, 1),
                                   (f"verify, {WORKERS} threads (the CLI)", None, WORKERS),
                                   (f"verify --checkpoint, {WORKERS} threads", checkpoint,
                                    WORKERS)):
            times = timed(lambda cp=cp, w=workers: verify(db, cp, workers=w),  # type: ignore[misc]
                          args.repeat)
            best, median = min(times), statistics.median(times)
            line(f"{label}: best / median", f"{best:.3f} s / {median:.3f} s")
            line(f"{label}: throughput (best)",
                 f"{n / best:,.0f} events/s, {mb / best:,.0f} MB/s, "
                 f"{raw / best:.0%} of raw SHA-256 (goal {GOAL_RATIO:.0%})")

        line("where it goes: block bytes, stdlib SQLite",
             f"{min(timed(lambda: build_only(db, False), 3)):.3f} s")
        line("where it goes: block bytes, apsw SQLite",
             f"{min(timed(lambda: build_only(db, True), 3)):.3f} s")
        line("the per-event way (rows into Python, a link each)",
             f"{min(timed(lambda: per_event(db), 1)):.3f} s")
    print("case history, a case of 1,000 events (bench/case_history.py):")
    import case_history  # beside this script

    case_history.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
