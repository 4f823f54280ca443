"""The audit bench's event writer: any count of events, whole transactions or not."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "audit.py"


def bench_audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_audit", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_count_that_is_not_a_multiple_of_the_transaction_size_is_written_whole(
    tmp_path: Path,
):
    # Given a bench writing 5 events in transactions of 2 (as 300,000 in 200,000s)
    bench = bench_audit()
    # When it writes them
    db = bench.write_events(tmp_path, 5, transaction=2)
    # Then all 5 are stored, numbered 1 to 5
    with sqlite3.connect(db) as conn:
        rowids = [r for (r,) in conn.execute("SELECT rowid FROM stored_events ORDER BY rowid")]
    assert rowids == [1, 2, 3, 4, 5]
