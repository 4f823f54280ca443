"""The report document: Vietnamese administrative layout, HTML snapshot and .docx export.

The stored HTML is regenerated only deliberately:
``UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/unit/test_aggregator_document.py``.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from domain.clock import FixedClock
from domain.periods import Period
from services.aggregator.document import span
from services.aggregator.service import RollupService
from services.common.official_document import dated
from services.common.plan_file import load_plan
from tests.unit.test_aggregator_projection import VN, Model

DEMO = Path(__file__).resolve().parents[2] / "plans" / "demo-thuan-thanh.toml"
SNAPSHOT = Path(__file__).parent / "snapshots" / "aggregator_ccb-thi-xa_2026-W48.html"
NOW = datetime(2026, 11, 26, 16, 30, tzinfo=VN)
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=VN)


@pytest.fixture
async def town(tmp_path: Path) -> AsyncIterator[Model]:
    """The demo town in week 48: some reports in, one late, one hot spot, one silent area."""
    m = Model(tmp_path / "aggregator.sqlite")
    await m.open()
    w = m.writer
    await m.feed(*w.plan(load_plan(DEMO)))
    await m.feed(
        w.report("weekly", "ho-dong-coi", "cb-ho-dong-coi", THURSDAY, period="2026-W48",
                 summary="Nhân dân phấn khởi, tình hình ổn định.",
                 counts={"complaints_received": 1, "households_visited": 24},
                 sections={"life_and_mood": "Đời sống nhân dân ổn định, việc làm đủ.",
                           "proposals": "Đề nghị sửa đường liên thôn trước mùa mưa."},
                 key="w48-dong-coi"),
        w.report("weekly", "ho-a-lu", "cb-ho-a-lu", THURSDAY, period="2026-W48",
                 assessment="complex", summary="Tranh chấp đất <giáp ranh> kéo dài.",
                 hot_spots=[{"category": "land", "severity": "high",
                             "title": "Tranh chấp đất giữa hai hộ",
                             "description": "Đã hoà giải một lần, chưa thành."}],
                 sections={"complaints": "Hai đơn khiếu nại về đất đai.",
                           "difficulties": "Hồ sơ đất đai cũ không đầy đủ."},
                 counts={"complaints_received": 2}, key="w48-a-lu"),
        w.report("weekly", "song-ho-dong-ho", "cb-song-ho-dong-ho",
                 datetime(2026, 11, 26, 15, 10, tzinfo=VN), period="2026-W48",
                 assessment="attention", summary="Một số hộ lo lắng về giá phân bón.",
                 sections={"opinions": "Kiến nghị hỗ trợ giá vật tư nông nghiệp."},
                 key="w48-dong-ho"),
        w.report("urgent", "gia-dong-tam-a", "cb-gia-dong-tam-a",
                 datetime(2026, 11, 25, 20, 0, tzinfo=VN), assessment="complex",
                 summary="Tụ tập đông người tại trụ sở thôn.",
                 hot_spots=[{"category": "security", "severity": "urgent",
                             "title": "Tụ tập đông người", "description": ""}],
                 key="urgent-tam-a"))
    try:
        yield m
    finally:
        await m.close()


def service(model: Model) -> RollupService:
    return RollupService(model.reader, lambda: model.projector.network, FixedClock(NOW))


async def test_the_town_report_matches_the_stored_snapshot(town: Model):
    html = await service(town).html("ccb-thi-xa", "2026-W48")
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(html, encoding="utf-8")
    assert html == SNAPSHOT.read_text(encoding="utf-8")


async def test_a_month_report_names_each_silent_cadre_once_with_the_weeks_missed(town: Model):
    # Given the demo town, where Đặng Xá's own cadre sent nothing in November
    # When the town's November report is rendered
    html = await service(town).html("ccb-thi-xa", "2026-11")
    # Then Lê Văn Bình has one row, naming the four weeks missed, latest first
    rows = [r for r in html.split("<tr>") if "Lê Văn Bình" in r]
    assert len(rows) == 1
    assert "báo cáo tuần 2026-W48, 2026-W47, 2026-W46, 2026-W45" in rows[0]


async def test_an_association_report_follows_decree_30(town: Model):
    html = await service(town).html("ccb-thi-xa", "2026-W48")
    for text in ("HỘI CCB TỈNH BẮC NINH", "HỘI CỰU CHIẾN BINH THỊ XÃ THUẬN THÀNH",
                 "Số: …/BC-CCB", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Thuận Thành, ngày 26 tháng 11 năm 2026",
                 "BÁO CÁO", "tuần 48 năm 2026", "từ ngày 23/11/2026 đến ngày 29/11/2026",
                 "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", "Nơi nhận:",
                 "Ban Dân vận Thị ủy Thuận Thành (để báo cáo);",
                 "Hội Cựu chiến binh tỉnh Bắc Ninh (để báo cáo);", "size: A4"):
        assert text in html, text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in html


async def test_a_party_report_follows_guideline_36(town: Model):
    html = await service(town).html("bdv-thi-uy", "2026-W48")
    # HD 36: the board under its committee ("THỊ ỦY THUẬN THÀNH" over "BAN DÂN VẬN"), lines
    # of "Nơi nhận" ending with a comma
    for text in ('<div class="superior">THỊ ỦY THUẬN THÀNH</div>',
                 '<div class="issuer-name">BAN DÂN VẬN</div>',
                 '<div class="star">*</div>', "Số …-BC/BDV", "ĐẢNG CỘNG SẢN VIỆT NAM",
                 "TRƯỞNG BAN", "Ban Dân vận Tỉnh ủy Bắc Ninh (để báo cáo),",
                 "Ban Thường vụ Thị ủy Thuận Thành (để báo cáo),"):
        assert text in html, text
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in html


async def test_what_cadres_wrote_is_escaped_and_filed_under_its_heading(town: Model):
    html = await service(town).html("ccb-thi-xa", "2026-W48")
    assert "Tranh chấp đất &lt;giáp ranh&gt; kéo dài." in html
    assert "<giáp ranh>" not in html
    proposals = html.index("V. ĐỀ XUẤT, KIẾN NGHỊ")
    assert html.index("Đề nghị sửa đường liên thôn", proposals) > proposals
    assert "Tụ tập đông người" in html and "khẩn cấp" in html


async def test_the_month_docx_also_gives_a_silent_cadre_one_row(town: Model):
    # Given the demo town, where Đặng Xá's own cadre sent nothing in November
    # When the town's November report is exported as .docx
    doc = Document(io.BytesIO(await service(town).docx("ccb-thi-xa", "2026-11")))
    # Then the missing table has one row for Lê Văn Bình, with the four weeks
    rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows
            if any(c.text == "Lê Văn Bình" for c in row.cells)]
    assert len(rows) == 1
    assert "báo cáo tuần 2026-W48, 2026-W47, 2026-W46, 2026-W45" in rows[0]


async def test_the_docx_is_an_a4_document_with_the_same_content(town: Model):
    data = await service(town).docx("ccb-thi-xa", "2026-W48")
    doc = Document(io.BytesIO(data))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in text and "tuần 48 năm 2026" in text
    cells = "\n".join(cell.text for table in doc.tables for row in table.rows
                      for cell in row.cells)
    for expected in ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: …/BC-CCB",
                     "Hội Cựu chiến binh phường Hồ", "Tranh chấp đất giữa hai hộ",
                     "Nơi nhận:", "TM. BAN THƯỜNG VỤ"):
        assert expected in cells, expected


def test_periods_and_dates_read_as_documents_write_them():
    assert span(Period.parse("2026-W48")) == "tuần 48 năm 2026"
    assert span(Period.parse("2026-Q4")) == "quý IV năm 2026"
    assert span(Period.parse("2026-H1")) == "6 tháng đầu năm 2026"
    assert span(Period.parse("2026")) == "năm 2026"
    assert dated("Hồ", datetime(2026, 2, 5, tzinfo=VN)) == "Hồ, ngày 05 tháng 02 năm 2026"
    assert dated("Hồ", datetime(2026, 11, 26, tzinfo=VN)) == "Hồ, ngày 26 tháng 11 năm 2026"


async def test_the_docx_tables_give_names_more_room_than_figures_on_every_cell(town: Model):
    doc = Document(io.BytesIO(await service(town).docx("ccb-thi-xa", "2026-W48")))
    children = next(t for t in doc.tables if t.rows[0].cells[1].text == "Đơn vị")
    for row in children.rows:
        widths = [c.width for c in row.cells]
        assert None not in widths
        assert widths[1] > 2 * max(widths[2:8])  # the unit's name against each figure
    lang = doc.styles["Normal"].element.find(".//" + qn("w:lang"))
    assert lang is not None and lang.get(qn("w:val")) == "vi-VN"
    header = [p.text for c in doc.tables[0].rows[0].cells for p in c.paragraphs]
    assert "Độc lập - Tự do - Hạnh phúc" in header
