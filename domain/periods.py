"""Reporting periods: ISO weeks, months, quarters, half-years and years, written as text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Self

from domain.errors import InvalidInput

MIN_YEAR = 2000
MAX_YEAR = 2100


class Cadence(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


class ReportKind(StrEnum):
    """The kinds of report a cadre sends; the values are what reports and the API carry."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    URGENT = "urgent"


REPORT_KIND_CADENCE: dict[str, Cadence] = {
    ReportKind.WEEKLY: Cadence.WEEK,
    ReportKind.MONTHLY: Cadence.MONTH,
    ReportKind.QUARTERLY: Cadence.QUARTER,
    ReportKind.SEMIANNUAL: Cadence.HALF,
    ReportKind.ANNUAL: Cadence.YEAR,
}

URGENT = ReportKind.URGENT
REPORT_KINDS: tuple[str, ...] = (*REPORT_KIND_CADENCE, URGENT)

_EXAMPLE: dict[Cadence, str] = {
    Cadence.WEEK: "2026-W48",
    Cadence.MONTH: "2026-11",
    Cadence.QUARTER: "2026-Q4",
    Cadence.HALF: "2026-H2",
    Cadence.YEAR: "2026",
}

_CADENCE_EN: dict[Cadence, str] = {
    Cadence.WEEK: "an ISO week",
    Cadence.MONTH: "a month",
    Cadence.QUARTER: "a quarter",
    Cadence.HALF: "a half-year",
    Cadence.YEAR: "a year",
}

_CADENCE_VI: dict[Cadence, str] = {
    Cadence.WEEK: "tuần (ISO)",
    Cadence.MONTH: "tháng",
    Cadence.QUARTER: "quý",
    Cadence.HALF: "6 tháng",
    Cadence.YEAR: "năm",
}

_KIND_EN: dict[str, str] = {
    "weekly": "A weekly report",
    "monthly": "A monthly report",
    "quarterly": "A quarterly report",
    "semiannual": "A six-monthly report",
    "annual": "An annual report",
    URGENT: "An urgent report",
}

_KIND_VI: dict[str, str] = {
    "weekly": "Báo cáo tuần",
    "monthly": "Báo cáo tháng",
    "quarterly": "Báo cáo quý",
    "semiannual": "Báo cáo 6 tháng",
    "annual": "Báo cáo năm",
    URGENT: "Báo cáo đột xuất",
}

# ASCII digits only: \d would also accept other scripts' digits.
_PATTERNS: tuple[tuple[Cadence, re.Pattern[str]], ...] = (
    (Cadence.WEEK, re.compile(r"([0-9]{4})-W([0-9]{2})")),
    (Cadence.MONTH, re.compile(r"([0-9]{4})-([0-9]{2})")),
    (Cadence.QUARTER, re.compile(r"([0-9]{4})-Q([0-9])")),
    (Cadence.HALF, re.compile(r"([0-9]{4})-H([0-9])")),
    (Cadence.YEAR, re.compile(r"([0-9]{4})()")),
)

_PER_YEAR: dict[Cadence, int] = {
    Cadence.MONTH: 12,
    Cadence.QUARTER: 4,
    Cadence.HALF: 2,
    Cadence.YEAR: 1,
}


def iso_weeks_in(year: int) -> int:
    """52 or 53: 28 December always falls in a year's last ISO week."""
    return date(year, 12, 28).isocalendar().week


def _shown(text: object) -> str:
    # Echo the caller's input, but never a whole pasted document.
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _malformed(text: object) -> InvalidInput:
    return InvalidInput(
        code="invalid_period",
        message=(
            f"Period {_shown(text)} is not valid: expected 2026-W48 (ISO week), 2026-11 (month),"
            f" 2026-Q4 (quarter), 2026-H2 (half-year) or 2026 (year),"
            f" with a year from {MIN_YEAR} to {MAX_YEAR}."
        ),
        message_vi=(
            f"Kỳ báo cáo {_shown(text)} không hợp lệ: phải có dạng 2026-W48 (tuần ISO),"
            f" 2026-11 (tháng), 2026-Q4 (quý), 2026-H2 (6 tháng) hoặc 2026 (năm),"
            f" với năm từ {MIN_YEAR} đến {MAX_YEAR}."
        ),
        field="period",
    )


def cadence_of_kind(kind: str) -> Cadence | None:
    """The cadence a report kind is filed on; None for urgent reports, which have no period."""
    if kind == URGENT:
        return None
    cadence = REPORT_KIND_CADENCE.get(kind)
    if cadence is None:
        kinds = ", ".join(REPORT_KINDS)
        raise InvalidInput(
            code="unknown_report_kind",
            message=f"Report kind {_shown(kind)} is unknown; expected one of {kinds}.",
            message_vi=f"Loại báo cáo {_shown(kind)} không hợp lệ; phải là một trong: {kinds}.",
            field="kind",
        )
    return cadence


