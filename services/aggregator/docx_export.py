"""The report document as a Word file (python-docx), the same content as the HTML."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY


def _para(cell_or_doc: Any, text: str = "", *, bold: bool = False, italic: bool = False,
          underline: bool = False, size: float = 14, align: Any = None,
          indent: bool = False) -> Paragraph:
    paragraph: Paragraph = cell_or_doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(3)
    if indent:
        fmt.first_line_indent = Cm(1.27)
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
        run.font.name = FONT
    return paragraph


def _grid(doc: Document, headers: list[str], rows: list[list[Any]]) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0].alignment = CENTER
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(12)
    for row in rows:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]  # python-docx is partly typed
        for cell, value in zip(cells, row, strict=True):
            run = cell.paragraphs[0].add_run(str(value))
            run.font.size = Pt(12)
    return table


def _page(doc: Document) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)


def _header(doc: Document, d: dict[str, Any]) -> None:
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].alignment = CENTER
    if d["superior"]:
        run = left.paragraphs[0].add_run(d["superior"])
        run.font.size = Pt(13)
    _para(left, d["issuer"], bold=True, size=13, align=CENTER)
    _para(left, "*" if d["layout"] == "party" else "", size=13, align=CENTER)
    _para(left, d["number"], size=13, align=CENTER)
    right.paragraphs[0].alignment = CENTER
    first = right.paragraphs[0].add_run(d["motto"][0])
    first.bold = True
    first.font.size = Pt(13)
    first.underline = d["layout"] == "party"
    for line in d["motto"][1:]:
        _para(right, line, bold=True, underline=True, size=14, align=CENTER)
    _para(right, d["place_date"], italic=True, size=14, align=CENTER)


def _excerpts(doc: Document, items: list[dict[str, str]], empty: str) -> None:
    for item in items:
        _para(doc, f"- {item['source']}: {item['text']}", align=JUSTIFY)
    if not items:
        _para(doc, empty, italic=True)


def render_docx(d: dict[str, Any]) -> bytes:
    doc = new_document()
    _page(doc)
    _header(doc, d)
    r = d["rollup"]
    _para(doc, d["title"], bold=True, size=15, align=CENTER)
    _para(doc, d["subject"], bold=True, align=CENTER)
    _para(doc, f"({d['range']})", italic=True, align=CENTER)
    _para(doc, f"{d['unit_name']} báo cáo tình hình nhân dân và kết quả nắm tình hình "
               f"{d['span']} trên địa bàn được phân công như sau:", align=JUSTIFY, indent=True)
    _para(doc, "I. KẾT QUẢ NẮM TÌNH HÌNH, TIẾP NHẬN BÁO CÁO", bold=True)
    _para(doc, f"Tổng số báo cáo phải gửi theo phân công: {r['expected']}; đã nhận: "
               f"{r['received']} (đạt {d['completeness']}), trong đó đúng hạn {r['on_time']}, "
               f"muộn {r['late']}; chưa báo cáo: {r['missing_count']}. Báo cáo đột xuất: "
               f"{r['urgent']}.", align=JUSTIFY, indent=True)
    if d["children"]:
        _grid(doc, ["TT", "Đơn vị", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Muộn",
                    "Chưa báo cáo", "Tỷ lệ", "Đánh giá"],
              [[i, c["unit_name"], c["expected"], c["received"], c["on_time"], c["late"],
                c["missing"], c["completeness_text"], c["assessment_text"]]
               for i, c in enumerate(d["children"], 1)])
    if d["missing"]:
        _para(doc, "Danh sách cán bộ, địa bàn chưa báo cáo:", italic=True)
        _grid(doc, ["TT", "Cán bộ phụ trách", "Địa bàn", "Loại báo cáo", "Hạn"],
              [[i, m["cadre_name"], m["area_name"], m["periods_text"],
                m["deadline_text"]] for i, m in enumerate(d["missing"], 1)])
    _para(doc, "II. TÌNH HÌNH NHÂN DÂN, HỘI VIÊN TRÊN ĐỊA BÀN", bold=True)
    _para(doc, f"Đánh giá chung: tình hình {d['assessment']}.", indent=True)
    _excerpts(doc, d["summaries"], "")
    for i, section in enumerate(d["situation"], 1):
        _para(doc, f"{i}. {section['heading']}", bold=True, italic=True)
        _excerpts(doc, section["items"], "Không có nội dung mới.")
    if d["counts"]:
        _para(doc, f"{len(d['situation']) + 1}. Số liệu tổng hợp", bold=True, italic=True)
        _grid(doc, ["Nội dung", "Số lượng"], [[label, value] for label, value in d["counts"]])
    _para(doc, "III. VỤ VIỆC NỔI CỘM, TỒN ĐỌNG, KÉO DÀI (ĐIỂM NÓNG)", bold=True)
    if d["hot_spots"]:
        _grid(doc, ["TT", "Vụ việc", "Lĩnh vực", "Mức độ", "Địa bàn", "Người báo cáo",
                    "Thời gian"],
              [[i, f"{h['title']}. {h['description']}".strip(". "), h["category_text"],
                h["severity_text"], h["area_name"], h["cadre_name"], h["when"]]
               for i, h in enumerate(d["hot_spots"], 1)])
    else:
        _para(doc, "Trong kỳ không phát sinh vụ việc nổi cộm, điểm nóng.", indent=True)
    _excerpts(doc, d["hot_spot_notes"]["items"], "")
    _para(doc, "IV. KHÓ KHĂN, VƯỚNG MẮC", bold=True)
    _excerpts(doc, d["difficulties"]["items"], "Không có.")
    _para(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    _excerpts(doc, d["proposals"]["items"], "Không có.")
    closing = doc.add_table(rows=1, cols=2)
    left, right = closing.rows[0].cells
    title = left.paragraphs[0].add_run("Nơi nhận:")
    title.bold, title.italic = d["layout"] != "party", d["layout"] != "party"
    title.underline = d["layout"] == "party"
    title.font.size = Pt(12)
    for line in d["recipients"]:
        _para(left, f"- {line}", size=11)
    right.paragraphs[0].alignment = CENTER
    if d["signature"]["on_behalf"]:
        run = right.paragraphs[0].add_run(d["signature"]["on_behalf"])
        run.bold = True
    _para(right, d["signature"]["title"], bold=True, align=CENTER)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
