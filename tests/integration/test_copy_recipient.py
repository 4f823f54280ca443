"""A copy recipient reads a case and does nothing else (issue 13): the demo's provincial
veterans' association covers the whole province by its area, yet only receives copies."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.clock import FixedClock
from services.common.demo import DEMO_PLAN
from services.common.natsd import EmbeddedNats
from services.common.plan_file import load_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.conftest import THURSDAY_MORNING, System, running_system

pytestmark = pytest.mark.integration

LAND = {"category": "land", "severity": "high", "title": "Tranh chấp đất đai",
        "description": "Hai hộ tranh chấp ranh giới."}


@pytest.fixture(scope="module")
def demo_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    store = open_store(home)
    apply_plan(store, Directory(store), load_plan(DEMO_PLAN), FixedClock(THURSDAY_MORNING))
    store.close()
    return home / "events.sqlite"


@pytest.fixture
async def demo(tmp_path: Path, demo_store_file: Path,
               nats_server: EmbeddedNats) -> AsyncIterator[System]:
    home = tmp_path / "demo-home"
    home.mkdir()
    shutil.copy(demo_store_file, home / "events.sqlite")
    async with running_system(home, nats_server.url) as running:
        yield running


def auth(token: str, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


@pytest.mark.parametrize(("path", "body"), [
    ("notes", {"text": "Ghi chú của nơi nhận bản sao"}),
    ("handler", {"handler": "Tổ hoà giải"}),
    ("status", {"status": "verifying", "reason": "Xác minh"}),
])
async def test_a_copy_recipient_reads_a_case_but_cannot_act_on_it(demo: System, path: str,
                                                                 body: dict[str, str]):
    # Given a case opened in phường Hồ, whose line is ccb-ho → ccb-thi-xa, copied to ccb-tinh
    cadre = await demo.token("cb.ho.dongcoi")
    sent = await demo.submit(cadre, "copy-1", kind="urgent", area_id="ho-dong-coi",
                             assessment="complex", summary="Vụ việc", hot_spots=[LAND])
    assert sent.status_code == 201, sent.text
    (number,) = sent.json()["case_ids"]
    copy = await demo.token("ld.ccb.tinh")
    # The copy recipient reads it ...
    read = await demo.client.get(f"/api/v1/cases/{number}",
                                 headers={"Authorization": f"Bearer {copy}"})
    assert read.status_code == 200
    position = demo.position()
    # ... but may not act on it, and nothing is recorded
    refused = await demo.client.post(f"/api/v1/cases/{number}/{path}", json=body,
                                     headers=auth(copy, "c-1"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "not_in_subtree"
    assert demo.position() == position
    # while a leader of the line acts
    line = await demo.token("ld.ccb.thixa")
    acted = await demo.client.post(f"/api/v1/cases/{number}/{path}", json=body,
                                   headers=auth(line, "c-1"))
    assert acted.status_code == 200, acted.text