def kind_period_mismatch(kind: str, period: Period | None) -> InvalidInput:
    """The error for a period whose cadence does not fit the report kind."""
    cadence = REPORT_KIND_CADENCE.get(kind)
    given = "no period" if period is None else str(period)
    given_vi = "không có kỳ" if period is None else str(period)
    if cadence is None:
        en = f"{_KIND_EN.get(kind, 'This report')} has no reporting period; got {given}."
        vi = f"{_KIND_VI.get(kind, 'Báo cáo này')} không có kỳ báo cáo; nhận được {given_vi}."
    else:
        en = (
            f"{_KIND_EN[kind]} needs {_CADENCE_EN[cadence]} such as"
            f" {_EXAMPLE[cadence]}, not {given}."
        )
        vi = (
            f"{_KIND_VI[kind]} cần kỳ theo {_CADENCE_VI[cadence]}, ví dụ"
            f" {_EXAMPLE[cadence]}, không phải {given_vi}."
        )
    return InvalidInput(code="period_kind_mismatch", message=en, message_vi=vi, field="period")


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; index is the ISO week, month, quarter or half (1 for a year)."""

    cadence: Cadence
    year: int
    index: int

    def __post_init__(self) -> None:
        try:
            cadence = Cadence(self.cadence)
        except ValueError:
            raise _malformed(self.cadence) from None
        # Normalise a plain string so equality and hashing match the enum.
        object.__setattr__(self, "cadence", cadence)
        year, index = self.year, self.index
        if type(year) is not int or type(index) is not int:
            raise _malformed(f"{cadence}:{year}:{index}")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _malformed(str(self))
        if cadence is Cadence.WEEK:
            weeks = iso_weeks_in(year)
            if index == 53 and weeks == 52:
                raise InvalidInput(
                    code="invalid_period",
                    message=f"{year} has no ISO week 53; its weeks run from W01 to W52.",
                    message_vi=(
                        f"Năm {year} không có tuần ISO 53; các tuần của năm từ W01 đến W52."
                    ),
                    field="period",
                )
            top = weeks
        else:
            top = _PER_YEAR[cadence]
        if not 1 <= index <= top:
            raise _malformed(str(self))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read 2026-W48, 2026-11, 2026-Q4, 2026-H2 or 2026; nothing else."""
        if not isinstance(text, str):
            raise _malformed(text)
        for cadence, pattern in _PATTERNS:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            year = int(match.group(1))
            index = int(match.group(2)) if match.group(2) else 1
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise _malformed(text)
            if cadence is not Cadence.WEEK and not 1 <= index <= _PER_YEAR[cadence]:
                raise _malformed(text)
            return cls(cadence, year, index)
        raise _malformed(text)

    @classmethod
    def for_kind(cls, kind: str, text: str) -> Self:
        """Parse a period and check it is the cadence this report kind is filed on."""
        cadence = cadence_of_kind(kind)
        period = cls.parse(text)
        if period.cadence is not cadence:
            raise kind_period_mismatch(kind, period)
        return period

    def __str__(self) -> str:
        match self.cadence:
            case Cadence.WEEK:
                return f"{self.year}-W{self.index:02d}"
            case Cadence.MONTH:
                return f"{self.year}-{self.index:02d}"
            case Cadence.QUARTER:
                return f"{self.year}-Q{self.index}"
            case Cadence.HALF:
                return f"{self.year}-H{self.index}"
            case _:
                return f"{self.year}"

    def _per_year(self, year: int) -> int:
        if self.cadence is Cadence.WEEK:
            return iso_weeks_in(year)
        return _PER_YEAR[self.cadence]

    def next(self) -> Period:
        """The period right after this one; raises past the last supported year."""
        if self.index < self._per_year(self.year):
            return Period(self.cadence, self.year, self.index + 1)
        return Period(self.cadence, self.year + 1, 1)

    def previous(self) -> Period:
        """The period right before this one; raises before the first supported year."""
        if self.index > 1:
            return Period(self.cadence, self.year, self.index - 1)
        return Period(self.cadence, self.year - 1, self._per_year(self.year - 1))

    def months(self) -> tuple[int, int]:
        """First and last month (1..12) a non-weekly period spans within its year."""
        if self.cadence is Cadence.WEEK:
            raise ValueError("an ISO week is not made of whole months")
        span = 12 // _PER_YEAR[self.cadence]
        return span * (self.index - 1) + 1, span * self.index
