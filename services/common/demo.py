"""The demo network: its plan file and the logins it opens, for `tinhhinh up` and
`tinhhinh demo accounts`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.clock import Clock, SystemClock
from services.common.plan_file import load_plan

DEMO_PLAN = Path(__file__).resolve().parents[2] / "plans" / "demo-thuan-thanh.toml"


def demo_logins(clock: Clock | None = None) -> list[dict[str, Any]]:
    """The demo plan's accounts with the areas each may report on now."""
    plan = load_plan(DEMO_PLAN)
    now = (clock or SystemClock()).now()
    cadre_unit = {c.id: c.unit for c in plan.cadres}
    units = {u.id: u for u in plan.units}
    out = []
    for acc in plan.accounts:
        unit_id = acc.unit or (cadre_unit.get(acc.cadre) if acc.cadre else None)
        if acc.cadre:
            area_ids = sorted({a.area for a in plan.assignments if a.cadre == acc.cadre
                               and a.valid_from <= now
                               and (a.valid_until is None or now < a.valid_until)})
        else:
            area_ids = list(units[unit_id].area_ids) if unit_id in units else []
        out.append({"username": acc.username, "password": acc.password, "role": acc.role,
                    "unit_id": unit_id, "cadre_id": acc.cadre, "area_ids": area_ids})
    return out


def print_demo_logins() -> None:
    print("Tài khoản thử (mật khẩu chỉ dùng cho bản thử):")
    for row in demo_logins():
        where = ", ".join(row["area_ids"]) or row["unit_id"] or ""
        print(f"  {row['role']:8} {row['username']:24} {row['password']:12} {where}")
