"""The fixed parts of an official document, worded by the issuing body's rules: state and
association bodies by Nghị định 30/2020/NĐ-CP (Phụ lục I), party bodies by Hướng dẫn
36-HD/VPTW (2018). Pure values over the network's records; templates/official/ and
services/common/docx_official.py lay them out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from domain.network_records import Area, Unit
from domain.periods import Cadence, Period

Layout = Literal["party", "association"]

PARTY_TITLE = "ĐẢNG CỘNG SẢN VIỆT NAM"
STATE_NAME = "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# The filler an unnumbered draft shows where the number will go.
UNNUMBERED = "…"
_ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class Letterhead:
    """The block above the title: issuer on the left, the national or party title on the
    right, then the number and the place and date on one row."""

    layout: Layout
    superior: str  # the body above the issuer, upper case; "" when none
    issuer: str  # upper case
    national: tuple[str, ...]  # (PARTY_TITLE,) or (STATE_NAME, MOTTO)
    number: str  # "Số: 12/BC-CCB", "Số 12-BC/BDV", or the draft's "Số: …/BC-CCB"
    place_date: str  # "Thuận Thành, ngày 26 tháng 11 năm 2026"


@dataclass(frozen=True)
class Addressee:
    name: str
    informed_only: bool = False  # "(để biết)" rather than "(để báo cáo)"


@dataclass(frozen=True)
class Signature:
    on_behalf: str | None  # "TM. BAN THƯỜNG VỤ", "T/M BAN THƯỜNG VỤ", or None (signs as itself)
    title: str  # "CHỦ TỊCH", "BÍ THƯ", "TRƯỞNG BAN"
    name: str | None  # the signer, once known


@dataclass(frozen=True)
class Closing:
    """"Nơi nhận" on the left, the signature on the right."""

    layout: Layout
    recipients: tuple[str, ...]  # whole lines without the leading "- ", the archive last
    signature: Signature


def layout_of(unit: Unit) -> Layout:
    return "party" if unit.kind == "party" else "association"


def issuer_lines(unit: Unit) -> tuple[str, str]:
    """(superior, issuer), upper case. A party body's own name drops what its superior line
    already says (HD 36: "THỊ ỦY THUẬN THÀNH" over "BAN DÂN VẬN"), and a standing committee
    issues in its committee's name ("ĐẢNG BỘ TỈNH BẮC NINH" over "THỊ ỦY THUẬN THÀNH")."""
    superior, issuer = unit.superior.upper(), unit.name.upper()
    if layout_of(unit) == "party":
        if issuer.startswith("BAN THƯỜNG VỤ "):
            issuer = issuer.removeprefix("BAN THƯỜNG VỤ ")
        elif superior and issuer.endswith(" " + superior):
            issuer = issuer.removesuffix(" " + superior)
    return superior, issuer


def document_number(unit: Unit, number: int | str | None, kind: str = "BC") -> str:
    """The number line in the body's form: Nghị định 30 "Số: 12/BC-CCB", HD 36 "Số 12-BC/BDV";
    a draft (no number yet) keeps the form with "…" in its place. A number already formatted
    by the domain (domain/document_number.py: "12/BC-CCB") is only prefixed."""
    if isinstance(number, str):
        return numbered(unit, number)
    code = unit.code or kind
    shown = UNNUMBERED if number is None else str(number)
    if layout_of(unit) == "party":
        return f"Số {shown}-{kind}/{code}"
    return f"Số: {shown}/{kind}-{code}"


def numbered(unit: Unit, formatted: str) -> str:
    """"Số: 12/BC-CCB" (Nghị định 30) or "Số 12-BC/BDVTU" (HD 36) for a formatted number."""
    return f"Số {formatted}" if layout_of(unit) == "party" else f"Số: {formatted}"


