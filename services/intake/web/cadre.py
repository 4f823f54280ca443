"""The cadre's home: my areas, what is due and when, what I sent this week."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.report_content import ASSESSMENTS
from services.intake.web.correction import returned_reports
from services.intake.web.due import cadre_week, countdown_vi, when_vi
from services.intake.web.route import WebRoute
from services.intake.web.site import Site


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)

    @r.get("/can-bo")
    async def home(request: Request) -> Response:
        viewer = await site.viewer(request, "cadre")
        now = site.runtime.clock.now()
        week = await run_in_threadpool(cadre_week, site.runtime, viewer.account, now)
        returned = await run_in_threadpool(returned_reports, site, viewer.account)
        return site.page(request, viewer, "cadre_home.html.j2", week=week,
                         countdown=None if week.target is None
                         else countdown_vi(week.target - now), when_vi=when_vi,
                         server_now=now.isoformat(), assessments=ASSESSMENTS,
                         sent_ok=request.query_params.get("da_gui"), returned=returned)

    return r
