"""A unit report as the official document: the same letterhead, number, Nơi nhận and
signature as the rollup document, the seed's sections, and the rollup figures it was
drafted from; in HTML and in Word."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document

from services.common.official_document import letterhead, numbered
from services.intake.unit_report_document import build, render_article
from services.intake.unit_report_docx import render_docx
from tests.unit.test_official_document import AREAS, BDV_TOWN, CCB_TOWN, UNITS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=VN)


def _report(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "unit_report_id": "r1", "unit_id": "ccb-thi-xa", "kind": "weekly",
        "period": "2026-W48", "revision": 1, "status": "draft", "number": None,
        "content": {"assessment": "attention", "summary": "Tình hình cơ bản ổn định.",
                    "sections": {"forecast": "Dự báo ổn định.",
                                 "unit_activities": "Đã họp giao ban.",
                                 "socio_economic": "Sản xuất bình thường."},
                    "proposals": "Đề nghị hỗ trợ kinh phí."},
        "signer": {"title": "Chủ tịch", "name": "Nguyễn Văn An"},
        "prefill": {"rollup": {"expected": 12, "received": 10, "on_time": 9, "late": 1,
                               "completeness": 10 / 12, "missing_count": 2, "urgent": 1,
                               "hot_spot_count": 1,
                               "hot_spots": [{"title": "Tranh chấp đất", "severity": "high",
                                              "category": "land", "area_name": "Đông Côi",
                                              "description": "Hai hộ tranh chấp ranh giới"}],
                               "missing": [{"cadre_name": "Phạm Văn Toàn",
                                            "area_name": "Khu phố Á Lữ",
                                            "periods": ["2026-W48"]}]}},
        "recipients": [], "sent_at": None, "first_sent_at": None, "return_reason": None,
    }
    base.update(over)
    return base


def test_a_sent_number_is_printed_in_the_bodys_form_from_the_one_formatter():
    assert numbered(CCB_TOWN, "12/BC-CCB") == "Số: 12/BC-CCB"
    assert numbered(BDV_TOWN, "12-BC/BDV") == "Số 12-BC/BDV"
    assert letterhead(BDV_TOWN, "3-BC/BDV", NOW).number == "Số 3-BC/BDV"


def test_a_draft_shows_the_number_form_with_an_ellipsis_and_todays_date():
    doc = build(_report(), CCB_TOWN, UNITS, AREAS, NOW)
    assert doc["letterhead"].number == "Số: …/BC-CCB"
    assert doc["letterhead"].place_date == "Thuận Thành, ngày 26 tháng 11 năm 2026"
    assert doc["title"] == "BÁO CÁO"
    assert doc["subject"] == "Tình hình nhân dân và kết quả nắm tình hình tuần 48 năm 2026"


def test_a_sent_report_carries_its_number_its_sending_date_and_its_recipients():
    sent = _report(status="sent", number="1/BC-CCB", sent_at="2026-11-26T05:00:00+00:00",
                   first_sent_at="2026-11-26T05:00:00+00:00",
                   recipients=["bdv-thi-uy", "btv-thi-uy", "ccb-tinh"])
    doc = build(sent, CCB_TOWN, UNITS, AREAS, datetime(2026, 12, 2, 9, 0, tzinfo=VN))
    assert doc["letterhead"].number == "Số: 1/BC-CCB"
    assert doc["letterhead"].place_date == "Thuận Thành, ngày 26 tháng 11 năm 2026"
    assert doc["closing"].recipients == ("Ban Dân vận Thị ủy Thuận Thành (để báo cáo);",
                                         "Ban Thường vụ Thị ủy Thuận Thành (để báo cáo);",
                                         "Hội Cựu chiến binh tỉnh Bắc Ninh (để báo cáo);",
                                         "Lưu: VT.")
    sig = doc["closing"].signature
    assert (sig.on_behalf, sig.title, sig.name) == ("TM. BAN THƯỜNG VỤ", "CHỦ TỊCH",
                                                    "Nguyễn Văn An")


def test_sections_follow_the_seeds_order_with_the_rollup_figures_and_hot_spots():
    html = render_article(build(_report(), CCB_TOWN, UNITS, AREAS, NOW))
    order = ["I. KẾT QUẢ NẮM TÌNH HÌNH", "Tình hình phát triển kinh tế - xã hội",
             "III. VỤ VIỆC NỔI CỘM", "Tranh chấp đất", "KẾT QUẢ HOẠT ĐỘNG CỦA ĐƠN VỊ",
             "DỰ BÁO TÌNH HÌNH", "ĐỀ XUẤT, KIẾN NGHỊ", "Đề nghị hỗ trợ kinh phí", "Nơi nhận:"]
    places = [html.index(text) for text in order]
    assert places == sorted(places), list(zip(order, places, strict=True))
    assert "10/12" in html and "Phạm Văn Toàn" in html
    assert "cần chú ý" in html
    assert '<div class="number">Số: …/BC-CCB</div>' in html


def test_the_word_file_is_the_same_document_in_vietnamese():
    data = render_docx(build(_report(status="sent", number="1/BC-CCB",
                                     sent_at="2026-11-26T05:00:00+00:00",
                                     recipients=["bdv-thi-uy"]),
                             CCB_TOWN, UNITS, AREAS, NOW))
    word = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in word.paragraphs)
    cells = "\n".join(c.text for t in word.tables for row in t.rows for c in row.cells)
    assert "Số: 1/BC-CCB" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert "BÁO CÁO" in text and "Dự báo ổn định." in text and "Tranh chấp đất" in cells
    assert "Nguyễn Văn An" in cells and "Ban Dân vận Thị ủy Thuận Thành (để báo cáo);" in cells
