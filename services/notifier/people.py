"""Who is who for the notifier: leaders by unit, cadres' accounts, rollup chains, scopes."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.access import owed_reader
from domain.account import Role
from services.common.network_view import NetworkView

_MAX_DEPTH = 64


class People:
    """Indexes over the network view, dropped whenever the network changes."""

    def __init__(self, view: NetworkView) -> None:
        self.view = view
        self._leaders: dict[str, list[str]] | None = None
        self._cadres: dict[str, list[str]] | None = None
        self._chains: dict[str, list[str]] = {}

    def forget(self) -> None:
        self._leaders = None
        self._cadres = None
        self._chains = {}

    def _index(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        if self._leaders is None or self._cadres is None:
            leaders: dict[str, list[str]] = defaultdict(list)
            cadres: dict[str, list[str]] = defaultdict(list)
            for account in sorted(self.view.accounts.values(), key=lambda a: a.username):
                if not account.active:
                    continue
                if account.role == Role.LEADER and account.unit_id:
                    leaders[account.unit_id].append(str(account.id))
                if account.role == Role.CADRE and account.cadre_id:
                    cadres[account.cadre_id].append(str(account.id))
            self._leaders, self._cadres = dict(leaders), dict(cadres)
        return self._leaders, self._cadres

    def leaders(self, unit_ids: list[str]) -> list[str]:
        """Account ids of the active leaders of these units, in unit order."""
        by_unit = self._index()[0]
        return [a for unit_id in unit_ids for a in by_unit.get(unit_id, [])]

    def cadre_accounts(self, cadre_ids: list[str]) -> list[str]:
        by_cadre = self._index()[1]
        return [a for cadre_id in cadre_ids for a in by_cadre.get(cadre_id, [])]

    def chain(self, area_id: str) -> list[str]:
        """The area's own unit, then each rollup parent up to the top of the tree."""
        if area_id not in self._chains:
            self._chains[area_id] = self.unit_chain(self.view.unit_for_area(area_id))
        return self._chains[area_id]

    def unit_chain(self, unit_id: str | None) -> list[str]:
        """The unit, then each rollup parent up to the top of the tree."""
        chain: list[str] = []
        current = unit_id
        while current is not None and current not in chain and len(chain) < _MAX_DEPTH:
            chain.append(current)
            unit = self.view.units.get(current)
            current = None if unit is None else unit.parent
        return chain

    def copies(self, unit_ids: list[str]) -> list[str]:
        """The copy recipients (`copies_to`) of these units, in order, each once."""
        found: dict[str, None] = {}
        for unit_id in unit_ids:
            unit = self.view.units.get(unit_id)
            for copy_to in () if unit is None else unit.copies_to:
                if copy_to in self.view.units:
                    found.setdefault(copy_to)
        return list(found)

    def visible_rows(self, account_id: str, rows: list[dict[str, Any]],
                     at: datetime) -> list[dict[str, Any]]:
        """The rows an active account may read (`domain.access.owed_reader`)."""
        account = self.view.accounts.get(UUID(account_id))
        if account is None or not account.active:
            return []
        readable = owed_reader(account, self.view, at)
        return [r for r in rows if readable(r["area_id"], r["cadre_id"], r["unit_id"])]
