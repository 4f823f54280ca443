"""The wire envelopes of a plan, as `tinhhinh network load` and the relay would publish them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ids import NETWORK_ID, account_id, assignment_id
from domain.schedule import Schedule
from services.common.plan_file import Plan


def plan_envelopes(plan: Plan) -> list[dict[str, Any]]:
    """The wire envelopes `tinhhinh network load` would publish for a plan (no secrets)."""
    out: list[dict[str, Any]] = []

    def add(type_: str, aggregate_id: UUID, data: dict[str, Any]) -> None:
        out.append({"type": type_, "aggregate_id": str(aggregate_id), "data": data})

    add("NetworkCreated", NETWORK_ID, {"name": plan.name})
    for lv in plan.levels:
        add("NetworkLevelDefined", NETWORK_ID,
            {"level": {"id": lv.id, "name": lv.name, "rank": lv.rank}})
    for a in plan.areas:
        add("NetworkAreaDefined", NETWORK_ID,
            {"area": {"id": a.id, "name": a.name, "level": a.level, "parent": a.parent}})
    for u in plan.units:
        add("NetworkUnitDefined", NETWORK_ID, {"unit": {
            "id": u.id, "name": u.name, "kind": u.kind, "parent": u.parent,
            "copies_to": list(u.copies_to), "area_ids": list(u.area_ids)}})
    for c in plan.cadres:
        add("NetworkCadreDefined", NETWORK_ID,
            {"cadre": {"id": c.id, "name": c.name, "unit": c.unit}})
    add("NetworkScheduleDefined", NETWORK_ID,
        {"schedule": Schedule.from_mapping(plan.schedule).to_mapping()})
    add("NetworkEscalationDefined", NETWORK_ID, {"escalation": dict(plan.escalation)})
    if plan.obligations_declared:
        add("NetworkObligationsDefined", NETWORK_ID,
            {"obligations": [o.to_mapping() for o in plan.obligations]})
    cadre_unit = {c.id: c.unit for c in plan.cadres}
    for acc in plan.accounts:
        add("AccountOpened", account_id(acc.username), {
            "username": acc.username, "name": acc.name, "role": acc.role,
            "unit_id": acc.unit or cadre_unit.get(acc.cadre or ""), "cadre_id": acc.cadre})
    for s in plan.assignments:
        add("AssignmentStarted", assignment_id(s.cadre, s.area, s.valid_from.isoformat()), {
            "cadre_id": s.cadre, "area_id": s.area, "valid_from": s.valid_from.isoformat(),
            "valid_until": None if s.valid_until is None else s.valid_until.isoformat()})
    return out
