"""A unit report as a Word file: the same content as its HTML (unit_report_document.py),
with the official blocks of services/common/docx_official.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docx.document import Document

from services.common.docx_official import (
    CENTER,
    JUSTIFY,
    add_closing,
    add_grid,
    add_letterhead,
    add_title,
    new_document,
    para,
    to_bytes,
)

# Column widths in mm (165 mm of text): names and places wide, figures narrow.
FIGURES_MM = (105, 60)
MISSING_MM = (10, 50, 50, 55)
HOT_SPOTS_MM = (10, 62, 28, 25, 40)


def _text(doc: Document, text: str, empty: str = "Không có.") -> None:
    lines = [line for line in text.split("\n") if line.strip()]
    for line in lines:
        para(doc, line, align=JUSTIFY, indent=True)
    if not lines:
        para(doc, empty, italic=True, indent=True)


def render_docx(d: Mapping[str, Any]) -> bytes:
    doc = new_document()
    add_letterhead(doc, d["letterhead"])
    add_title(doc, d["title"], d["subject"], d["range"])
    r = d["rollup"]
    para(doc, "I. KẾT QUẢ NẮM TÌNH HÌNH, TIẾP NHẬN BÁO CÁO", bold=True)
    if r is None:
        para(doc, "Chưa có số liệu tổng hợp của kỳ báo cáo.", italic=True, indent=True)
    else:
        add_grid(doc, ["Nội dung", "Số lượng"], [
            ["Báo cáo phải gửi theo phân công", r.get("expected", 0)],
            ["Đã nhận", f"{r.get('received', 0)}/{r.get('expected', 0)} ({d['completeness']})"],
            ["Đúng hạn", r.get("on_time", 0)], ["Muộn", r.get("late", 0)],
            ["Chưa báo cáo", r.get("missing_count", 0)],
            ["Báo cáo đột xuất", r.get("urgent", 0)]], FIGURES_MM)
        if d["missing"]:
            para(doc, "Cán bộ, địa bàn chưa báo cáo:", italic=True)
            add_grid(doc, ["TT", "Cán bộ phụ trách", "Địa bàn", "Kỳ chưa gửi"],
                     [[i, m["cadre_name"], m["area_name"], m["periods"]]
                      for i, m in enumerate(d["missing"], 1)], MISSING_MM)
    para(doc, "II. TÌNH HÌNH NHÂN DÂN, HỘI VIÊN TRÊN ĐỊA BÀN", bold=True)
    para(doc, f"Đánh giá chung: tình hình {d['assessment']}.", indent=True)
    _text(doc, d["summary"], "")
    for i, (heading, text) in enumerate(d["situation"], 1):
        para(doc, f"{i}. {heading}", bold=True, italic=True)
        _text(doc, text)
    para(doc, "III. VỤ VIỆC NỔI CỘM, TỒN ĐỌNG, KÉO DÀI (ĐIỂM NÓNG)", bold=True)
    if d["hot_spots"]:
        add_grid(doc, ["TT", "Vụ việc", "Lĩnh vực", "Mức độ", "Địa bàn"],
                 [[i, f"{h['title']}. {h['description']}".strip(". "), h["category"],
                   h["severity"], h["area"]] for i, h in enumerate(d["hot_spots"], 1)],
                 HOT_SPOTS_MM)
    _text(doc, d["hot_spot_notes"], "" if d["hot_spots"] else
          "Trong kỳ không phát sinh vụ việc nổi cộm, điểm nóng.")
    for heading, key in (("IV. KẾT QUẢ HOẠT ĐỘNG CỦA ĐƠN VỊ", "unit_activities"),
                         ("V. KHÓ KHĂN, VƯỚNG MẮC", "difficulties"),
                         ("VI. DỰ BÁO TÌNH HÌNH", "forecast"),
                         ("VII. ĐỀ XUẤT, KIẾN NGHỊ", "proposals")):
        para(doc, heading, bold=True)
        _text(doc, d[key])
    para(doc, align=CENTER)
    add_closing(doc, d["closing"])
    return to_bytes(doc)
