"""Document numbers of unit reports: one sequence per issuing unit and calendar year.

Associations (state bodies) number as Nghị định 30/2020/NĐ-CP: ``12/BC-CCB``; party bodies
as Hướng dẫn 36-HD/VPTW: ``12-BC/BDVTU``. A number is an aggregate of its own whose id is
made of (unit, year, sequence), so two writers can never record one number twice: the
second loses the primary-key race and takes the next.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import document_number_id

PARTY = "party"
REPORT_TYPE = "BC"  # báo cáo


def format_number(sequence: int, unit_kind: str | None, code: str) -> str:
    """``12-BC/BDVTU`` for a party body, ``12/BC-CCB`` for any other."""
    if sequence < 1:
        raise ValueError(f"a document number starts at 1, got {sequence}")
    if unit_kind == PARTY:
        return f"{sequence}-{REPORT_TYPE}/{code}"
    return f"{sequence}/{REPORT_TYPE}-{code}"


def unit_code(unit_id: str, code: str) -> str:
    """The code a unit's numbers carry: the plan's `code`, else its id in capitals."""
    return code or unit_id.upper()


class DocumentNumber(Aggregate):
    @staticmethod
    def create_id(unit_id: str, year: int, sequence: int, **_: Any) -> UUID:
        return document_number_id(unit_id, year, sequence)

    @event("Taken")
    def __init__(self, unit_id: str, year: int, sequence: int, number: str,
                 unit_report_id: str) -> None:
        self.unit_id = unit_id
        self.year = year
        self.sequence = sequence
        self.number = number
        self.unit_report_id = unit_report_id
