"""Unit reports on the web and as documents, against the real intake on the demo network
(seed 002): the API's HTML and .docx, the leader's pages, and who may see and do what."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from docx import Document

from services.common.natsd import EmbeddedNats
from tests.integration.conftest import System, running_system
from tests.integration.test_unit_reports import (  # noqa: F401 - a fixture, used here
    W48,
    demo_store_file,
    drafted,
    leader,
)
from tests.integration.test_web_ports import FakeAggregator
from tests.integration.web_client import Browser, csrf_of, key_of, signed_in

pytestmark = pytest.mark.integration

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGES = "/lanh-dao/bao-cao-don-vi"


@pytest.fixture
async def system(tmp_path: Path, demo_store_file: Path,  # noqa: F811
                 nats_server: EmbeddedNats) -> AsyncIterator[System]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(demo_store_file, home / "events.sqlite")
    async with running_system(home, nats_server.url, aggregator=FakeAggregator()) as running:
        yield running


async def town_sent(system: System) -> str:
    town = await leader(system, "ld.ccb.thixa")
    rid = await drafted(town, "ccb-thi-xa", sections={"forecast": "Ổn định"},
                        signer={"title": "Chủ tịch", "name": "Nguyễn Văn Hùng"})
    resp = await town.post(rid, "send", "s1")
    assert resp.status_code == 200, resp.text
    return rid


async def test_the_api_answers_the_official_document_in_html_and_word(system: System):
    # Given the town association's weekly summary, sent
    rid = await town_sent(system)
    parent = await leader(system, "ld.bdv.thiuy")
    # When the parent asks for it as HTML and as .docx
    html = await system.client.get(f"/api/v1/unit-reports/{rid}", headers={
        **parent.headers(), "Accept": "text/html"})
    word = await system.client.get(f"/api/v1/unit-reports/{rid}?format=docx",
                                   headers=parent.headers())
    as_json = await system.client.get(f"/api/v1/unit-reports/{rid}", headers=parent.headers())
    # Then the HTML is the document: the state header, the number, Nơi nhận, the signer
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    for text in ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", '<div class="number">Số: 1/BC-CCB</div>',
                 "Ban Dân vận Thị ủy Thuận Thành (để báo cáo);", "Nơi nhận:",
                 "Nguyễn Văn Hùng", "tuần 48 năm 2026"):
        assert text in html.text
    # and the Word file the same, as an attachment
    assert word.status_code == 200 and word.headers["content-type"] == DOCX
    assert "attachment" in word.headers["content-disposition"]
    cells = "\n".join(c.text for t in Document(io.BytesIO(word.content)).tables
                      for row in t.rows for c in row.cells)
    assert "Số: 1/BC-CCB" in cells and "Nguyễn Văn Hùng" in cells
    assert as_json.headers["content-type"].startswith("application/json")


async def test_a_sibling_sees_neither_the_document_nor_the_page(system: System):
    # Given Hội CCB phường Hồ's weekly report, sent to the town association
    ho = await leader(system, "ld.ccb.ho")
    rid = await drafted(ho, "ccb-ho")
    assert (await ho.post(rid, "send", "s1")).status_code == 200
    # When the leader of Song Hồ, its sibling, asks for it every way
    sibling = await leader(system, "ld.ccb.songho")
    html = await system.client.get(f"/api/v1/unit-reports/{rid}", headers={
        **sibling.headers(), "Accept": "text/html"})
    word = await system.client.get(f"/api/v1/unit-reports/{rid}?format=docx",
                                   headers=sibling.headers())
    b = await signed_in(system, "ld.ccb.songho")
    try:
        page = await b.get(f"{PAGES}/{rid}")
        docx = await b.get(f"{PAGES}/{rid}.docx")
        listing = await b.get(PAGES)
    finally:
        await b.aclose()
    # Then each is "not found", and their list does not name it
    assert (html.status_code, word.status_code, page.status_code, docx.status_code) == (
        404, 404, 404, 404)
    assert rid not in listing.text


async def test_a_copy_recipient_acknowledges_but_cannot_return(system: System):
    rid = await town_sent(system)
    copy = await signed_in(system, "ld.btv.thiuy")
    parent = await signed_in(system, "ld.bdv.thiuy")
    try:
        # When the copy recipient opens the report
        page = await copy.get(f"{PAGES}/{rid}")
        assert page.status_code == 200
        # Then it shows the document and "Đã nhận", no "Trả lại"
        assert "Số: 1/BC-CCB" in page.text and "Đã nhận" in page.text
        assert f"{rid}/tra-lai" not in page.text
        # and a return posted anyway is refused, nothing changes
        refused = await copy.post_form(f"{PAGES}/{rid}/tra-lai", f"{PAGES}/{rid}",
                                       reason="Không đồng ý")
        assert refused.status_code == 403
        # When the copy recipient acknowledges it
        acked = await copy.post_form(f"{PAGES}/{rid}/da-nhan", f"{PAGES}/{rid}")
        assert acked.status_code == 303
        # Then the parent's page offers "Trả lại", and its inbox shows it
        assert f"{rid}/tra-lai" in (await parent.get(f"{PAGES}/{rid}")).text
        inbox = await parent.get(PAGES)
        assert rid in inbox.text and "Báo cáo nhận được" in inbox.text
    finally:
        await copy.aclose()
        await parent.aclose()
    town = await leader(system, "ld.ccb.thixa")
    body = (await town.get(rid)).json()
    assert body["status"] == "sent" and list(body["received_by"]) == ["btv-thi-uy"]


async def draft_form(b: Browser, kind: str = "weekly", period: str = W48) -> str:
    page = await b.get(f"{PAGES}/soan?loai={kind}&ky={period}")
    assert page.status_code == 200, page.text
    return page.text


async def test_a_double_submitted_draft_form_is_one_draft(system: System):
    b = await signed_in(system, "ld.ccb.thixa")
    try:
        # Given the compose form for the town's weekly summary, prefilled from the rollup
        form = await draft_form(b)
        assert "13:30" in form  # the town's summary is due Thursday 13:30
        fields = {"csrf_token": csrf_of(form), "idempotency_key": key_of(form),
                  "kind": "weekly", "period": W48, "assessment": "attention",
                  "summary": "Tình hình cơ bản ổn định.",
                  "section_forecast": "Ổn định", "proposals": "Đề nghị kinh phí",
                  "signer_title": "Chủ tịch", "signer_name": "Nguyễn Văn Hùng"}
        # When it is posted twice with the same key
        first = await b.client.post(f"{PAGES}/soan", data=fields)
        second = await b.client.post(f"{PAGES}/soan", data=fields)
        # Then both land on the same draft
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        rid = first.headers["location"].rsplit("/", 1)[-1]
        page = await b.get(f"{PAGES}/{rid}")
        assert "Số: …/BC-CCB" in page.text and "Đề nghị kinh phí" in page.text
        # and a form without its summary is refused with the field named, nothing recorded
        before = system.position()
        bad = await b.client.post(f"{PAGES}/soan", data={
            **fields, "idempotency_key": "other", "period": "2026-W47", "summary": ""})
        assert bad.status_code == 422 and "summary" in bad.text
        assert system.position() == before
    finally:
        await b.aclose()
    town = await leader(system, "ld.ccb.thixa")
    resp = await system.client.get("/api/v1/unit-reports", params={"box": "sent"},
                                   headers=town.headers())
    assert [r["unit_report_id"] for r in resp.json()["unit_reports"]] == [rid]


async def test_the_parents_home_shows_which_child_units_have_sent(system: System):
    await town_sent(system)
    b = await signed_in(system, "ld.bdv.thiuy")
    try:
        home = await b.get("/lanh-dao")
    finally:
        await b.aclose()
    assert home.status_code == 200
    block = re.search(r'<section[^>]*id="don-vi-bao-cao".*?</section>', home.text, re.S)
    assert block, "no completeness block for child units"
    assert "Hội Cựu chiến binh thị xã Thuận Thành" in block[0]
    assert "1/BC-CCB" in block[0] and "đúng hạn" in block[0]
