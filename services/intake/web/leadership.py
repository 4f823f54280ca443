"""Leadership: this week under my unit, open cases, the rollup and its trend (from the
aggregator), and the alert inbox (from the notifier)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.case import STATUSES
from domain.errors import DomainError
from domain.periods import Cadence, Period
from domain.report_content import ASSESSMENTS, CATEGORIES, SEVERITIES
from services.intake.web.completeness import unit_week
from services.intake.web.due import area_name, week_label, when_vi
from services.intake.web.panels import alert_panel, rollup_panel, unit_name
from services.intake.web.report_form import COUNTS
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer

TREND_WEEKS = 12
ALERTS_PER_PAGE = 20  # a phone screen or two; the rest a tap away ("Xem tiếp")


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
        alerts, alerts_error, alerts_page = None, None, None
        cursor = request.query_params.get("canh_bao") or None
        try:
            alerts_page = await runtime.notifier.alerts(viewer.account.id, "open",
                                                        ALERTS_PER_PAGE, cursor)
        except DomainError as exc:
            # The notifier down (or a stale link) must not take the whole dashboard with it.
            alerts_error = exc.message_vi
        else:
            alerts = [alert_panel(runtime, a) for a in alerts_page["alerts"]]
        return site.page(
            request, viewer, "leader_home.html.j2", unit_name=unit_name(runtime, unit_id),
            period=str(period), period_label=week_label(period, schedule),
            deadline=week.deadline, when_vi=when_vi, week=week,
            open_cases=[c for c in cases if c["status"] != "resolved"], statuses=STATUSES,
            severities=SEVERITIES, assessments=ASSESSMENTS, area_name=lambda a:
            area_name(runtime, a), rollup=await rollup(viewer, unit_id, period),
            trend=await trend(viewer, unit_id, period), alerts=alerts, alerts_error=alerts_error,
            alerts_total=alerts_page["total"] if alerts_page else 0,
            alerts_next=alerts_page["next_cursor"] if alerts_page else None,
            alerts_paged=cursor is not None,
            acked=request.query_params.get("da_xac_nhan") == "1")

    @r.get("/lanh-dao/tong-hop")
    async def document(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        unit_id = _unit(viewer)
        current = runtime.directory.schedule().period_of(Cadence.WEEK, runtime.clock.now())
        raw = request.query_params.get("ky") or str(current)
        error, panel, period = None, None, None
        try:
            period = Period.parse(raw.strip())
        except DomainError as exc:
            error = exc.message_vi
        if period is not None:
            panel = await rollup(viewer, unit_id, period)
        unit = runtime.directory.unit(unit_id)
        return site.page(request, viewer, "rollup.html.j2", status=422 if error else 200,
                         unit=unit, unit_name=unit_name(runtime, unit_id), raw_period=raw,
                         error=error, rollup=panel,
                         assessments=ASSESSMENTS, categories=CATEGORIES, severities=SEVERITIES,
                         counts=COUNTS)

    @r.post("/lanh-dao/canh-bao/{alert_id}")
    async def acknowledge(request: Request, alert_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        await site.form(request, viewer)
        await runtime.notifier.ack(viewer.account.id, alert_id)
        return site.redirect("/lanh-dao?da_xac_nhan=1#canh-bao")

    return r
