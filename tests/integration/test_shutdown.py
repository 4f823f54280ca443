"""A service stops cleanly when the NATS server went first.

SIGTERM to every process at once (a container stop, a killed process group) can end the
nats-server before the services that drain against it. Each service must still get
through its stop, closing its store, and lose nothing it had acknowledged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.aggregator.bootstrap import bootstrap as aggregator_bootstrap
from services.common.natsd import EmbeddedNats
from services.common.settings import Settings
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from tests.integration.conftest import running_system
from tests.integration.test_cases import auth
from tests.integration.test_intake import CADRE, stream_messages, weekly
from tests.integration.test_notifier import settings_for

pytestmark = pytest.mark.integration


async def test_every_service_stops_when_the_nats_server_went_first(
    home: Path, nats_server: EmbeddedNats, tmp_path: Path,
) -> None:
    # Given the intake, the aggregator and the notifier running, and a report taken
    async with running_system(home, nats_server.url) as system:
        token = await system.token(CADRE)
        sent = await system.client.post("/api/v1/reports", json=weekly(),
                                        headers=auth(token, "shutdown-1"))
        assert sent.status_code == 201, sent.text
        aggregator = aggregator_bootstrap(Settings(home=home, nats_url=nats_server.url),
                                          system.clock)
        notifier = notifier_bootstrap(settings_for(system, tmp_path / "notifier"),
                                      clock=system.clock)
        await aggregator.start()
        await notifier.start()
        # When the server is gone before any of them stops
        nats_server.kill()
        await asyncio.sleep(0.5)  # the clients notice, and start reconnecting
        # Then each stop returns (the intake's when the block ends)
        async with asyncio.timeout(60):
            await notifier.stop()
            await aggregator.stop()
    assert aggregator.db is None and aggregator.reader is None  # its SQLite files closed

    # And after a restart the report is stored and in the stream, once
    restarted = EmbeddedNats(nats_server.home, nats_server.port)
    restarted.start()
    try:
        async with running_system(home, restarted.url) as system:
            token = await system.token(CADRE)
            again = await system.client.post("/api/v1/reports", json=weekly(),
                                              headers=auth(token, "shutdown-1"))
            assert again.status_code == 200
            assert again.json()["report_id"] == sent.json()["report_id"]
            reports = [m["envelope"]["aggregate_id"] for m in await stream_messages(system)
                       if m["envelope"]["type"] == "ReportSubmitted"]
            assert reports == [sent.json()["report_id"]]
    finally:
        restarted.stop()
