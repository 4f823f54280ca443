"""The network's records as every service reads them: frozen and typed, built once per event.

Levels, areas, units and cadres come from the `Network` aggregate's events; accounts
(without secrets) and assignments from their own aggregates' events.

`from_record` reads the JSON mapping a `Network.*Defined` event carries (the payload stays
as it is: stored and published events never change). Fields a payload may lack take the
value every reader used to assume for a missing key; a field of the wrong type is refused
with a ValueError naming it, so a bad record is turned away before anything reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.assignment import covers


def _text(record: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = record.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be text")
    return value


def _id(record: Mapping[str, Any], key: str) -> str:
    value = _text(record, key)
    if not value:
        raise ValueError(f"{key!r} must be a non-empty id")
    return value


def _optional_id(record: Mapping[str, Any], key: str) -> str | None:
    # An empty id is how a payload may say "none" too; readers tested it for truth.
    return None if record.get(key) in (None, "") else _id(record, key)


def _ids(record: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key, [])
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a list of ids")
    return tuple(value)


def _retired(record: Mapping[str, Any]) -> bool:
    return record.get("retired") is True


@dataclass(frozen=True)
class Level:
    """A tier of the area tree (tỉnh, xã, thôn); `rank` 0 is the top."""

    id: str
    name: str
    rank: int = 0
    retired: bool = False

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Level:
        rank = record.get("rank", 0)
        if not isinstance(rank, int) or isinstance(rank, bool):
            raise ValueError("'rank' must be a whole number")
        return cls(_id(record, "id"), _text(record, "name"), rank, _retired(record))

    def retire(self) -> Level:
        return replace(self, retired=True)


@dataclass(frozen=True)
class Area:
    """A place in the area tree; `parent` is None for the root."""

    id: str
    name: str
    level: str = ""
    parent: str | None = None
    retired: bool = False

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Area:
        return cls(_id(record, "id"), _text(record, "name"), _text(record, "level", ""),
                   _optional_id(record, "parent"), _retired(record))

    def retire(self) -> Area:
        return replace(self, retired=True)


@dataclass(frozen=True)
class Unit:
    """A reporting unit: its rollup `parent`, its copy recipients, the areas it covers, and
    what its documents print (kind, place, code, superior)."""

    id: str
    name: str
    kind: str | None = None
    parent: str | None = None
    copies_to: tuple[str, ...] = ()
    area_ids: tuple[str, ...] = ()
    place: str = ""
    code: str = ""
    superior: str = ""
    retired: bool = False

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Unit:
        kind = record.get("kind")
        if kind is not None and not isinstance(kind, str):
            raise ValueError("'kind' must be text")
        return cls(_id(record, "id"), _text(record, "name"), kind,
                   _optional_id(record, "parent"), _ids(record, "copies_to"),
                   _ids(record, "area_ids"), _text(record, "place", ""),
                   _text(record, "code", ""), _text(record, "superior", ""),
                   _retired(record))

    def retire(self) -> Unit:
        return replace(self, retired=True)


@dataclass(frozen=True)
class Cadre:
    """A cadre (cán bộ) and the unit their reports go to."""

    id: str
    name: str
    unit: str
    retired: bool = False

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Cadre:
        return cls(_id(record, "id"), _text(record, "name"), _id(record, "unit"),
                   _retired(record))

    def retire(self) -> Cadre:
        return replace(self, retired=True)


@dataclass(frozen=True)
class AccountRecord:
    """An account as the services see it: no password hash (only the intake holds those)."""

    id: UUID
    username: str
    name: str
    role: str
    unit_id: str | None
    cadre_id: str | None
    active: bool = True


@dataclass(frozen=True)
class AssignmentRecord:
    """An assignment (domain/assignment.py) as the services see it: ids and its span."""

    id: UUID
    cadre_id: str
    area_id: str
    valid_from: datetime
    valid_until: datetime | None

    def covers(self, at: datetime) -> bool:
        return covers(self.valid_from, self.valid_until, at)
