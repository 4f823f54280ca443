"""Prints the time of a case's history (and its as-of view) when the case has 1,000 events."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import NAMESPACE_OID, uuid4, uuid5

from domain.case import Case
from domain.clock import FixedClock
from services.common.store import open_store
from services.intake.cases import CaseService
from services.intake.directory import AccountView, Directory

EVENTS = 1000
RUNS = 20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp))
        start = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
        case = Case(tracking_number="VV-2026-000001", area_id="kp-1", unit_id=None,
                    category="land", severity="high", title="Tranh chấp đất", description="",
                    report_id=uuid4(), hot_spot_index=0, at=start, by="cb.1")
        for i in range(EVENTS - 1):
            case.add_note(text=f"Ghi chú số {i}", at=start + timedelta(minutes=i + 1),
                          by="ld.1")
        store.save(case)
        clock = FixedClock(start + timedelta(days=2))
        service = CaseService(store, Directory(store), clock)
        # A leader-free reader: an admin of the whole network (its reads are not recorded).
        reader = AccountView(uuid5(NAMESPACE_OID, "bench"), "bench", "bench", "admin", None,
                             None, "", True)
        for label, as_of in (("full history", None),
                             ("as of the 500th event",
                              (start + timedelta(minutes=499)).isoformat())):
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                history = service.history(reader, "VV-2026-000001", as_of)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{label:24} events={len(history['events']):5}  "
                  f"p50={statistics.median(times):7.1f} ms  max={max(times):7.1f} ms  "
                  f"(goal < 50 ms)")
        store.close()


if __name__ == "__main__":
    main()
