"""Administration of assignments: each cadre's areas over time; add one, end one."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.clock import VN
from domain.errors import DomainError
from domain.network_records import AssignmentRecord
from services.intake.administration import Administration, Ended, vn_last_day, vn_start
from services.intake.web.due import area_name
from services.intake.web.panels import unit_name
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer

log = structlog.get_logger(__name__)

PAGE = "/quan-tri/phan-cong"
FIELDS_VI = {"cadre_id": "Cán bộ", "area_id": "Địa bàn", "valid_from": "Từ ngày",
             "valid_until": "Đến hết ngày"}
DONE_VI = {"them": "Đã thêm phân công.", "ket-thuc": "Đã kết thúc phân công.",
           "huy": "Phân công chưa bắt đầu nên đã được huỷ: nó không có hiệu lực ngày nào.",
           "khong-doi": "Phân công đã kết thúc đúng thời điểm này; không có gì thay đổi."}
STATUS_VI = {"active": "đang hiệu lực", "future": "chưa bắt đầu", "ended": "đã kết thúc",
             "cancelled": "đã huỷ"}


def _local(at: datetime) -> datetime:
    return at.astimezone(VN)


def describe(a: AssignmentRecord, now: datetime) -> dict[str, Any]:
    """An assignment said in Vietnam time: a whole day where the instant is midnight."""
    start = _local(a.valid_from)
    since = (f"từ ngày {start:%d/%m/%Y}" if start.time() == time(0)
             else f"từ {start:%H:%M} ngày {start:%d/%m/%Y}")
    if a.valid_until is None:
        until = "không thời hạn"
    else:
        end = _local(a.valid_until)
        until = (f"đến hết ngày {end - timedelta(days=1):%d/%m/%Y}" if end.time() == time(0)
                 else f"đến {end:%H:%M} ngày {end:%d/%m/%Y}")
    if a.valid_until is not None and a.valid_until <= a.valid_from:
        status = "cancelled"
    elif now < a.valid_from:
        status = "future"
    elif a.covers(now):
        status = "active"
    else:
        status = "ended"
    return {"id": str(a.id), "area_id": a.area_id, "since": since, "until": until,
            "status": status, "status_vi": STATUS_VI[status],
            "may_end": status in ("active", "future")}


def router(site: Site, admin: Administration) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime

    def page(request: Request, viewer: Viewer, *, status: int = 200,
             error: dict[str, Any] | None = None,
             values: dict[str, str] | None = None) -> Response:
        now = runtime.clock.now()
        cadres = [(cadre, [describe(a, now) for a in rows])
                  for cadre, rows in admin.assignments(viewer.account)]
        done = DONE_VI.get(request.query_params.get("da_luu") or "")
        return site.page(request, viewer, "admin_assignments.html.j2", status=status,
                         cadres=cadres, areas=admin.areas(viewer.account), error=error,
                         values=values or {}, done=done,
                         area_name=lambda a: area_name(runtime, a),
                         unit_name=lambda u: unit_name(runtime, u))

    def refused(request: Request, viewer: Viewer, err: DomainError,
                values: dict[str, str] | None = None) -> Response:
        error = {"field": err.field, "field_vi": FIELDS_VI.get(err.field or ""),
                 "message_vi": err.message_vi, "row": (values or {}).get("row")}
        return page(request, viewer, status=err.status, error=error,
                    values=None if error["row"] else values)

    @r.get(PAGE)
    async def assignments(request: Request) -> Response:
        viewer = await site.viewer(request, "admin")
        return page(request, viewer)

    @r.post(PAGE)
    async def start(request: Request) -> Response:
        viewer = await site.viewer(request, "admin")
        form = await site.form(request, viewer)
        values = {k: str(form.get(k) or "")[:100] for k in
                  ("cadre_id", "area_id", "valid_from", "valid_from_time", "valid_until")}

        def record() -> AssignmentRecord:
            until = values["valid_until"].strip()
            return admin.start_assignment(
                viewer.account, cadre_id=values["cadre_id"], area_id=values["area_id"],
                valid_from=vn_start(values["valid_from"], values["valid_from_time"]),
                valid_until=vn_last_day(until) if until else None)

        try:
            started = await run_in_threadpool(record)
        except DomainError as err:
            return refused(request, viewer, err, values)
        await runtime.publication.all_published()
        return site.redirect(f"{PAGE}?da_luu=them#pc-{started.id}")

    @r.post(PAGE + "/{assignment_id}/ket-thuc")
    async def end(request: Request, assignment_id: str) -> Response:
        viewer = await site.viewer(request, "admin")
        form = await site.form(request, viewer)
        try:
            aid = UUID(assignment_id)
        except ValueError:
            raise Refused(404, "Không tìm thấy phân công.") from None
        day = str(form.get("valid_until") or "").strip()[:20]

        def record() -> Ended:
            return admin.end_assignment(viewer.account, aid, vn_last_day(day) if day else None)

        try:
            ended = await run_in_threadpool(record)
        except DomainError as err:
            if err.status == 404:
                raise
            return refused(request, viewer, err, {"row": str(aid)})
        await runtime.publication.all_published()
        done = "khong-doi" if not ended.changed else "huy" if ended.cancelled else "ket-thuc"
        return site.redirect(f"{PAGE}?da_luu={done}#pc-{aid}")

    return r
