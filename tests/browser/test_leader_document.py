"""The leader's document page is the API's official document: on a phone, printed, and as
a .docx through the web session; the state letterhead for an association, the party's for a
party body. The aggregator runs in-process, on the stream, as in production."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import expect

from services.common.settings import Settings
from tests.browser.conftest import Served, no_horizontal_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def aggregated(served: Served, tmp_path: Any) -> Iterator[Served]:
    """The served site with a real aggregator on its nats-server, once it answers rollups."""
    from services.aggregator.bootstrap import bootstrap

    settings = Settings(home=tmp_path / "aggregator", nats_url=served.runtime.settings.nats_url)
    runtime = bootstrap(settings, clock=served.clock)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="aggregator", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(runtime.start(), loop).result(timeout=30)
    try:
        token = served.token("ld.bdv.tinhuy")
        deadline = time.monotonic() + 30
        while served.api("GET", "/api/v1/units/bdv-tinh-uy/rollups/2026-W48",
                         token).status_code != 200:
            assert time.monotonic() < deadline, "the aggregator never answered"
            time.sleep(0.2)
        yield served
    finally:
        asyncio.run_coroutine_threadsafe(runtime.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def test_an_association_leader_reads_prints_and_downloads_the_document(
    phone: Any, aggregated: Served,
) -> None:
    # Given the ward association's leader on a phone
    sign_in(phone, "ld.ccb.thuanthanh")
    # When they open this week's document
    phone.goto("/lanh-dao/tong-hop?ky=2026-W48")
    doc = phone.locator("article.official")
    # Then it is the official document: the state letterhead, the number line, Nơi nhận and
    # the signature block, and it fits the phone
    expect(doc.locator(".national-1")).to_have_text("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(doc.locator(".national-2")).to_have_text("Độc lập - Tự do - Hạnh phúc")
    expect(doc.locator(".issuer-name")).to_have_text("HỘI CỰU CHIẾN BINH PHƯỜNG THUẬN THÀNH")
    expect(doc.locator(".number")).to_have_text("Số: …/BC-CCB")
    expect(doc.locator(".recipients")).to_contain_text("Nơi nhận:")
    expect(doc.locator(".recipients")).to_contain_text(
        "Hội Cựu chiến binh tỉnh Bắc Ninh (để báo cáo);")
    expect(doc.locator(".on-behalf")).to_have_text("TM. BAN THƯỜNG VỤ")
    expect(doc.locator(".sign-title")).to_have_text("CHỦ TỊCH")
    expect(doc.locator(".star")).to_have_count(0)
    # the silent branch's cadre on one line with the period missed
    expect(doc.locator("table.missing")).to_contain_text("Phạm Văn Toàn")
    expect(doc.locator("table.missing")).to_contain_text("báo cáo tuần 2026-W48")
    motto = doc.locator(".national-2")
    assert motto.evaluate("e => e.getClientRects().length") == 1
    no_horizontal_scroll(phone)
    shot(phone, "leader-document-phone")

    # When printed: the site's chrome is gone, the document stays, the motto one line
    expect(phone.get_by_role("button", name="In văn bản")).to_be_visible()
    phone.emulate_media(media="print")
    expect(phone.locator("header.top")).to_be_hidden()
    expect(phone.locator(".document-actions")).to_be_hidden()
    expect(doc.locator(".number")).to_be_visible()
    line = motto.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
    assert motto.evaluate("e => e.getBoundingClientRect().height") < 1.8 * line
    phone.emulate_media(media="screen")

    # When they download the .docx: it is a valid Word file of the same document
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Tải về (.docx)").click()
    data = Path(download.value.path()).read_bytes()
    word = Document(io.BytesIO(data))
    cells = "\n".join(c.text for t in word.tables for r in t.rows for c in r.cells)
    assert "Số: …/BC-CCB" in cells and "Nơi nhận:" in cells and "TM. BAN THƯỜNG VỤ" in cells
    assert download.value.suggested_filename == "bao-cao-ccb-thuan-thanh-2026-W48.docx"


def test_a_party_leader_sees_the_party_letterhead(phone: Any, aggregated: Served) -> None:
    # Given the provincial Ban Dân vận's leader
    sign_in(phone, "ld.bdv.tinhuy")
    # When they open the week's document
    phone.goto("/lanh-dao/tong-hop?ky=2026-W48")
    doc = phone.locator("article.official")
    # Then it carries the party's letterhead (HD 36), number form and signature
    expect(doc.locator(".national-1")).to_have_text("ĐẢNG CỘNG SẢN VIỆT NAM")
    expect(doc.locator(".star")).to_have_text("*")
    expect(doc.locator(".superior")).to_have_text("TỈNH ỦY BẮC NINH")
    expect(doc.locator(".issuer-name")).to_have_text("BAN DÂN VẬN")
    expect(doc.locator(".number")).to_have_text("Số …-BC/BDVTU")
    expect(doc.locator(".sign-title")).to_have_text("TRƯỞNG BAN")
    expect(doc.locator(".recipients")).to_contain_text("Lưu Văn phòng.")
    expect(doc).not_to_contain_text("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    no_horizontal_scroll(phone)
    shot(phone, "leader-document-party")
