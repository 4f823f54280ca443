"""The leader's document page and its .docx through the web session: the leader's own unit,
a unit in its scope, never a sibling's."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.natsd import EmbeddedNats
from tests.integration.conftest import running_system
from tests.integration.test_web_ports import FakeAggregator
from tests.integration.web_client import browser

pytestmark = pytest.mark.integration

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def test_the_leader_downloads_the_docx_of_their_unit_and_of_a_child(
    home: Path, nats_server: EmbeddedNats,
):
    # Given the ward association's leader, signed in on the web
    rollups = FakeAggregator()
    async with running_system(home, nats_server.url, aggregator=rollups) as system:
        leader = browser(system)
        await leader.login("ld.ccb.thuanthanh")
        try:
            # When they download their unit's document and a child association's
            own = await leader.get("/lanh-dao/tong-hop.docx?ky=2026-W48")
            child = await leader.get(
                "/lanh-dao/tong-hop.docx?ky=2026-W48&don_vi=ch-thuan-thanh-dong-ho")
            child_page = await leader.get(
                "/lanh-dao/tong-hop?ky=2026-W48&don_vi=ch-thuan-thanh-dong-ho")
            bad = await leader.get("/lanh-dao/tong-hop.docx?ky=tuan-nay")
        finally:
            await leader.aclose()
    # Then each is the aggregator's Word file, as an attachment
    assert own.status_code == 200 and own.headers["content-type"] == DOCX
    assert own.content == b"PK-docx-ccb-thuan-thanh"
    assert 'filename="bao-cao-ccb-thuan-thanh-2026-W48.docx"' in \
        own.headers["content-disposition"]
    assert child.status_code == 200 and child.content == b"PK-docx-ch-thuan-thanh-dong-ho"
    assert ('href="/lanh-dao/tong-hop.docx?ky=2026-W48&amp;don_vi=ch-thuan-thanh-dong-ho"'
            in child_page.text)
    assert bad.status_code == 422


async def test_a_sibling_leader_cannot_fetch_another_units_document(
    home: Path, nats_server: EmbeddedNats,
):
    # Given the leader of Trạm Lộ, a sibling of Thuận Thành under the province
    rollups = FakeAggregator()
    async with running_system(home, nats_server.url, aggregator=rollups) as system:
        leader = browser(system)
        await leader.login("ld.ccb.tramlo")
        try:
            # When they ask for Thuận Thành's .docx and page, and an unknown unit's
            docx = await leader.get("/lanh-dao/tong-hop.docx?ky=2026-W48&don_vi=ccb-thuan-thanh")
            page = await leader.get("/lanh-dao/tong-hop?ky=2026-W48&don_vi=ccb-thuan-thanh")
            unknown = await leader.get("/lanh-dao/tong-hop.docx?ky=2026-W48&don_vi=nowhere")
        finally:
            await leader.aclose()
    # Then each is "not found", and the aggregator was never asked
    assert (docx.status_code, page.status_code, unknown.status_code) == (404, 404, 404)
    assert "PK-docx" not in docx.text
    assert all(unit != "ccb-thuan-thanh" for unit, _ in rollups.asked)
