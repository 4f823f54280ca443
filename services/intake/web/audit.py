"""The auditor's page: find a case by its number, and whether the history verifies."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.report_content import SEVERITIES
from services.intake.web.due import area_name
from services.intake.web.panels import audit_panel
from services.intake.web.route import WebRoute
from services.intake.web.site import Site

RECENT = 20


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime

    @r.get("/kiem-tra")
    async def home(request: Request) -> Response:
        viewer = await site.viewer(request, "auditor", "admin")
        recent = await run_in_threadpool(runtime.cases.search, viewer.account, None, None,
                                         RECENT)
        verification = None
        if runtime.audit_status is not None:  # None: the store is not one SQLite file
            raw = await run_in_threadpool(runtime.audit_status)
            verification = {"known": False} if raw is None else {"known": True,
                                                                  **audit_panel(raw)}
        return site.page(request, viewer, "audit_home.html.j2", recent=recent,
                         verification=verification,
                         severities=SEVERITIES, area_name=lambda a: area_name(runtime, a))

    return r
