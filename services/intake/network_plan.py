"""Loading a plan file: record only what differs from the network as it stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from domain.account import Account
from domain.assignment import Assignment
from domain.clock import Clock
from domain.ids import NETWORK_ID, account_id
from domain.network import Network
from domain.schedule import Schedule
from services.common.plan_file import Plan
from services.common.store import Store
from services.intake.directory import Directory
from services.intake.passwords import hash_password

log = structlog.get_logger(__name__)


@dataclass
class LoadResult:
    """What a load changed, counted by kind of change."""

    changes: dict[str, int] = field(default_factory=dict)
    positions: list[int] = field(default_factory=list)

    def count(self, what: str) -> None:
        self.changes[what] = self.changes.get(what, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.changes.values())


def _sync_records(
    result: LoadResult,
    kind: str,
    current: dict[str, dict[str, Any]],
    wanted: dict[str, dict[str, Any]],
    define: Any,
    retire: Any,
) -> None:
    for key, record in wanted.items():
        if current.get(key) != record:
            define(record)
            result.count(f"{kind}_defined")
    for key, record in current.items():
        if key not in wanted and not record.get("retired"):
            retire(key)
            result.count(f"{kind}_retired")


def apply_plan(store: Store, directory: Directory, plan: Plan, clock: Clock) -> LoadResult:
    """Turn the plan into events; all of them are saved in one transaction, or none."""
    directory.refresh()
    now = clock.now()
    result = LoadResult()
    pending: list[Any] = []

    network: Network | None = store.find(NETWORK_ID)
    if network is None:
        network = Network(name=plan.name)
        result.count("network_created")
    elif network.name != plan.name:
        network.rename(name=plan.name)
        result.count("network_renamed")

    _sync_records(result, "level", network.levels,
                  {lv.id: {"id": lv.id, "name": lv.name, "rank": lv.rank} for lv in plan.levels},
                  lambda r: network.define_level(level=r),
                  lambda k: network.retire_level(level_id=k))
    _sync_records(result, "area", network.areas,
                  {a.id: {"id": a.id, "name": a.name, "level": a.level, "parent": a.parent}
                   for a in plan.areas},
                  lambda r: network.define_area(area=r),
                  lambda k: network.retire_area(area_id=k))
    _sync_records(result, "unit", network.units,
                  {u.id: {"id": u.id, "name": u.name, "kind": u.kind, "parent": u.parent,
                          "copies_to": list(u.copies_to), "area_ids": list(u.area_ids),
                          "place": u.place, "code": u.code, "superior": u.superior}
                   for u in plan.units},
                  lambda r: network.define_unit(unit=r),
                  lambda k: network.retire_unit(unit_id=k))
    _sync_records(result, "cadre", network.cadres,
                  {c.id: {"id": c.id, "name": c.name, "unit": c.unit} for c in plan.cadres},
                  lambda r: network.define_cadre(cadre=r),
                  lambda k: network.retire_cadre(cadre_id=k))
    schedule = Schedule.from_mapping(plan.schedule).to_mapping()
    if network.schedule != schedule:
        network.define_schedule(schedule=schedule)
        result.count("schedule_defined")
    # Only declared obligations are recorded: without any, readers derive them from the
    # schedule (NetworkView.obligations), as stores from before obligations did.
    obligations = [o.to_mapping() for o in plan.obligations] if plan.obligations_declared else []
    if network.obligations != obligations:
        network.define_obligations(obligations=obligations)
        result.count("obligations_defined")
    escalation = dict(plan.escalation)
    if network.escalation != escalation:
        network.define_escalation(escalation=escalation)
        result.count("escalation_defined")
    pending.append(network)

    wanted_accounts = set()
    for spec in plan.accounts:
        unit_id = spec.unit
        if spec.cadre is not None and unit_id is None:
            unit_id = next(c.unit for c in plan.cadres if c.id == spec.cadre)
        wanted_accounts.add(account_id(spec.username))
        current = directory.account_by_username(spec.username)
        if current is None:
            pending.append(Account(
                username=spec.username, name=spec.name, role=spec.role, unit_id=unit_id,
                cadre_id=spec.cadre, password_hash=hash_password(spec.password),
                # A plan's password is known to whoever holds the file: only a demo's
                # published logins stay usable as they are.
                must_change_password=not plan.demo,
            ))
            result.count("account_opened")
            continue
        account: Account = store.repository.get(current.id)
        if (account.name, account.role, account.unit_id, account.cadre_id) != (
            spec.name, spec.role, unit_id, spec.cadre
        ):
            account.update(name=spec.name, role=spec.role, unit_id=unit_id, cadre_id=spec.cadre)
            result.count("account_updated")
        if not account.active:
            account.enable()
            result.count("account_enabled")
        pending.append(account)
    for view in directory.accounts():
        if view.id not in wanted_accounts and view.active:
            dropped: Account = store.repository.get(view.id)
            dropped.disable()
            result.count("account_disabled")
            pending.append(dropped)

    wanted_assignments = set()
    for a_spec in plan.assignments:
        a_id = Assignment.create_id(a_spec.cadre, a_spec.area, a_spec.valid_from)
        wanted_assignments.add(a_id)
        existing: Assignment | None = store.find(a_id)
        if existing is None:
            pending.append(Assignment(
                cadre_id=a_spec.cadre, area_id=a_spec.area,
                valid_from=a_spec.valid_from, valid_until=a_spec.valid_until,
            ))
            result.count("assignment_started")
        elif existing.valid_until != a_spec.valid_until:
            existing.reschedule(valid_until=a_spec.valid_until)
            result.count("assignment_rescheduled")
            pending.append(existing)
    for view_a in directory.assignments():
        if view_a.id not in wanted_assignments and (
            view_a.valid_until is None or view_a.valid_until > now
        ):
            ending: Assignment = store.repository.get(view_a.id)
            ending.end(now)
            if ending.pending_events:
                result.count("assignment_ended")
                pending.append(ending)

    recordings = store.save(*pending)
    result.positions = [r.notification.id for r in recordings]
    directory.refresh()
    log.info("network_plan_applied", plan=plan.name, changes=result.changes)
    return result
