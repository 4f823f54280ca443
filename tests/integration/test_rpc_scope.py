"""Every RPC is scoped as its HTTP twin (issue 13): a machine client's request carries its
token and is checked by the intake; the internal request the intake then sends names the
account on whose behalf it asks, and the aggregator or notifier checks that account again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client as NATS

from domain.ids import account_id
from services.aggregator.bootstrap import Runtime
from services.common import contracts
from tests.integration.conftest import System
from tests.integration.test_aggregator import caught_up, start, submit
from tests.integration.test_notifier import notifier

pytestmark = pytest.mark.integration

CADRE = ("cb.thuanthanh.dongcoi", "thuan-thanh-dong-coi")


@pytest.fixture
async def aggregator(system: System) -> AsyncIterator[Runtime]:
    runtime = start(system)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def ask(nc: NATS, rpc: contracts.Rpc[Any, Any], **body: Any) -> dict[str, Any]:
    reply = await nc.request(rpc.subject, json.dumps(body).encode(), timeout=10)
    answer: dict[str, Any] = json.loads(reply.data)
    return answer


def code(answer: dict[str, Any]) -> tuple[int, str]:
    return answer["status"], answer["body"]["error"]["code"]


@pytest.mark.parametrize(("rpc", "body"), [
    (contracts.PUBLIC_ROLLUPS_GET, {"unit_id": "ccb-tinh", "period": "2026-W48"}),
    (contracts.PUBLIC_OVERDUE, {"at": "2026-11-27T10:00:00+07:00"}),
    (contracts.PUBLIC_ALERTS_LIST, {}),
    (contracts.PUBLIC_ALERTS_ACK, {"alert_id": "00000000-0000-0000-0000-000000000000"}),
    (contracts.REPORTS_GET, {"report_id": "00000000-0000-0000-0000-000000000000"}),
])
@pytest.mark.parametrize("token", ["", "forged.token"])
async def test_a_public_rpc_without_a_valid_token_is_401(system: System,
                                                         rpc: contracts.Rpc[Any, Any],
                                                         body: dict[str, Any],
                                                         token: str) -> None:
    assert (await ask(system.bus, rpc, token=token, **body))["status"] == 401


async def test_a_public_rpc_that_names_an_account_instead_of_a_token_is_refused(
        system: System) -> None:
    answer = await ask(system.bus, contracts.PUBLIC_ALERTS_LIST,
                       account_id=str(account_id("ld.bdv.tinhuy")))
    assert answer["status"] == 422 and answer["body"]["error"]["field"] in ("token",
                                                                           "account_id")


async def test_rollups_over_the_bus_are_scoped_as_over_http(system: System,
                                                           aggregator: Runtime) -> None:
    await submit(system, CADRE, "scope-1")
    await caught_up(system, aggregator)
    sibling = await system.token("ld.ccb.tramlo")
    own = await system.token("ld.ccb.thuanthanh")
    request = {"unit_id": "ccb-thuan-thanh", "period": "2026-W48"}
    refused = await ask(system.bus, contracts.PUBLIC_ROLLUPS_GET, token=sibling, **request)
    assert code(refused) == (404, "not_found")
    http = await system.client.get("/api/v1/units/ccb-thuan-thanh/rollups/2026-W48",
                                   headers={"Authorization": f"Bearer {sibling}"})
    assert http.status_code == 404
    allowed = await ask(system.bus, contracts.PUBLIC_ROLLUPS_GET, token=own, **request)
    assert allowed["status"] == 200 and allowed["body"]["received"] == 1


async def test_the_aggregator_checks_the_account_the_intake_names(system: System,
                                                                  aggregator: Runtime) -> None:
    """Defence in depth: even a request on the internal subject gets only what the account
    it names may read."""
    await caught_up(system, aggregator)
    request = {"unit_id": "ccb-thuan-thanh", "period": "2026-W48"}
    sibling = await ask(system.nc, contracts.ROLLUPS_GET,
                        account_id=str(account_id("ld.ccb.tramlo")), **request)
    assert code(sibling) == (404, "not_found")
    stranger = await ask(system.nc, contracts.ROLLUPS_GET,
                         account_id="00000000-0000-0000-0000-000000000000", **request)
    assert stranger["status"] == 403
    unnamed = await ask(system.nc, contracts.ROLLUPS_GET, **request)
    assert unnamed["status"] == 422 and unnamed["body"]["error"]["field"] == "account_id"
    parent = await ask(system.nc, contracts.ROLLUPS_GET,
                       account_id=str(account_id("ld.ccb.tinh")), **request)
    assert parent["status"] == 200


async def test_alerts_and_overdue_over_the_bus_are_the_callers_own(system: System,
                                                                    tmp_path: Path) -> None:
    async with notifier(system, tmp_path / "notifier", kinds=("weekly",)):
        leader = await system.token("ld.ccb.thuanthanh")
        cadre = await system.token(CADRE[0])
        at = "2026-11-26T14:00:00+07:00"  # week 48's deadline: nothing has been sent
        mine = await ask(system.bus, contracts.PUBLIC_OVERDUE, token=cadre, at=at)
        assert mine["status"] == 200
        rows = mine["body"]["overdue"]
        assert rows and {r["cadre_id"] for r in rows} <= {"cb-thuan-thanh-dong-coi", None}
        http = await system.client.get("/api/v1/overdue", params={"at": at},
                                       headers={"Authorization": f"Bearer {cadre}"})
        assert http.json() == rows
        scoped = await ask(system.bus, contracts.PUBLIC_OVERDUE, token=leader, at=at)
        everything = await ask(system.nc, contracts.OVERDUE, at=at)
        assert 0 < scoped["body"]["total"] < everything["body"]["total"]
        alerts = await ask(system.bus, contracts.PUBLIC_ALERTS_LIST, token=leader)
        assert alerts["status"] == 200 and "alerts" in alerts["body"]
        someone_elses = await ask(system.bus, contracts.PUBLIC_ALERTS_ACK, token=cadre,
                                  alert_id="00000000-0000-0000-0000-000000000000")
        assert code(someone_elses) == (404, "not_found")
