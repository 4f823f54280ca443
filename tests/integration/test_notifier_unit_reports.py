"""The notifier following unit reports and returns on a real nats-server, and the alert
groups over HTTP: filters, groups, acknowledging a group with an Idempotency-Key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.ids import account_id
from services.common.streams import EVENTS_STREAM
from tests.integration.conftest import System
from tests.integration.test_notifier import (
    CADRE,
    eventually,
    inbox,
    last_report,
    notifier,
    urgent,
)

COMMUNE = "ld.ccb.thuanthanh"
UNIT_REPORT_ID = "5b0d6f0e-8a51-4d0b-9d59-3f7f1c2a9e10"
# A well-formed envelope of a type the notifier does not know (its id follows from it).
NEW_AGGREGATE = "0c3f2b1a-7e6d-4c5b-8a9f-1e2d3c4b5a69"


def unit_sent(real: dict[str, Any], event_id: str) -> bytes:
    """A UnitReportSent envelope (the agreed spec) shaped like one the relay publishes."""
    data = {
        "unit_id": "ch-thuan-thanh-dong-coi",
        "kind": "weekly",
        "period": "2026-W48",
        "revision": 1,
        "number": "3/BC-CCB",
        "recipients": ["ccb-thuan-thanh"],
        "sent_by": str(account_id("ld.ch.thuanthanh.dongcoi")),
        "sent_at": "2026-11-26T05:00:00+00:00",
        "deadline": None,
        "on_time": True,
    }
    return json.dumps(
        {
            **real,
            "event_id": event_id,
            "type": "UnitReportSent",
            "aggregate_id": UNIT_REPORT_ID,
            "aggregate_version": 2,
            "data": data,
        }
    ).encode()


async def test_a_unit_report_sent_on_the_stream_alerts_the_recipient_once(
    system: System, home: Path
):
    js = system.nc.jetstream()
    async with notifier(system, home) as runtime:
        token = await system.token(CADRE)
        assert (await system.submit(token, "u-1", **urgent())).status_code == 201
        await eventually(lambda: inbox(system, COMMUNE))
        subject, real = await last_report(system)
        base = subject.rsplit(".", 1)[0]
        # Given the same sending published twice (a redelivery) and an unknown event type
        await js.publish(
            f"{base}.UnitReportSent", unit_sent(real, UNIT_REPORT_ID.replace("-", "") + "-2")
        )
        await js.publish(
            f"{base}.UnitReportSent", unit_sent(real, UNIT_REPORT_ID.replace("-", "") + "-2")
        )
        await js.publish(
            f"{base}.SomethingNew",
            json.dumps(
                {**real, "event_id": f"{NEW_AGGREGATE.replace('-', '')}-1",
                 "aggregate_id": NEW_AGGREGATE, "aggregate_version": 1,
                 "type": "SomethingNew", "data": {"x": 1}}
            ).encode(),
        )
        # Then the commune's leader is told once, and nothing is dead-lettered
        await eventually(lambda: _has(inbox(system, COMMUNE), "unit_report"))
        mine = [a for a in await inbox(system, COMMUNE) if a["kind"] == "unit_report"]
        assert len(mine) == 1 and "3/BC-CCB" in mine[0]["message_vi"]
        assert runtime.service.book.dead_letters == {}
        # The last message's ack may still be on its way when the alert is visible.
        async def settled() -> bool:
            info = await js.consumer_info(EVENTS_STREAM, "notifier")
            return info.num_ack_pending == 0 and info.num_pending == 0

        await eventually(settled)
        info = await js.consumer_info(EVENTS_STREAM, "notifier")
        assert info.num_ack_pending == 0 and info.num_redelivered == 0


async def _has(alerts: Any, kind: str) -> bool:
    return any(a["kind"] == kind for a in await alerts)


async def test_groups_and_acknowledging_a_group_over_http(system: System, home: Path):
    async with notifier(system, home):
        cadre = await system.token(CADRE)
        for n in range(3):
            resp = await system.submit(cadre, f"u-{n}", **urgent(summary=f"Lần {n}"))
            assert resp.status_code == 201, resp.text
        await eventually(lambda: _count(inbox(system, COMMUNE), 3))
        leader = await system.token(COMMUNE)
        auth = {"Authorization": f"Bearer {leader}"}
        groups = (await system.client.get("/api/v1/alerts/groups", headers=auth)).json()
        [group] = groups["groups"]
        assert (group["type"], group["count"], group["open"]) == ("hot_spot", 3, 3)
        assert group["title_vi"].startswith("Điểm nóng")
        filtered = await system.client.get(
            "/api/v1/alerts", headers=auth, params={"type": "hot_spot", "group": None}
        )
        assert filtered.json()["total"] == 3
        assert (
            await system.client.get("/api/v1/alerts", headers=auth, params={"type": "overdue"})
        ).json()["total"] == 0
        bad = await system.client.get("/api/v1/alerts", headers=auth, params={"type": "x"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "type"
        # Acknowledge the group: needs a key; once; the same again answers the same
        body = {"group": group["key"]}
        missing = await system.client.post("/api/v1/alerts/ack", headers=auth, json=body)
        assert missing.status_code == 422
        assert missing.json()["error"]["code"] == "missing_idempotency_key"
        keyed = {**auth, "Idempotency-Key": "ack-1"}
        first = await system.client.post("/api/v1/alerts/ack", headers=keyed, json=body)
        assert first.status_code == 200 and first.json()["acknowledged"] == 3
        again = await system.client.post("/api/v1/alerts/ack", headers=keyed, json=body)
        assert again.status_code == 200 and again.json() == first.json()
        other = await system.client.post(
            "/api/v1/alerts/ack", headers=keyed, json={"type": "overdue"}
        )
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_conflict"
        assert (await system.client.get("/api/v1/alerts", headers=auth)).json()["total"] == 0
        # Another leader's alerts are theirs: the sibling sees none of these groups
        sibling = await system.token("ld.ccb.tramlo")
        theirs = await system.client.get(
            "/api/v1/alerts/groups", headers={"Authorization": f"Bearer {sibling}"}
        )
        assert theirs.json() == {"groups": [], "total": 0}


async def _count(alerts: Any, n: int) -> bool:
    return len(await alerts) >= n
