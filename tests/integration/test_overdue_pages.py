"""An overdue list longer than one NATS message: the notifier answers it in pages, each under
the server's payload limit, and the HTTP API and the CLI still give CONTRACT's plain list."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from services.cli import overdue_command
from services.common.natsd import EmbeddedNats
from services.common.plan_file import AreaSpec, AssignmentSpec, CadreSpec, UnitSpec, load_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from services.notifier.settings import KINDS
from tests.integration.conftest import THURSDAY_MORNING, TWO_LEVEL, VN, running_system
from tests.integration.test_notifier import eventually, notifier, printed_json

pytestmark = pytest.mark.integration

VILLAGES = 1000  # one cadre each, owing every periodic kind: ~9,000 rows, well over 1 MB
AT = datetime(2026, 11, 26, 15, 0, tzinfo=VN).isoformat()


def grow(home: Path, villages: int) -> None:
    """The two-level network with `villages` more quarters under Trạm Lộ, each with its
    branch and one cadre assigned, loaded as `tinhhinh network load` would."""
    plan = load_plan(TWO_LEVEL)
    start = min(a.valid_from for a in plan.assignments)
    extra = [f"tram-lo-thon-{n:04d}" for n in range(villages)]
    plan = dataclasses.replace(
        plan,
        areas=(*plan.areas, *(AreaSpec(a, f"Thôn {a[-4:]}", "quarter", "tram-lo") for a in extra)),
        units=(*plan.units, *(UnitSpec(f"ch-{a}", f"Chi hội {a[-4:]}", "association",
                                       "ccb-tram-lo", (), (a,), "Trạm Lộ", "CCB", "")
                              for a in extra)),
        cadres=(*plan.cadres, *(CadreSpec(f"cb-{a}", f"Cán bộ {a[-4:]}", f"ch-{a}")
                                for a in extra)),
        assignments=(*plan.assignments, *(AssignmentSpec(f"cb-{a}", a, start, None)
                                          for a in extra)))
    store = open_store(home)
    try:
        apply_plan(store, Directory(store), plan, FixedClock(THURSDAY_MORNING))
    finally:
        store.close()


async def test_an_overdue_list_over_the_payload_limit_comes_in_pages_and_whole(
        home: Path, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    # Given a network where a thousand cadres owe every periodic report and sent none
    grow(home, VILLAGES)
    async with running_system(home, nats_server.url) as system, \
            notifier(system, home, kinds=KINDS) as runtime:
        await eventually(lambda: system.runtime.relay.position == system.position(), within=60)
        await eventually(lambda: runtime.consumer is not None
                         and runtime.consumer.position >= system.position(), within=60)
        max_payload = system.nc.max_payload
        # When the whole list is asked for over NATS, page by page
        rows, sizes, cursor = [], [], None
        while True:
            request = {"at": AT, "limit": 500, **({"cursor": cursor} if cursor else {})}
            # The whole network's list: the internal subject, as the intake or `cli` asks it.
            reply = await system.nc.request("tinhhinh.svc.v1.overdue",
                                           json.dumps(request).encode(), timeout=30)
            sizes.append(len(reply.data))
            body = json.loads(reply.data)["body"]
            rows += body["overdue"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        # Then each page is under the limit though the list is not, and every row comes once
        total = body["total"]
        assert len(rows) == total > 8000
        assert len(json.dumps(rows).encode()) > max_payload
        assert max(sizes) < max_payload
        keys = [(r["deadline"], r["kind"], r["period"], r["unit_id"] or "", r["area_id"] or "",
                 r["cadre_id"] or "") for r in rows]
        assert keys == sorted(set(keys))
        # And the HTTP API answers CONTRACT's plain list, the same rows in the same order
        admin = {"Authorization": f"Bearer {await system.token('admin')}"}
        resp = await system.client.get("/api/v1/overdue", params={"at": AT}, headers=admin)
        assert resp.status_code == 200, resp.text[:300]
        assert resp.headers["content-type"].startswith("application/json")
        assert resp.json() == rows
        # And so does the CLI
        monkeypatch.setenv("NATS_URL", system.nats_url)
        assert await asyncio.to_thread(overdue_command, home, AT, True) == 0
        assert printed_json(capsys.readouterr().out) == rows
        # And a bad time is still a JSON refusal naming the field, before any list starts
        bad = await system.client.get("/api/v1/overdue", params={"at": "thursday"},
                                      headers=admin)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "at"
