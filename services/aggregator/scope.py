"""Who may read a unit's rollup: the intake asks this before it asks the aggregator."""

from __future__ import annotations

from services.common.network_view import NetworkView

_NETWORK_WIDE = ("auditor", "admin")


def may_read_rollup(view: NetworkView, account_role: str, account_unit_id: str | None,
                    unit_id: str) -> bool:
    """A leader reads their unit's rollup subtree and what is copied to it; nothing else."""
    unit = view.units.get(unit_id)
    if unit is None or unit.get("retired"):
        return False
    if account_role in _NETWORK_WIDE and account_unit_id is None:
        return True
    if account_role not in ("leader", *_NETWORK_WIDE) or account_unit_id is None:
        return False
    return unit_id in view.unit_scope(account_unit_id)
