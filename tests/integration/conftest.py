"""Integration fixtures: a loaded home, a real nats-server, a running intake."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS

from domain.clock import FixedClock
from services.common import nats_auth
from services.common.natsd import EmbeddedNats
from services.common.plan_file import load_plan
from services.common.settings import Settings
from services.common.store import Store, open_store
from services.intake.api import create_app
from services.intake.bootstrap import Runtime, bootstrap
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.sinks import SmtpSink

PLANS = Path(__file__).resolve().parents[2] / "plans"
TWO_LEVEL = PLANS / "two-level.toml"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Thursday of ISO week 2026-W48, before the 14:00 deadline.
THURSDAY_MORNING = datetime(2026, 11, 26, 10, 0, tzinfo=VN)
PASSWORD = "demo-2026"
OWN_PASSWORD = "mat-khau-cua-rieng-toi-2026"  # what an issued password is changed to


def load_two_level(store: Store) -> None:
    """The network every integration test starts from: the two-level plan, loaded as a demo
    so that its accounts sign in with PASSWORD as they are (loaded as it is, every account
    must change its password first: tests/integration/test_password_change_required.py)."""
    plan = replace(load_plan(TWO_LEVEL), demo=True)
    apply_plan(store, Directory(store), plan, FixedClock(THURSDAY_MORNING))


@pytest.fixture(scope="session")
def loaded_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-level plan loaded once (argon2 hashing is slow on purpose); copied per test."""
    home = tmp_path_factory.mktemp("template")
    store = open_store(home)
    load_two_level(store)
    store.close()
    return home / "events.sqlite"


@pytest.fixture
def home(tmp_path: Path, loaded_store_file: Path) -> Path:
    target = tmp_path / "home"
    target.mkdir(exist_ok=True)
    shutil.copy(loaded_store_file, target / "events.sqlite")
    return target


@dataclass
class System:
    runtime: Runtime
    client: httpx.AsyncClient
    clock: FixedClock
    nc: NATS  # as the intake's NATS user: JetStream, the internal subjects
    bus: NATS  # as a machine client (the `client` user): the public RPC subjects only
    nats_url: str

    async def token(self, username: str, password: str = PASSWORD) -> str:
        resp = await self.client.post("/api/v1/auth/token",
                                      json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    async def own_token(self, username: str, issued: str, new: str = OWN_PASSWORD) -> str:
        """A token of an account whose password someone else set (`issued`: an admin's
        issue or reset, a plan that is not a demo), once its owner changed it to `new`."""
        flagged = await self.client.post("/api/v1/auth/token",
                                         json={"username": username, "password": issued})
        assert flagged.status_code == 200, flagged.text
        assert flagged.json()["password_change_required"] is True
        resp = await self.client.post(
            "/api/v1/auth/password", json={"current_password": issued, "new_password": new},
            headers={"Authorization": f"Bearer {flagged.json()['access_token']}"})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    async def submit(self, token: str, key: str, **body: object) -> httpx.Response:
        return await self.client.post("/api/v1/reports", json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": key})

    def position(self) -> int:
        return self.runtime.store.last_position()


@asynccontextmanager
async def running_system(home: Path, nats_url: str, clock: FixedClock | None = None,
                         **overrides: Any) -> AsyncIterator[System]:
    """A started intake Runtime on `home`'s event store, with an HTTP client and a NATS client;
    stopped on exit. The store is whatever the environment selects (services/common/store.py);
    `overrides` (store, aggregator, notifier, audit_status) replace bootstrap's defaults."""
    clock = clock or FixedClock(THURSDAY_MORNING)
    runtime = bootstrap(Settings(home=home, nats_url=nats_url), clock=clock, **overrides)
    app = create_app(runtime)
    await runtime.start()
    assert runtime.relay is not None
    nc = await nats.connect(nats_url, max_reconnect_attempts=1,
                            **nats_auth.connect_options(home, nats_auth.INTAKE))
    bus = await nats.connect(nats_url, max_reconnect_attempts=1,
                             **nats_auth.connect_options(home, nats_auth.CLIENT))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")
    try:
        yield System(runtime, client, clock, nc, bus, nats_url)
    finally:
        await client.aclose()
        await bus.close()
        await nc.close()
        await runtime.stop()


@pytest.fixture
async def system(home: Path, nats_server: EmbeddedNats) -> AsyncIterator[System]:
    async with running_system(home, nats_server.url) as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free port, keeping what it accepts."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
