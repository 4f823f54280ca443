"""The network: levels, areas, units and cadres, as data that changes over time."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import NETWORK_ID

Record = dict[str, Any]


class Network(Aggregate):
    """One aggregate per deployment; each record is a plain JSON-able mapping keyed by id."""

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return NETWORK_ID

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.levels: dict[str, Record] = {}
        self.areas: dict[str, Record] = {}
        self.units: dict[str, Record] = {}
        self.cadres: dict[str, Record] = {}
        self.schedule: Record = {}
        self.escalation: Record = {}
        self.obligations: list[Record] = []

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name

    @event("LevelDefined")
    def define_level(self, level: Record) -> None:
        self.levels[level["id"]] = level

    @event("LevelRetired")
    def retire_level(self, level_id: str) -> None:
        # Kept, marked: old events still name it, and history must resolve.
        if level_id in self.levels:
            self.levels[level_id] = {**self.levels[level_id], "retired": True}

    @event("AreaDefined")
    def define_area(self, area: Record) -> None:
        self.areas[area["id"]] = area

    @event("AreaRetired")
    def retire_area(self, area_id: str) -> None:
        # Kept, marked: old events still name it, and history must resolve.
        if area_id in self.areas:
            self.areas[area_id] = {**self.areas[area_id], "retired": True}

    @event("UnitDefined")
    def define_unit(self, unit: Record) -> None:
        self.units[unit["id"]] = unit

    @event("UnitRetired")
    def retire_unit(self, unit_id: str) -> None:
        # Kept, marked: old events still name it, and history must resolve.
        if unit_id in self.units:
            self.units[unit_id] = {**self.units[unit_id], "retired": True}

    @event("CadreDefined")
    def define_cadre(self, cadre: Record) -> None:
        self.cadres[cadre["id"]] = cadre

    @event("CadreRetired")
    def retire_cadre(self, cadre_id: str) -> None:
        # Kept, marked: old events still name it, and history must resolve.
        if cadre_id in self.cadres:
            self.cadres[cadre_id] = {**self.cadres[cadre_id], "retired": True}

    @event("ScheduleDefined")
    def define_schedule(self, schedule: Record) -> None:
        self.schedule = schedule

    @event("ObligationsDefined")
    def define_obligations(self, obligations: list[Record]) -> None:
        # The whole list at once: which obligation governs depends on the others
        # (domain.obligation_engine). Empty: the schedule's obligations apply.
        self.obligations = obligations

    @event("EscalationDefined")
    def define_escalation(self, escalation: Record) -> None:
        self.escalation = escalation
