"""Every RPC reply is bounded by design: at ten times the demo data, with every report at the
largest content the domain accepts, each subject's largest reply stays under the server's
payload limit (read from its INFO)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import nats.errors
import pytest

from domain.ids import account_id
from domain.report_content import (
    MAX_DESCRIPTION,
    MAX_HOT_SPOTS,
    MAX_SECTION,
    MAX_SUMMARY,
    MAX_TITLE,
    SECTIONS,
)
from services.common import contracts
from services.common.natsd import EmbeddedNats
from services.notifier.settings import KINDS
from tests.integration.conftest import System, running_system
from tests.integration.test_aggregator import start as start_aggregator
from tests.integration.test_notifier import eventually, notifier
from tests.integration.test_overdue_pages import AT, grow

pytestmark = pytest.mark.integration

DEMO_AREAS, DEMO_ASSIGNMENTS = 18, 14  # plans/demo-thuan-thanh.toml
CADRES = {"cb.thuanthanh.dongcoi": "thuan-thanh-dong-coi",
          "cb.thuanthanh.dongho": "thuan-thanh-dong-ho",
          "cb.tramlo.tramlo": "tram-lo-tram-lo", "cb.tramlo.nghian": "tram-lo-nghi-an"}
TOP_LEADER = "ld.bdv.tinhuy"
# Three-byte UTF-8 letters, the widest Vietnamese text can be.
WIDE = "ữờặ"


def text(length: int) -> str:
    return (WIDE * length)[:length]


def largest_report(kind: str, area: str, period: str | None, n: int) -> dict[str, Any]:
    """Every field at the largest the domain accepts."""
    body: dict[str, Any] = {
        "kind": kind, "area_id": area, "assessment": "complex", "summary": text(MAX_SUMMARY),
        "sections": {name: text(MAX_SECTION) for name in SECTIONS},
        "counts": {f"c{n:03d}_{i:02d}_" + "x" * 50: 1_000_000 for i in range(32)},
        "hot_spots": [{"category": "land", "severity": "urgent", "title": text(MAX_TITLE),
                       "description": text(MAX_DESCRIPTION)} for _ in range(MAX_HOT_SPOTS)]}
    if period is not None:
        body["period"] = period
    return body


NO_REPLY = 1 << 40  # a reply over the limit never comes: the caller times out


async def request(system: System, rpc: contracts.Rpc[Any, Any],
                  body: dict[str, Any]) -> bytes | None:
    """The reply's bytes, or None when none came (a reply over the limit is never sent)."""
    try:
        # A public subject as a machine client; an internal one as the intake asks it.
        nc = system.bus if rpc.public else system.nc
        reply = await nc.request(rpc.subject, json.dumps(body).encode(), timeout=10)
    except nats.errors.TimeoutError:
        return None
    answer = json.loads(reply.data)
    assert 200 <= answer["status"] < 300, (rpc.name, str(answer)[:300])
    return bytes(reply.data)


async def test_every_rpc_reply_at_ten_times_the_demo_data_stays_under_the_payload_limit(
        home: Path, nats_server: EmbeddedNats):
    # Given ten times the demo network, and every cadre with an account sending the largest
    # reports there are: weekly ones for past weeks and urgent ones, each with 20 hot spots
    grow(home, 10 * DEMO_AREAS)
    async with running_system(home, nats_server.url) as system, \
            notifier(system, home, kinds=KINDS) as alerts:
        aggregator = start_aggregator(system)
        await aggregator.start()
        try:
            replies = await _largest_replies(system, alerts, aggregator)
        finally:
            await aggregator.stop()
    # Then every subject of the system was asked, and each reply fits one NATS message
    assert set(replies) == {rpc.name for rpc in contracts.EVERY}
    too_large = {name: size for name, size in replies.items() if size >= system.nc.max_payload}
    assert not too_large, f"replies over {system.nc.max_payload} bytes: {too_large}"


async def _largest_replies(system: System, alerts: Any, aggregator: Any) -> dict[str, int]:
    sizes: dict[str, int] = {}

    def keep(name: str, data: bytes | None) -> None:
        sizes[name] = max(sizes.get(name, 0), NO_REPLY if data is None else len(data))

    tokens = {}
    for username in CADRES:
        data = await request(system, contracts.AUTH_TOKEN,
                             {"username": username, "password": "demo-2026"})
        assert data is not None
        keep(contracts.AUTH_TOKEN.name, data)
        tokens[username] = json.loads(data)["body"]["access_token"]
    n = 0
    report_ids = []
    for username, area in CADRES.items():
        for week in range(40, 48):
            system.clock.advance(timedelta(minutes=1))
            for kind, period in (("weekly", f"2026-W{week}"), ("urgent", None)):
                n += 1
                data = await request(system, contracts.REPORTS_SUBMIT, {
                    "token": tokens[username], "idempotency_key": f"k-{n}",
                    "report": largest_report(kind, area, period, n)})
                assert data is not None
                keep(contracts.REPORTS_SUBMIT.name, data)
                report_ids.append((username, json.loads(data)["body"]["report_id"]))
    for username, report_id in report_ids[:4]:
        keep(contracts.REPORTS_GET.name, await request(system, contracts.REPORTS_GET, {
            "token": tokens[username], "report_id": report_id}))
    # Once the other services have read everything the intake stored
    await eventually(lambda: system.runtime.relay.position == system.position(), within=60)
    assert await aggregator.wait_applied(system.position(), within=60)
    await eventually(lambda: alerts.consumer is not None
                     and alerts.consumer.position >= system.position(), within=60)
    for unit_id in ("bdv-tinh-uy", "ccb-tinh", "ccb-tram-lo"):
        for period in ("2026", "2026-11", "2026-W47"):
            for fmt in ("json", "html", "docx"):
                keep(contracts.ROLLUPS_GET.name, await request(system, contracts.ROLLUPS_GET, {
                    "account_id": str(account_id(TOP_LEADER)), "unit_id": unit_id,
                    "period": period, "format": fmt}))
    leader = str(account_id(TOP_LEADER))
    listed = await request(system, contracts.ALERTS_LIST,
                           {"account_id": leader, "status": "all", "limit": 500})
    keep(contracts.ALERTS_LIST.name, listed)
    listed = listed or await request(system, contracts.ALERTS_LIST,
                                     {"account_id": leader, "status": "all", "limit": 1})
    assert listed is not None
    page = json.loads(listed)
    assert page["body"]["total"] >= 4 * 8
    keep(contracts.ALERTS_ACK.name, await request(system, contracts.ALERTS_ACK, {
        "account_id": leader, "alert_id": page["body"]["alerts"][0]["alert_id"]}))
    keep(contracts.ALERTS_GROUPS.name, await request(system, contracts.ALERTS_GROUPS, {
        "account_id": leader, "status": "all"}))
    keep(contracts.ALERTS_ACK_MANY.name, await request(system, contracts.ALERTS_ACK_MANY, {
        "account_id": leader, "idempotency_key": "k-all"}))
    keep(contracts.OVERDUE.name, await request(system, contracts.OVERDUE,
                                               {"at": AT, "limit": 500}))
    keep(contracts.AGGREGATOR_HEALTH.name,
         await request(system, contracts.AGGREGATOR_HEALTH, {}))
    keep(contracts.NOTIFIER_HEALTH.name, await request(system, contracts.NOTIFIER_HEALTH, {}))
    return sizes
