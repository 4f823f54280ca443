"""Leadership: this week under my unit, the rollup and its trend (from the aggregator),
the alert groups (web/alert_inbox.py, from the notifier), and open cases."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup

from domain.access import may_read_rollup
from domain.case import STATUSES
from domain.errors import DomainError
from domain.periods import Cadence, Period
from domain.report_content import ASSESSMENTS, SEVERITIES
from services.intake.web.alert_inbox import HOME_GROUPS, groups_panel
from services.intake.web.completeness import unit_week
from services.intake.web.due import area_name, week_label, when_vi
from services.intake.web.panels import rollup_panel, unit_name
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer

TREND_WEEKS = 12
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _unit(viewer: Viewer) -> str:
    if viewer.account.unit_id is None:
        raise Refused(403, "Tài khoản lãnh đạo này chưa gắn với đơn vị nào.")
    return viewer.account.unit_id


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime

    async def rollup(viewer: Viewer, unit_id: str, period: Period) -> dict[str, Any] | None:
        try:
            reply = await runtime.aggregator.rollup(viewer.account.id, unit_id, str(period))
        except DomainError:
            return None  # no rollup yet, or the aggregator is down: the page says "none"
        return rollup_panel(runtime, reply["body"])

    async def trend(viewer: Viewer, unit_id: str, period: Period) -> list[dict[str, Any]]:
        weeks = [period]
        while len(weeks) < TREND_WEEKS:
            weeks.append(weeks[-1].previous())
        points = []
        for week in reversed(weeks):
            panel = await rollup(viewer, unit_id, week)
            points.append({"period": str(week), "label": f"T{week.index}",
                           "percent": 0 if panel is None else panel["percent"],
                           "on_time_percent": 0 if panel is None else panel["on_time_percent"],
                           "known": panel is not None})
        return points

    @r.get("/lanh-dao")
    async def home(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        unit_id = _unit(viewer)
        now = runtime.clock.now()
        schedule = runtime.directory.schedule()
        period = schedule.period_of(Cadence.WEEK, now)
        week = await run_in_threadpool(unit_week, runtime, viewer.account, unit_id, period)
        cases = await run_in_threadpool(runtime.cases.search, viewer.account, None, None, 200)
        alerts = await groups_panel(site, viewer, limit=HOME_GROUPS)
        # Each child unit's own report for this week: sent on time, late, returned, missing.
        units_sent = await run_in_threadpool(runtime.unit_reports.children_standing,
                                             viewer.account, unit_id, str(period))
        return site.page(
            request, viewer, "leader_home.html.j2", units_sent=units_sent,
            unit_name=unit_name(runtime, unit_id),
            period=str(period), period_label=week_label(period, schedule),
            deadline=week.deadline, when_vi=when_vi, week=week,
            open_cases=[c for c in cases if c["status"] != "resolved"], statuses=STATUSES,
            severities=SEVERITIES, assessments=ASSESSMENTS, area_name=lambda a:
            area_name(runtime, a), rollup=await rollup(viewer, unit_id, period),
            trend=await trend(viewer, unit_id, period), seen=request.query_params.get("da_xem"),
            **alerts)

    def readable_unit(request: Request, viewer: Viewer) -> str:
        """The unit asked for (`don_vi`, default the leader's own) if the leader may read its
        rollup; anything else is "not found", as over the API."""
        unit_id = request.query_params.get("don_vi") or _unit(viewer)
        view = runtime.directory.view
        if not may_read_rollup(view, viewer.account.role, viewer.account.unit_id, unit_id):
            raise Refused(404, "Không tìm thấy đơn vị.")
        return unit_id

    @r.get("/lanh-dao/tong-hop")
    async def document(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        await run_in_threadpool(runtime.directory.refresh)
        unit_id = readable_unit(request, viewer)
        current = runtime.directory.schedule().period_of(Cadence.WEEK, runtime.clock.now())
        raw = request.query_params.get("ky") or str(current)
        error, article, absent, period = None, None, None, None
        try:
            period = Period.parse(raw.strip())
        except DomainError as exc:
            error = exc.message_vi
        if period is not None:
            try:
                reply = await runtime.aggregator.rollup(viewer.account.id, unit_id,
                                                        str(period), "article")
            except DomainError as exc:
                absent = exc.message_vi  # none yet, or the aggregator is down
            else:
                # The aggregator's own rendering of the API's document (autoescaped there).
                article = Markup(reply["html"])  # noqa: S704 - rendered by our one Environment
        own = unit_id == viewer.account.unit_id
        query = urlencode({"ky": str(period or raw), **({} if own else {"don_vi": unit_id})})
        return site.page(request, viewer, "rollup.html.j2", status=422 if error else 200,
                         unit_name=unit_name(runtime, unit_id), raw_period=raw,
                         unit_id=None if own else unit_id, error=error, article=article,
                         absent=absent, docx_href=f"/lanh-dao/tong-hop.docx?{query}")

    @r.get("/lanh-dao/tong-hop.docx")
    async def document_docx(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        await run_in_threadpool(runtime.directory.refresh)
        unit_id = readable_unit(request, viewer)
        try:
            period = Period.parse((request.query_params.get("ky") or "").strip())
        except DomainError as exc:
            raise Refused(422, exc.message_vi) from exc
        reply = await runtime.aggregator.rollup(viewer.account.id, unit_id, str(period), "docx")
        return Response(base64.b64decode(reply["docx"]), media_type=DOCX, headers={
            "Content-Disposition": f'attachment; filename="{reply["filename"]}"',
            "Cache-Control": "no-store"})

    return r
