"""Who may read and who may act, once for every service.

The rules ask the network only for its shape (`Network`): which units roll up to a
unit, which areas lie under it, which areas a cadre holds at an instant. The network
view every service keeps (`services/common/network_view.py`) answers, and caches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.account import Role
from domain.errors import Forbidden
from domain.network_records import Unit

# Read the whole network when they hold no unit; with a unit, only that unit's scope.
NETWORK_WIDE = (Role.AUDITOR, Role.ADMIN)


class Viewer(Protocol):
    """An account as the rules see it."""

    @property
    def role(self) -> str: ...
    @property
    def unit_id(self) -> str | None: ...
    @property
    def cadre_id(self) -> str | None: ...


class Acting(Viewer, Protocol):
    """An account about to change the network: a disabled one may not."""

    @property
    def active(self) -> bool: ...


class Network(Protocol):
    """The shape of the network the rules need."""

    @property
    def units(self) -> Mapping[str, Unit]: ...
    def unit_subtree(self, unit_id: str) -> set[str]: ...
    def unit_scope(self, unit_id: str) -> set[str]: ...
    def visible_areas(self, unit_id: str) -> set[str]: ...
    def subtree_areas(self, unit_id: str) -> set[str]: ...
    def assigned_areas(self, cadre_id: str, at: datetime) -> list[str]: ...


@dataclass(frozen=True)
class _Holder:
    role: str
    unit_id: str | None
    cadre_id: str | None = None


def network_wide(viewer: Viewer) -> bool:
    return viewer.role in NETWORK_WIDE and viewer.unit_id is None


def unit_scope(network: Network, unit_id: str) -> set[str]:
    """What a unit's leaders read: its rollup subtree, and the subtrees of the live units
    that send copies to it (nơi nhận: a report goes up its line and to its recipients)."""
    scope = set(network.unit_subtree(unit_id))
    for unit in network.units.values():
        if not unit.retired and unit_id in unit.copies_to:
            scope |= network.unit_subtree(unit.id)
    return scope


def reader(viewer: Viewer, network: Network, at: datetime) -> Callable[[str | None, str | None],
                                                                       bool]:
    """`may_read` with the viewer's scope looked up once, for filtering many records."""
    if network_wide(viewer):
        return lambda area_id, cadre_id: True
    if viewer.role == Role.CADRE:
        own = viewer.cadre_id
        assigned = set(network.assigned_areas(own or "", at))
        # A cadre reads what is theirs (a report, an overdue entry) and, of what belongs
        # to no cadre (a case), what lies in the areas assigned to them at `at`.
        return lambda area_id, cadre_id: (
            cadre_id == own if cadre_id is not None else area_id in assigned)
    if viewer.unit_id is None:
        return lambda area_id, cadre_id: False
    areas = network.visible_areas(viewer.unit_id)
    return lambda area_id, cadre_id: area_id in areas


def owed_reader(viewer: Viewer, network: Network, at: datetime
                ) -> Callable[[str | None, str | None, str | None], bool]:
    """Who reads what is owed (an overdue entry, an obligation): a cadre's own items as
    `reader`; a unit's own report as its rollup (`readable_units`), so a cadre reads none."""
    cadre_items = reader(viewer, network, at)
    units = readable_units(viewer, network)

    def readable(area_id: str | None, cadre_id: str | None, unit_id: str | None) -> bool:
        if cadre_id is not None:
            return cadre_items(area_id, cadre_id)
        return unit_id is not None and (units is None or unit_id in units)
    return readable


def may_read(viewer: Viewer, network: Network, area_id: str | None, *, at: datetime,
             cadre_id: str | None = None) -> bool:
    """Whether the viewer may read a record about `area_id`, the cadre `cadre_id`'s own if
    given (a report, an overdue entry), or no cadre's (a case).

    Auditors and admins without a unit read everything; a cadre reads their own records and
    the cases of the areas assigned to them at `at`; a leader (or an auditor or admin with
    a unit) reads the areas of their unit's scope (`unit_scope`).
    """
    return reader(viewer, network, at)(area_id, cadre_id)


def readable_units(viewer: Viewer, network: Network) -> set[str] | None:
    """The units whose rollups the viewer reads; None for every unit. Cadres read none."""
    if network_wide(viewer):
        return None
    if viewer.role == Role.CADRE or viewer.unit_id is None:
        return set()
    return network.unit_scope(viewer.unit_id)


def may_read_rollup(network: Network, role: str, account_unit_id: str | None,
                    unit_id: str) -> bool:
    """A leader reads their unit's rollup subtree and what is copied to it; nothing else.
    Unknown or retired units are readable by no one."""
    unit = network.units.get(unit_id)
    if unit is None or unit.retired:
        return False
    readable = readable_units(_Holder(role, account_unit_id), network)
    return readable is None or unit_id in readable


def may_act(viewer: Viewer, network: Network, area_id: str,
            unit_id: str | None = None) -> bool:
    """Leaders act on cases in their own rollup subtree: a copy is for reading only.

    A case of a known unit (`unit_id`, the unit its area reports to) is acted on by the
    leaders of that unit and of the units it rolls up to, never by a unit it only copies
    to, even one whose own area covers the case's (a province's association covers every
    town). A case of no unit falls back on the areas of the leader's rollup subtree.
    """
    if viewer.role != Role.LEADER or viewer.unit_id is None:
        return False
    if unit_id is not None:
        return unit_id in network.unit_subtree(viewer.unit_id)
    return area_id in network.subtree_areas(viewer.unit_id)


def administered_units(viewer: Acting, network: Network) -> set[str] | None:
    """The units an active admin administers: their unit's rollup subtree, or None (the
    whole network) when they hold no unit. Anyone else is refused."""
    if viewer.role != Role.ADMIN or not viewer.active:
        raise Forbidden("not_an_admin", "Only administrators may do this",
                        "Chỉ tài khoản quản trị mới được thực hiện thao tác này")
    if viewer.unit_id is None:
        return None
    return network.unit_subtree(viewer.unit_id)
