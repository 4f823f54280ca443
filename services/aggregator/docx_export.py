"""The report document as a Word file, the same content as the HTML, laid out with the
official blocks of services/common/docx_official.py."""

from __future__ import annotations

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
CHILDREN_MM = (9, 44, 14, 14, 14, 12, 14, 15, 29)
MISSING_MM = (9, 38, 33, 53, 32)
COUNTS_MM = (125, 40)
HOT_SPOTS_MM = (9, 46, 22, 18, 24, 24, 22)


def _excerpts(doc: Document, items: list[dict[str, str]], empty: str) -> None:
    for item in items:
        para(doc, f"- {item['source']}: {item['text']}", align=JUSTIFY)
    if not items and empty:
        para(doc, empty, italic=True)


def render_docx(d: dict[str, Any]) -> bytes:
    doc = new_document()
    add_letterhead(doc, d["letterhead"])
    r = d["rollup"]
    add_title(doc, d["title"], d["subject"], d["range"])
    para(doc, f"{d['unit_name']} báo cáo tình hình nhân dân và kết quả nắm tình hình "
              f"{d['span']} trên địa bàn được phân công như sau:", align=JUSTIFY, indent=True)
    para(doc, "I. KẾT QUẢ NẮM TÌNH HÌNH, TIẾP NHẬN BÁO CÁO", bold=True)
    para(doc, f"Tổng số báo cáo phải gửi theo phân công: {r['expected']}; đã nhận: "
              f"{r['received']} (đạt {d['completeness']}), trong đó đúng hạn {r['on_time']}, "
              f"muộn {r['late']}; chưa báo cáo: {r['missing_count']}. Báo cáo đột xuất: "
              f"{r['urgent']}.", align=JUSTIFY, indent=True)
    if d["children"]:
        add_grid(doc, ["TT", "Đơn vị", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Muộn",
                       "Chưa báo cáo", "Tỷ lệ", "Đánh giá"],
                 [[i, c["unit_name"], c["expected"], c["received"], c["on_time"], c["late"],
                   c["missing"], c["completeness_text"], c["assessment_text"]]
                  for i, c in enumerate(d["children"], 1)], CHILDREN_MM)
    if d["missing"]:
        para(doc, "Danh sách cán bộ, địa bàn chưa báo cáo:", italic=True)
        add_grid(doc, ["TT", "Cán bộ phụ trách", "Địa bàn", "Báo cáo chưa gửi", "Hạn"],
                 [[i, m["cadre_name"], m["area_name"], m["periods_text"],
                   m["deadline_text"] + ("" if m["due"] else " (chưa đến hạn)")]
                  for i, m in enumerate(d["missing"], 1)], MISSING_MM)
        if d["missing_more"] > 0:
            para(doc, f"… và {d['missing_more']} trường hợp khác.", italic=True)
    para(doc, "II. TÌNH HÌNH NHÂN DÂN, HỘI VIÊN TRÊN ĐỊA BÀN", bold=True)
    para(doc, f"Đánh giá chung: tình hình {d['assessment']}.", indent=True)
    _excerpts(doc, d["summaries"], "")
    for i, section in enumerate(d["situation"], 1):
        para(doc, f"{i}. {section['heading']}", bold=True, italic=True)
        _excerpts(doc, section["items"], "Không có nội dung mới.")
    if d["counts"]:
        para(doc, f"{len(d['situation']) + 1}. Số liệu tổng hợp", bold=True, italic=True)
        add_grid(doc, ["Nội dung", "Số lượng"], [[label, value] for label, value in d["counts"]],
                 COUNTS_MM)
    para(doc, "III. VỤ VIỆC NỔI CỘM, TỒN ĐỌNG, KÉO DÀI (ĐIỂM NÓNG)", bold=True)
    if d["hot_spots"]:
        add_grid(doc, ["TT", "Vụ việc", "Lĩnh vực", "Mức độ", "Địa bàn", "Người báo cáo",
                       "Thời gian"],
                 [[i, f"{h['title']}. {h['description']}".strip(". "), h["category_text"],
                   h["severity_text"], h["area_name"], h["cadre_name"], h["when"]]
                  for i, h in enumerate(d["hot_spots"], 1)], HOT_SPOTS_MM)
    else:
        para(doc, "Trong kỳ không phát sinh vụ việc nổi cộm, điểm nóng.", indent=True)
    _excerpts(doc, d["hot_spot_notes"]["items"], "")
    para(doc, "IV. KHÓ KHĂN, VƯỚNG MẮC", bold=True)
    _excerpts(doc, d["difficulties"]["items"], "Không có.")
    para(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    _excerpts(doc, d["proposals"]["items"], "Không có.")
    para(doc, align=CENTER)
    add_closing(doc, d["closing"])
    return to_bytes(doc)
