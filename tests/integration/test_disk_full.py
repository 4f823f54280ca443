"""A full disk under the intake: a clear JSON refusal, nothing half-written, /healthz 503
naming the store, and recovery without a restart once space returns."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError

from services.common.natsd import EmbeddedNats
from tests.integration.conftest import System, running_system
from tests.integration.small_disk import fill, small_tmpfs

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"


def weekly(period: str) -> dict[str, object]:
    return {"kind": "weekly", "area_id": AREA, "period": period, "assessment": "attention",
            "summary": "Có ý kiến về giá điện " * 40}


@pytest.fixture
def small_home(tmp_path: Path, loaded_store_file: Path) -> Iterator[Path]:
    """A home a few MiB larger than the loaded store."""
    size = loaded_store_file.stat().st_size + 3 * 1024 * 1024
    with small_tmpfs(tmp_path / "small", size) as target:
        (target / "events.sqlite").write_bytes(loaded_store_file.read_bytes())
        yield target


async def test_a_full_disk_refuses_clearly_and_recovers_without_a_restart(
        small_home: Path, nats_server: EmbeddedNats):
    async with running_system(small_home, nats_server.url) as system:
        token = await system.token(CADRE)
        assert (await system.client.get("/healthz")).status_code == 200
        # Given a disk with no space left
        filler = fill(small_home)
        # When cadres keep sending reports
        refused = None
        for week in range(1, 53):
            before = system.position()
            resp = await system.submit(token, f"full-{week}", **weekly(f"2026-W{week:02d}"))
            if resp.status_code != 201:
                refused = (week, resp, before)
                break
        # Then one is refused with a clear JSON error, and nothing of it is stored
        assert refused is not None, "the full disk never refused a write"
        week, resp, before = refused
        assert resp.status_code == 507, resp.text
        assert resp.headers["Retry-After"]
        error = resp.json()["error"]
        assert error["code"] == "storage_full" and "dung lượng" in error["message_vi"]
        assert system.position() == before
        # And /healthz says so, naming the failing check
        health = await system.client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["event_store"] == "storage_full"
        assert "event_store" in health.json()["failing"]
        # When space returns, the same retry is taken, with no restart
        filler.unlink()
        again = await system.submit(token, f"full-{week}", **weekly(f"2026-W{week:02d}"))
        assert again.status_code == 201, again.text
        assert (await system.client.get("/healthz")).status_code == 200


async def test_a_storage_failure_of_another_kind_is_a_json_500(system: System):
    # Given a store whose write fails for a reason other than space (injected)
    def broken(*_: object) -> None:
        raise OperationalError("disk I/O error") from sqlite3.OperationalError("disk I/O error")

    system.runtime.store.save = broken  # type: ignore[method-assign]
    token = await system.token(CADRE)
    # When a report is sent, then the answer is a JSON error, not a plain-text page
    resp = await system.submit(token, "io-1", **weekly("2026-W48"))
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "internal_error"