def span(period: Period) -> str:
    """The period as Vietnamese documents name it: "tuần 48 năm 2026", "quý IV năm 2026"."""
    match period.cadence:
        case Cadence.WEEK:
            return f"tuần {period.index} năm {period.year}"
        case Cadence.MONTH:
            return f"tháng {period.index} năm {period.year}"
        case Cadence.QUARTER:
            return f"quý {_ROMAN[period.index - 1]} năm {period.year}"
        case Cadence.HALF:
            return f"6 tháng {'đầu' if period.index == 1 else 'cuối'} năm {period.year}"
        case _:
            return f"năm {period.year}"


def dated(place: str, day: datetime) -> str:
    """Place and date as both rules write them: days below 10 and months 1 and 2 take a
    leading zero ("ngày 05 tháng 02", "ngày 26 tháng 11")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def letterhead(unit: Unit, number: int | str | None, day: datetime, kind: str = "BC") -> Letterhead:
    """`day` already in the document's time zone (Asia/Ho_Chi_Minh)."""
    layout = layout_of(unit)
    superior, issuer = issuer_lines(unit)
    return Letterhead(layout, superior, issuer,
                      (PARTY_TITLE,) if layout == "party" else (STATE_NAME, MOTTO),
                      document_number(unit, number, kind), dated(unit.place, day))


def _covers(recipient: Unit, unit: Unit, areas: Mapping[str, Area]) -> bool:
    """Whether `recipient` covers one of `unit`'s areas itself or from above."""
    mine = set(unit.area_ids)
    for area_id in recipient.area_ids:
        if area_id in mine:
            return True
    for area_id in unit.area_ids:
        current = areas[area_id].parent if area_id in areas else None
        for _ in range(64):
            if current is None:
                break
            if current in recipient.area_ids:
                return True
            current = areas[current].parent if current in areas else None
    return False


def addressees(unit: Unit, units: Mapping[str, Unit],
               areas: Mapping[str, Area]) -> tuple[Addressee, ...]:
    """The rollup parent first, then the copies in the plan's order. A report goes up "để
    báo cáo"; a copy to a body that does not stand over the unit's areas is "để biết"."""
    out = []
    if unit.parent and unit.parent in units:
        out.append(Addressee(units[unit.parent].name))
    for uid in unit.copies_to:
        if uid in units and uid != unit.parent:
            copy = units[uid]
            out.append(Addressee(copy.name, informed_only=not _covers(copy, unit, areas)))
    return tuple(out)


def recipient_lines(layout: Layout, to: Iterable[Addressee]) -> tuple[str, ...]:
    """Each line as printed after "- ": Nghị định 30 ends lines with ";" and files "Lưu: VT.";
    HD 36 ends them with "," and files "Lưu Văn phòng."."""
    end, archive = (",", "Lưu Văn phòng.") if layout == "party" else (";", "Lưu: VT.")
    lines = [f"{a.name} ({'để biết' if a.informed_only else 'để báo cáo'}){end}" for a in to]
    return (*lines, archive)


def signature(unit: Unit, name: str | None = None, title: str | None = None) -> Signature:
    """Who signs, by the body's form: an association's standing committee "TM." its chair, a
    party committee "T/M" its secretary, a party board its head in its own name."""
    own = unit.name
    if layout_of(unit) == "party":
        on_behalf, default = ((None, "TRƯỞNG BAN") if own.startswith("Ban ")
                              and not own.startswith("Ban Thường vụ")
                              else ("T/M BAN THƯỜNG VỤ", "BÍ THƯ"))
    elif own.startswith("Chi hội"):
        on_behalf, default = "TM. CHI HỘI", "CHI HỘI TRƯỞNG"
    else:
        on_behalf, default = "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"
    return Signature(on_behalf, (title or default).upper(), name or None)


def closing(unit: Unit, units: Mapping[str, Unit], areas: Mapping[str, Area],
            signer: str | None = None, signer_title: str | None = None) -> Closing:
    layout = layout_of(unit)
    return Closing(layout, recipient_lines(layout, addressees(unit, units, areas)),
                   signature(unit, signer, signer_title))
