"""X-Forwarded-For is believed from the proxies named in TINHHINH_TRUSTED_PROXIES and from no
one else (issue 13): against the intake process under uvicorn, whose own handling is what
decides. The sign-in limiter shows which address a request was counted against: twenty
failures from one address lock it (docs/api.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.intake_process import IntakeProcess, intake_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def behind_loopback(tmp_path_factory: pytest.TempPathFactory,
                    loaded_store_file: Path) -> Iterator[IntakeProcess]:
    """The intake behind a proxy on this host: 127.0.0.1 is named."""
    with intake_process(tmp_path_factory.mktemp("proxied"), loaded_store_file,
                        TINHHINH_TRUSTED_PROXIES="127.0.0.1") as running:
        yield running


@pytest.fixture(scope="module")
def behind_another(tmp_path_factory: pytest.TempPathFactory,
                   loaded_store_file: Path) -> Iterator[IntakeProcess]:
    """The intake behind a proxy elsewhere: 127.0.0.1 is not named."""
    with intake_process(tmp_path_factory.mktemp("elsewhere"), loaded_store_file,
                        TINHHINH_TRUSTED_PROXIES="192.0.2.10") as running:
        yield running


async def wrong_sign_ins(intake: IntakeProcess, forwarded: list[str]) -> list[int]:
    """One wrong sign-in, each for another unknown username, per claimed address."""
    async with httpx.AsyncClient(base_url=intake.url, timeout=120) as client:
        return [(await client.post("/api/v1/auth/token",
                                   json={"username": f"nobody{i}", "password": "x"},
                                   headers={"X-Forwarded-For": address})).status_code
                for i, address in enumerate(forwarded)]


async def test_a_named_proxy_is_believed(behind_loopback: IntakeProcess):
    # Given 21 wrong sign-ins through the named proxy, each for another client address
    spread = await wrong_sign_ins(behind_loopback,
                                  [f"198.51.100.{i}" for i in range(21)])
    # Then each was counted against its client, none of which failed twenty times
    assert spread == [401] * 21
    # And 21 from one client through it lock that client, as they would from it directly
    one = await wrong_sign_ins(behind_loopback, ["203.0.113.7"] * 21)
    assert one[:20] == [401] * 20 and one[20] == 429


async def test_a_proxy_not_named_is_not_believed(behind_another: IntakeProcess):
    # Given 21 wrong sign-ins from 127.0.0.1, which is not the named proxy, each claiming
    # another address
    statuses = await wrong_sign_ins(behind_another, [f"198.51.100.{i}" for i in range(21)])
    # Then they were counted against 127.0.0.1, which is locked after twenty
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
