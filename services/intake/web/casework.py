"""Cases on the web: search, the timeline with its as-of view, and the leaders' actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.case import STATUSES, TRANSITIONS, parse_tracking_number
from domain.clock import VN
from domain.errors import DomainError
from domain.report_content import CATEGORIES, SEVERITIES
from services.intake.web.due import area_name
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer, new_key

EVENTS_VI = {"Opened": "Mở vụ việc", "ReportLinked": "Có báo cáo mới về vụ việc",
             "StatusChanged": "Chuyển trạng thái", "HandlerAssigned": "Giao người xử lý",
             "NoteAdded": "Ghi chú"}
ACTIONS = {"trang-thai": "change_status", "nguoi-xu-ly": "assign_handler",
           "ghi-chu": "add_note"}
ACTION_FIELDS = {"change_status": ("status", "reason"), "assign_handler": ("handler", "reason"),
                 "add_note": ("text",)}


def read_vi(what: str) -> str:
    """An auditor's recorded read, said in Vietnamese."""
    if what == "state":
        return "xem trạng thái"
    if what.startswith("history as of "):
        return f"xem trạng thái tại {what.removeprefix('history as of ')}"
    return "xem diễn biến" if what == "history" else what


def as_of_instant(raw: str) -> str:
    """A `datetime-local` value (Vietnam time) as an ISO instant with its offset."""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise Refused(422, "Thời điểm không hợp lệ: nhập ngày và giờ, ví dụ 26/11/2026 10:00.") \
            from None
    return (at if at.tzinfo else at.replace(tzinfo=VN)).isoformat()


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime

    def reader(account_id: str) -> str:
        try:
            account = runtime.directory.account(UUID(account_id))
        except ValueError:
            account = None
        return account_id if account is None else account.username

    def case_page(request: Request, viewer: Viewer, history: dict[str, Any], *,
                  as_of_local: str = "", status: int = 200,
                  error: str | None = None) -> Response:
        state = history["state"]
        return site.page(request, viewer, "case.html.j2", status=status, history=history,
                         state=state, statuses=STATUSES, events_vi=EVENTS_VI,
                         severities=SEVERITIES, categories=CATEGORIES, as_of_local=as_of_local,
                         next_statuses=sorted(TRANSITIONS.get(state["status"], ())),
                         reader=reader, read_vi=read_vi,
                         area_name=area_name(runtime, history["state"]["area_id"]),
                         error=error, key=new_key(), can_act=viewer.role == "leader",
                         done=request.query_params.get("da_luu") == "1")

    @r.get("/vu-viec")
    async def search(request: Request) -> Response:
        viewer = await site.viewer(request)
        query = (request.query_params.get("q") or "").strip().upper()[:20]
        status = request.query_params.get("status") or None
        if status not in (None, *STATUSES):
            status = None
        found = await run_in_threadpool(runtime.cases.search, viewer.account, status,
                                        query or None, 100)
        if parse_tracking_number(query) and [c["case_id"] for c in found] == [query]:
            return site.redirect(f"/vu-viec/{query}")
        return site.page(request, viewer, "cases.html.j2", cases=found, query=query,
                         status_filter=status or "", statuses=STATUSES, severities=SEVERITIES,
                         area_name=lambda a: area_name(runtime, a))

    @r.get("/vu-viec/{number}")
    async def case(request: Request, number: str) -> Response:
        viewer = await site.viewer(request)
        local = (request.query_params.get("as_of") or "").strip()[:32]
        as_of = as_of_instant(local) if local else None
        history = await run_in_threadpool(runtime.cases.history, viewer.account, number, as_of)
        return case_page(request, viewer, history, as_of_local=local)

    @r.post("/vu-viec/{number}/{action}")
    async def act(request: Request, number: str, action: str) -> Response:
        viewer = await site.viewer(request, "leader")
        form = await site.form(request, viewer)
        command = ACTIONS.get(action)
        if command is None:
            raise Refused(404, "Không có thao tác này.")
        body = {name: str(form.get(name) or "") for name in ACTION_FIELDS[command]}
        key = str(form.get("idempotency_key") or "")
        try:
            await run_in_threadpool(getattr(runtime.cases, command), viewer.account, number,
                                    body, key)
        except DomainError as err:
            if err.status == 404:
                raise
            history = await run_in_threadpool(runtime.cases.history, viewer.account, number)
            return case_page(request, viewer, history, status=err.status,
                             error=err.message_vi)
        await runtime.publication.all_published()
        return site.redirect(f"/vu-viec/{number}?da_luu=1")

    return r
