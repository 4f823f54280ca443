"""Sign-in as an attacker tries it (issue 13): unknown names cost the same work as known
ones, and the limiter's counts live in the home, so a restart forgets nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from services.common.natsd import EmbeddedNats
from tests.integration.conftest import System, running_system

pytestmark = pytest.mark.integration


def verifications(against: str) -> float:
    value = REGISTRY.get_sample_value("tinhhinh_password_verifications_total",
                                      {"against": against})
    return value or 0.0


async def sign_in(system: System, username: str, password: str,
                  client: tuple[str, int] = ("203.0.113.7", 5000)) -> httpx.Response:
    transport = httpx.ASGITransport(app=system.client._transport.app,  # type: ignore[attr-defined]
                                    client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
        return await c.post("/api/v1/auth/token",
                            json={"username": username, "password": password})


async def test_an_unknown_username_costs_a_verification_as_a_known_one_does(system: System):
    known, unknown = verifications("account"), verifications("stand_in")
    assert (await sign_in(system, "cb.thuanthanh.dongcoi", "wrong-password")).status_code == 401
    assert (await sign_in(system, "no.such.user", "wrong-password")).status_code == 401
    assert verifications("account") == known + 1
    assert verifications("stand_in") == unknown + 1


async def test_a_lock_survives_a_restart_of_the_intake(home: Path, nats_server: EmbeddedNats):
    async with running_system(home, nats_server.url) as system:
        for _ in range(5):
            assert (await sign_in(system, "cb.thuanthanh.dongcoi", "nope")).status_code == 401
    assert (home / "signin.sqlite").exists()
    async with running_system(home, nats_server.url) as system:
        refused = await sign_in(system, "cb.thuanthanh.dongcoi", "demo-2026")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


async def test_the_user_signs_in_from_their_usual_address_while_others_guess(system: System):
    usual = ("198.51.100.20", 4000)
    assert (await sign_in(system, "cb.thuanthanh.dongcoi", "demo-2026", usual)).status_code == 200
    for i in range(30):  # guesses from thirty other addresses, until the username locks
        await sign_in(system, "cb.thuanthanh.dongcoi", "guess", (f"192.0.2.{i}", 5000))
    assert (await sign_in(system, "cb.thuanthanh.dongcoi", "demo-2026",
                          ("203.0.113.50", 1))).status_code == 429
    assert (await sign_in(system, "cb.thuanthanh.dongcoi", "demo-2026", usual)).status_code == 200
