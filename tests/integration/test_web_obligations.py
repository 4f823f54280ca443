"""The web asks the one obligation engine: the cadre's home offers only the kinds their areas
owe, and every deadline shown is the one the area's obligation sets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from services.common.natsd import EmbeddedNats
from tests.integration.conftest import System, running_system
from tests.integration.test_obligations_api import OBLIGATIONS, oblige
from tests.integration.web_client import signed_in

pytestmark = pytest.mark.integration

# Only Thuận Thành's cadres owe the weekly report; every cadre may send urgent ones.
WEEKLY_IN_THUAN_THANH = """
[[obligations]]
kinds = ["weekly"]
owner = "cadre"
units = ["ccb-thuan-thanh"]
due = "thursday 14:00"

[[obligations]]
kinds = ["urgent"]
owner = "cadre"
"""


Start = Callable[[str], Awaitable[System]]


@pytest.fixture
async def start(home: Path, nats_server: EmbeddedNats) -> AsyncIterator[Start]:
    """Starts the intake once the two-level plan carries the obligations given."""
    async with AsyncExitStack() as stack:
        async def started(obligations: str) -> System:
            oblige(home, obligations)
            return await stack.enter_async_context(running_system(home, nats_server.url))
        yield started


async def test_a_cadre_whose_area_owes_no_weekly_report_is_offered_the_urgent_one_only(
        start: Start):
    system = await start(WEEKLY_IN_THUAN_THANH)

    # When a Trạm Lộ cadre, who owes no weekly report, opens their home
    tram_lo = await signed_in(system, "cb.tramlo.tramlo")
    page = (await tram_lo.get("/can-bo")).text

    # Then the urgent form is offered for their area, no weekly form, no countdown, no arrears
    assert "/bao-cao/dot-xuat?area=tram-lo-tram-lo" in page
    assert "/bao-cao/tuan" not in page
    assert "data-countdown" not in page and "Báo cáo quá hạn" not in page
    # while a Thuận Thành cadre is offered both
    dong_coi = await signed_in(system, "cb.thuanthanh.dongcoi")
    page = (await dong_coi.get("/can-bo")).text
    assert "/bao-cao/tuan?area=thuan-thanh-dong-coi" in page
    assert "/bao-cao/dot-xuat?area=thuan-thanh-dong-coi" in page
    await tram_lo.aclose()
    await dong_coi.aclose()


async def test_the_form_and_the_leaders_page_show_the_areas_own_deadline(start: Start):
    # Given Trạm Lộ's cadres owe the weekly report at 12:00, the rest at 14:00
    system = await start(OBLIGATIONS)

    # When a Trạm Lộ cadre opens the weekly form, and Trạm Lộ's leader their home
    cadre = await signed_in(system, "cb.tramlo.tramlo")
    form = (await cadre.get("/bao-cao/tuan?area=tram-lo-tram-lo")).text
    leader = await signed_in(system, "ld.ccb.tramlo")
    home = (await leader.get("/lanh-dao")).text

    # Then both say 12:00
    assert "Hạn gửi: 12:00 thứ Năm, 26/11/2026" in form
    assert "hạn báo cáo tuần 12:00 thứ Năm, 26/11/2026" in home
    await cadre.aclose()
    await leader.aclose()
