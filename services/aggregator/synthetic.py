"""Envelopes as the relay would publish them, made up: for tests and the benchmark."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from domain.ids import NETWORK_ID, account_id, assignment_id
from domain.periods import URGENT, Period
from domain.schedule import Schedule
from services.common import wire
from services.common.plan_file import Plan

_NS = UUID("0b6f0d8e-7f43-4c55-9d0c-5c8a4d1f2e61")
EPOCH = datetime(2025, 7, 1, tzinfo=UTC)


class EnvelopeWriter:
    """Numbers envelopes in store order and keeps the area paths the relay would compute."""

    def __init__(self, schedule: Schedule | None = None, recorded_at: datetime = EPOCH):
        self.position = 0
        self.schedule = schedule or Schedule()
        self.recorded_at = recorded_at
        self._parents: dict[str, str | None] = {}
        self._versions: dict[UUID, int] = {}

    def _path(self, area_id: str | None) -> list[str]:
        path: list[str] = []
        while area_id is not None and area_id in self._parents and len(path) < 64:
            path.append(area_id)
            area_id = self._parents[area_id]
        return list(reversed(path))

    def envelope(self, type_: str, aggregate_id: UUID, data: dict[str, Any],
                 area_id: str | None = None, at: datetime | None = None) -> wire.Envelope:
        self.position += 1
        version = self._versions.get(aggregate_id, 0) + 1
        self._versions[aggregate_id] = version
        return wire.Envelope(
            event_id=wire.event_id(aggregate_id, version), position=self.position,
            type=type_, aggregate_id=aggregate_id, aggregate_version=version,
            recorded_at=at or self.recorded_at, area_path=self._path(area_id), data=data)

    # -- the network -------------------------------------------------------------------
    def network(self, name: str) -> wire.Envelope:
        return self.envelope("NetworkCreated", NETWORK_ID, {"name": name})

    def area(self, id_: str, name: str, level: str, parent: str | None = None) -> wire.Envelope:
        self._parents[id_] = parent
        return self.envelope("NetworkAreaDefined", NETWORK_ID, {"area": {
            "id": id_, "name": name, "level": level, "parent": parent}}, id_)

    def unit(self, id_: str, name: str, *, kind: str = "association", parent: str | None = None,
             area_ids: Sequence[str] = (), copies_to: Sequence[str] = (), place: str = "",
             code: str = "CCB", superior: str = "") -> wire.Envelope:
        return self.envelope("NetworkUnitDefined", NETWORK_ID, {"unit": {
            "id": id_, "name": name, "kind": kind, "parent": parent,
            "copies_to": list(copies_to), "area_ids": list(area_ids), "place": place,
            "code": code, "superior": superior}}, next(iter(area_ids), None))

    def cadre(self, id_: str, name: str, unit: str) -> wire.Envelope:
        return self.envelope("NetworkCadreDefined", NETWORK_ID, {"cadre": {
            "id": id_, "name": name, "unit": unit}})

    def define_schedule(self, schedule: Schedule) -> wire.Envelope:
        self.schedule = schedule
        return self.envelope("NetworkScheduleDefined", NETWORK_ID,
                             {"schedule": schedule.to_mapping()})

    def retire_area(self, area_id: str) -> wire.Envelope:
        return self.envelope("NetworkAreaRetired", NETWORK_ID, {"area_id": area_id}, area_id)

    def account(self, username: str, role: str, *, unit_id: str | None = None,
                cadre_id: str | None = None, name: str = "") -> wire.Envelope:
        return self.envelope("AccountOpened", account_id(username), {
            "username": username, "name": name or username, "role": role,
            "unit_id": unit_id, "cadre_id": cadre_id})

    def assignment(self, cadre_id: str, area_id: str, valid_from: datetime,
                   valid_until: datetime | None = None) -> wire.Envelope:
        aid = assignment_id(cadre_id, area_id, valid_from.isoformat())
        return self.envelope("AssignmentStarted", aid, {
            "cadre_id": cadre_id, "area_id": area_id, "valid_from": valid_from,
            "valid_until": valid_until}, area_id)

    def end_assignment(self, cadre_id: str, area_id: str, valid_from: datetime,
                       at: datetime) -> wire.Envelope:
        aid = assignment_id(cadre_id, area_id, valid_from.isoformat())
        return self.envelope("AssignmentEnded", aid, {"valid_until": at}, area_id)

    def plan(self, plan: Plan) -> Iterator[wire.Envelope]:
        """A plan file's network, as loading it would record it (passwords left out)."""
        yield self.network(plan.name)
        for level in plan.levels:
            yield self.envelope("NetworkLevelDefined", NETWORK_ID, {"level": {
                "id": level.id, "name": level.name, "rank": level.rank}})
        for area in plan.areas:
            yield self.area(area.id, area.name, area.level, area.parent)
        for u in plan.units:
            yield self.unit(u.id, u.name, kind=u.kind, parent=u.parent, area_ids=u.area_ids,
                            copies_to=u.copies_to, place=u.place, code=u.code,
                            superior=u.superior)
        for c in plan.cadres:
            yield self.cadre(c.id, c.name, c.unit)
        yield self.define_schedule(Schedule.from_mapping(plan.schedule))
        if plan.obligations_declared:
            yield self.envelope("NetworkObligationsDefined", NETWORK_ID, {
                "obligations": [o.to_mapping() for o in plan.obligations]})
        for acc in plan.accounts:
            yield self.account(acc.username, acc.role, unit_id=acc.unit, cadre_id=acc.cadre,
                               name=acc.name)
        for a in plan.assignments:
            yield self.assignment(a.cadre, a.area, a.valid_from, a.valid_until)

    # -- reports -----------------------------------------------------------------------
    def report(self, kind: str, area_id: str, cadre_id: str, submitted_at: datetime, *,
               period: str | None = None, assessment: str = "stable", summary: str = "Ổn định",
               unit_id: str | None = None, counts: Mapping[str, int] | None = None,
               hot_spots: Sequence[Mapping[str, str]] = (),
               sections: Mapping[str, str] | None = None, key: str | None = None,
               ) -> wire.Envelope:
        deadline = None
        on_time = True
        if kind != URGENT:
            assert period is not None
            due = Period.for_kind(kind, period)
            deadline = self.schedule.deadline(kind, due)
            on_time = self.schedule.is_on_time(kind, due, submitted_at)
        rid = uuid5(_NS, key or f"{kind}/{period}/{cadre_id}/{area_id}/{submitted_at}")
        return self.envelope("ReportSubmitted", rid, {
            "account_id": str(uuid5(_NS, cadre_id)), "idempotency_key": key or str(rid),
            "body_hash": "-", "kind": kind, "period": period, "area_id": area_id,
            "cadre_id": cadre_id, "unit_id": unit_id,
            "content": {"assessment": assessment, "summary": summary,
                        "sections": dict(sections or {}), "counts": dict(counts or {}),
                        "hot_spots": [dict(h) for h in hot_spots]},
            "submitted_at": submitted_at.astimezone(UTC), "device_time": None,
            "deadline": deadline, "on_time": on_time}, area_id, submitted_at)

    def returned(self, submitted: wire.Envelope, reason: str = "Thiếu số liệu",
                 revision: int = 1, at: datetime | None = None) -> wire.Envelope:
        """A report returned for correction, as the intake publishes it."""
        data = submitted.data
        when = at or datetime.fromisoformat(str(data["submitted_at"]))
        return self.envelope("ReportReturned", submitted.aggregate_id, {
            "kind": data["kind"], "period": data["period"], "area_id": data["area_id"],
            "cadre_id": data["cadre_id"], "unit_id": data["unit_id"], "revision": revision,
            "reason": reason, "returned_by": "-", "returned_by_unit": "-",
            "returned_at": when.astimezone(UTC), "idempotency_key": None},
            str(data["area_id"]), when)

    def corrected(self, submitted: wire.Envelope, revision: int = 2, *,
                  assessment: str = "stable", summary: str = "Đã sửa",
                  counts: Mapping[str, int] | None = None,
                  hot_spots: Sequence[Mapping[str, str]] = (),
                  sections: Mapping[str, str] | None = None,
                  at: datetime | None = None) -> wire.Envelope:
        """The corrected revision of `submitted` (its ReportSubmitted envelope)."""
        data = submitted.data
        first = data["submitted_at"]
        when = at or datetime.fromisoformat(str(first))
        return self.envelope("ReportCorrected", submitted.aggregate_id, {
            "kind": data["kind"], "period": data["period"], "area_id": data["area_id"],
            "cadre_id": data["cadre_id"], "unit_id": data["unit_id"], "revision": revision,
            "idempotency_key": f"fix-{revision}", "body_hash": "-",
            "content": {"assessment": assessment, "summary": summary,
                        "sections": dict(sections or {}), "counts": dict(counts or {}),
                        "hot_spots": [dict(h) for h in hot_spots]},
            "corrected_at": when.astimezone(UTC), "first_submitted_at": first,
            "case_ids": []}, str(data["area_id"]), when)
