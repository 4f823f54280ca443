"""The blocks of an official document in Word (python-docx): page, letterhead, title, grids,
"Nơi nhận" and signature, by Nghị định 30/2020 and HD 36-HD/VPTW; the values come from
services/common/official_document.py."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from docx import Document as new_docx
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from services.common.official_document import Closing, Letterhead

FONT = "Times New Roman"
LANGUAGE = "vi-VN"
CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
# A4 less the margins below: 210 - 30 - 15 mm.
TEXT_WIDTH_MM = 165
LETTERHEAD_MM = (68, 97)  # the national name at 12-13 pt needs ~90 mm on one line
CLOSING_MM = (80, 85)


def new_document() -> Document:
    """An empty A4 document: margins 20 mm top and bottom, 30 mm left, 15 mm right; Times
    New Roman 14 pt; every style in Vietnamese, so Word checks spelling as vi-VN."""
    doc = new_docx()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _east_asian_font(normal.element)
    _language(doc)
    return doc


def _east_asian_font(style: Any) -> None:
    # Word picks the font of Vietnamese letters with diacritics from w:hAnsi/w:cs as well.
    fonts = style.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _set_lang(rpr: Any) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    lang.set(qn("w:bidi"), LANGUAGE)


def _language(doc: Document) -> None:
    """w:lang vi-VN on the document defaults and on every paragraph and character style."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    _set_lang(rpr)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) in ("paragraph", "character"):
            _set_lang(style.get_or_add_rPr())


def para(where: Any, text: str = "", *, bold: bool = False, italic: bool = False,
         underline: bool = False, size: float = 14, align: Any = None,
         indent: bool = False, after: float = 3) -> Paragraph:
    """A paragraph of one run in `where` (the document or a cell)."""
    paragraph: Paragraph = where.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(after)
    if indent:
        fmt.first_line_indent = Cm(1.27)
    if text:
        _run(paragraph, text, bold=bold, italic=italic, underline=underline, size=size)
    return paragraph


def _run(paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False,
         underline: bool = False, size: float = 14) -> None:
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    run.font.name = FONT


def _first(cell: _Cell, text: str, **style: Any) -> Paragraph:
    """The cell's own first paragraph (a cell is never empty), then new ones."""
    paragraph: Paragraph = cell.paragraphs[0]
    if paragraph.text or paragraph.runs:
        added: Paragraph = para(cell, text, **style)
        return added
    paragraph.alignment = style.pop("align", None)
    paragraph.paragraph_format.space_after = Pt(style.pop("after", 3))
    if text:
        _run(paragraph, text, **style)
    return paragraph


def widths(table: Table, millimetres: Sequence[float]) -> None:
    """Fixed column widths, on the grid and on every cell: Word reads the cells, LibreOffice
    the grid, and neither keeps a width set on one alone."""
    table.autofit = False
    layout = table._tbl.tblPr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        table._tbl.tblPr.append(layout)
    layout.set(qn("w:type"), "fixed")
    for column, mm in zip(table.columns, millimetres, strict=True):
        column.width = Mm(mm)
    for row in table.rows:
        for cell, mm in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(mm)


def _rule(cell: _Cell, width_mm: float, cell_mm: float) -> None:
    """A short centred line (Nghị định 30: one third to one half of the name above it): an
    empty paragraph with a bottom border, narrowed by its indents."""
    paragraph = para(cell, after=6)
    side = Mm((cell_mm - width_mm) / 2)
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                       ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def add_letterhead(doc: Document, head: Letterhead) -> Table:
    """A borderless two-column table: issuer (and "*" or a short rule) and the number on the
    left; the party title, or the state's name and its motto on one line, and the place and
    date on the right."""
    party = head.layout == "party"
    table: Table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths(table, LETTERHEAD_MM)
    (left, right), (number, place) = table.rows[0].cells, table.rows[1].cells
    size = 14 if party else 13
    if head.superior:
        _first(left, head.superior, size=size, align=CENTER, after=0)
    _first(left, head.issuer, bold=True, size=size, align=CENTER, after=0)
    if party:
        para(left, "*", size=size, align=CENTER)
    else:
        _rule(left, 25, LETTERHEAD_MM[0])
    if party:
        _first(right, head.national[0], bold=True, underline=True, size=15, align=CENTER)
    else:
        _first(right, head.national[0], bold=True, size=12, align=CENTER, after=0)
        # The motto: one paragraph, one run, underlined as long as the words.
        para(right, head.national[1], bold=True, underline=True, size=13, align=CENTER)
    _first(number, head.number, size=13, align=CENTER)
    _first(place, head.place_date, italic=True, size=14, align=CENTER)
    return table


def add_title(doc: Document, title: str, subject: str, span: str = "") -> None:
    para(doc, title, bold=True, size=15, align=CENTER, after=0)
    para(doc, subject, bold=True, align=CENTER, after=0 if span else 6)
    if span:
        para(doc, f"({span})", italic=True, align=CENTER, after=6)


def add_grid(doc: Document, headers: Sequence[str], rows: Sequence[Sequence[Any]],
             millimetres: Sequence[float]) -> Table:
    """A bordered data table in 12 pt with those column widths (they should add up to at most
    the text width, 165 mm)."""
    table: Table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _first(cell, text, bold=True, size=12, align=CENTER, after=0)
    for row in rows:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]  # python-docx is partly typed
        for cell, value in zip(cells, row, strict=True):
            _first(cell, str(value), size=12, after=0)
    widths(table, millimetres)
    return table


def add_closing(doc: Document, end: Closing) -> Table:
    """"Nơi nhận" (Nghị định 30: bold italic 12 pt, lines 11 pt; HD 36: underlined 14 pt,
    lines 12 pt) and the signature block, the signer's name after the space to sign."""
    party = end.layout == "party"
    table: Table = doc.add_table(rows=1, cols=2)
    widths(table, CLOSING_MM)
    left, right = table.rows[0].cells
    if party:
        _first(left, "Nơi nhận:", underline=True, size=14, after=0)
    else:
        _first(left, "Nơi nhận:", bold=True, italic=True, size=12, after=0)
    for line in end.recipients:
        para(left, f"- {line}", size=12 if party else 11, after=0)
    sign = end.signature
    if sign.on_behalf:
        _first(right, sign.on_behalf, bold=True, size=14, align=CENTER, after=0)
    _first(right, sign.title, bold=True, size=14, align=CENTER, after=0)
    for _ in range(4):  # room to sign and stamp
        para(right, after=0)
    if sign.name:
        para(right, sign.name, bold=True, size=14, align=CENTER)
    return table


def to_bytes(doc: Document) -> bytes:
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
