"""The fixed parts of an official document by the issuing body: Nghị định 30/2020 for
associations, Hướng dẫn 36-HD/VPTW for party bodies; in HTML and in Word."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from domain.network_records import Area, Unit
from services.common import docx_official
from services.common.official_document import (
    closing,
    dated,
    document_number,
    issuer_lines,
    letterhead,
)
from services.common.templating import environment

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime(2026, 11, 26, 16, 30, tzinfo=VN)

AREAS = {a.id: a for a in (Area("bac-ninh", "Tỉnh Bắc Ninh", "province"),
                           Area("thuan-thanh", "Thị xã Thuận Thành", "town", "bac-ninh"),
                           Area("gia-dong", "Phường Gia Đông", "ward", "thuan-thanh"))}
CCB_TOWN = Unit("ccb-thi-xa", "Hội Cựu chiến binh thị xã Thuận Thành", "association",
                parent="bdv-thi-uy", copies_to=("btv-thi-uy", "ccb-tinh", "ccb-gia-dong"),
                area_ids=("thuan-thanh",), place="Thuận Thành", code="CCB",
                superior="HỘI CCB TỈNH BẮC NINH")
BDV_TOWN = Unit("bdv-thi-uy", "Ban Dân vận Thị ủy Thuận Thành", "party", parent="bdv-tinh-uy",
                area_ids=("thuan-thanh",), place="Thuận Thành", code="BDV",
                superior="THỊ ỦY THUẬN THÀNH")
BTV_TOWN = Unit("btv-thi-uy", "Ban Thường vụ Thị ủy Thuận Thành", "party",
                area_ids=("thuan-thanh",), place="Thuận Thành", code="TU",
                superior="ĐẢNG BỘ TỈNH BẮC NINH")
UNITS = {u.id: u for u in (
    CCB_TOWN, BDV_TOWN, BTV_TOWN,
    Unit("bdv-tinh-uy", "Ban Dân vận Tỉnh ủy Bắc Ninh", "party", area_ids=("bac-ninh",)),
    Unit("ccb-tinh", "Hội Cựu chiến binh tỉnh Bắc Ninh", "association",
         area_ids=("bac-ninh",)),
    Unit("ccb-gia-dong", "Hội Cựu chiến binh phường Gia Đông", "association",
         area_ids=("gia-dong",)))}


def test_an_association_numbers_as_decree_30_and_a_party_body_as_guideline_36():
    assert document_number(CCB_TOWN, 12) == "Số: 12/BC-CCB"
    assert document_number(BDV_TOWN, 12) == "Số 12-BC/BDV"


def test_a_draft_keeps_the_form_with_an_ellipsis_for_the_number():
    assert document_number(CCB_TOWN, None) == "Số: …/BC-CCB"
    assert document_number(BDV_TOWN, None) == "Số …-BC/BDV"


def test_the_party_issuer_does_not_repeat_its_superior():
    assert issuer_lines(BDV_TOWN) == ("THỊ ỦY THUẬN THÀNH", "BAN DÂN VẬN")
    assert issuer_lines(BTV_TOWN) == ("ĐẢNG BỘ TỈNH BẮC NINH", "THỊ ỦY THUẬN THÀNH")
    assert issuer_lines(CCB_TOWN) == ("HỘI CCB TỈNH BẮC NINH",
                                      "HỘI CỰU CHIẾN BINH THỊ XÃ THUẬN THÀNH")


def test_the_letterhead_carries_the_national_or_the_party_title():
    state = letterhead(CCB_TOWN, 7, DAY)
    assert state.national == ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    assert state.place_date == "Thuận Thành, ngày 26 tháng 11 năm 2026"
    party = letterhead(BDV_TOWN, None, DAY)
    assert party.national == ("ĐẢNG CỘNG SẢN VIỆT NAM",) and party.layout == "party"
    assert party.number == "Số …-BC/BDV"


def test_dates_take_a_leading_zero_below_ten_and_in_january_and_february():
    assert dated("Hồ", datetime(2026, 2, 5, tzinfo=VN)) == "Hồ, ngày 05 tháng 02 năm 2026"
    assert dated("Hồ", datetime(2026, 3, 5, tzinfo=VN)) == "Hồ, ngày 05 tháng 3 năm 2026"


def test_recipients_report_up_and_inform_sideways_and_file_a_copy():
    # Given the town association: parent Ban Dân vận, copies to the standing committee and
    # the province above, and to a ward association below it
    lines = closing(CCB_TOWN, UNITS, AREAS).recipients
    assert lines == ("Ban Dân vận Thị ủy Thuận Thành (để báo cáo);",
                     "Ban Thường vụ Thị ủy Thuận Thành (để báo cáo);",
                     "Hội Cựu chiến binh tỉnh Bắc Ninh (để báo cáo);",
                     "Hội Cựu chiến binh phường Gia Đông (để biết);",
                     "Lưu: VT.")
    party = closing(BDV_TOWN, UNITS, AREAS).recipients
    assert party == ("Ban Dân vận Tỉnh ủy Bắc Ninh (để báo cáo),", "Lưu Văn phòng.")


def test_the_signature_by_body_with_the_signer_once_known():
    assert closing(CCB_TOWN, UNITS, AREAS).signature == \
        closing(CCB_TOWN, UNITS, AREAS, None).signature
    sig = closing(CCB_TOWN, UNITS, AREAS, "Nguyễn Văn An").signature
    assert (sig.on_behalf, sig.title, sig.name) == ("TM. BAN THƯỜNG VỤ", "CHỦ TỊCH",
                                                    "Nguyễn Văn An")
    board = closing(BDV_TOWN, UNITS, AREAS).signature
    assert (board.on_behalf, board.title, board.name) == (None, "TRƯỞNG BAN", None)
    committee = closing(BTV_TOWN, UNITS, AREAS, "Trần Văn Bắc", "Phó Bí thư").signature
    assert (committee.on_behalf, committee.title) == ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ")


def _html(unit: Unit, number: int | None, signer: str | None = None) -> str:
    page = environment().from_string(
        '{% include "official/_letterhead.html.j2" %}{% include "official/_closing.html.j2" %}')
    return page.render(letterhead=letterhead(unit, number, DAY),
                       closing=closing(unit, UNITS, AREAS, signer))


def test_the_html_partials_lay_out_an_association_document():
    html = _html(CCB_TOWN, 12, "Nguyễn Văn An")
    for text in ('<div class="superior">HỘI CCB TỈNH BẮC NINH</div>',
                 '<div class="national-1">CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>',
                 '<div class="national-2">Độc lập - Tự do - Hạnh phúc</div>',
                 '<div class="number">Số: 12/BC-CCB</div>', "Nơi nhận:",
                 "- Lưu: VT.", '<div class="on-behalf">TM. BAN THƯỜNG VỤ</div>',
                 '<div class="signer">Nguyễn Văn An</div>', 'class="rule"'):
        assert text in html, text
    assert "ĐẢNG CỘNG SẢN" not in html and 'class="star"' not in html


def test_the_html_partials_lay_out_a_party_document():
    html = _html(BDV_TOWN, None)
    for text in ('<div class="national-1">ĐẢNG CỘNG SẢN VIỆT NAM</div>',
                 '<div class="star">*</div>', '<div class="number">Số …-BC/BDV</div>',
                 '<div class="sign-title">TRƯỞNG BAN</div>', 'class="letterhead party"'):
        assert text in html, text
    assert "CỘNG HOÀ" not in html and 'class="signer"' not in html


def _docx(unit: Unit) -> Document:
    doc = docx_official.new_document()
    docx_official.add_letterhead(doc, letterhead(unit, 12, DAY))
    docx_official.add_grid(doc, ["TT", "Cán bộ phụ trách", "Số lượng"],
                           [[1, "Nguyễn Văn An", 3]], [10, 120, 35])
    docx_official.add_closing(doc, closing(unit, UNITS, AREAS, "Nguyễn Văn An"))
    return Document(io.BytesIO(docx_official.to_bytes(doc)))


def test_the_word_file_is_vietnamese_a4_in_times_new_roman():
    doc = _docx(CCB_TOWN)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    assert defaults is not None
    lang = defaults.find(".//" + qn("w:lang"))
    assert lang is not None and lang.get(qn("w:val")) == "vi-VN"
    normal = doc.styles["Normal"]
    assert normal.element.find(".//" + qn("w:lang")).get(qn("w:val")) == "vi-VN"
    assert normal.font.name == "Times New Roman" and 13 <= normal.font.size.pt <= 14
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20


def test_the_word_motto_is_one_line_and_the_header_a_borderless_two_column_table():
    doc = _docx(CCB_TOWN)
    header = doc.tables[0]
    assert len(header.columns) == 2 and header.style.name != "Table Grid"
    right = header.rows[0].cells[1]
    motto = [p for p in right.paragraphs if "Độc lập" in p.text]
    assert [p.text for p in motto] == ["Độc lập - Tự do - Hạnh phúc"]
    assert "\n" not in motto[0].text and len(motto[0].runs) == 1 and motto[0].runs[0].underline
    widths = [c.width for c in header.rows[0].cells]
    assert all(w is not None for w in widths) and widths[1] > widths[0]
    assert sum(widths) <= Mm(166)
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "Số: 12/BC-CCB" in cells and "Nơi nhận:" in cells and "Nguyễn Văn An" in cells


def test_word_tables_set_widths_on_every_cell_names_wider_than_figures():
    doc = _docx(CCB_TOWN)
    grid = next(t for t in doc.tables if t.style.name == "Table Grid")
    for row in grid.rows:
        assert [round(c.width.mm) for c in row.cells] == [10, 120, 35]
    grid_cols = grid._tbl.tblGrid.findall(qn("w:gridCol"))
    assert [int(c.get(qn("w:w"))) for c in grid_cols] == [Mm(w).twips for w in (10, 120, 35)]


def test_the_party_word_header_underlines_the_party_title_and_stars_the_issuer():
    doc = _docx(BDV_TOWN)
    left, right = doc.tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == ["THỊ ỦY THUẬN THÀNH", "BAN DÂN VẬN",
                                                          "*"]
    title = right.paragraphs[0]
    assert title.text == "ĐẢNG CỘNG SẢN VIỆT NAM" and title.runs[0].underline
    assert "CỘNG HOÀ" not in "\n".join(p.text for p in right.paragraphs)
