"""The weekly and urgent report forms, and the report as sent."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from domain.errors import DomainError
from domain.periods import Cadence, Period
from domain.report_content import ASSESSMENTS, CATEGORIES, SECTIONS, SEVERITIES
from domain.schedule import Schedule
from services.intake.web.correction import may_return
from services.intake.web.correction import router as correction_router
from services.intake.web.due import area_name, week_label, when_vi
from services.intake.web.report_form import (
    COUNTS,
    ReportForm,
    blank_spot,
    from_fields,
    from_report,
    said,
)
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer, new_key

log = structlog.get_logger(__name__)

KINDS_VI = {"weekly": "Báo cáo tuần", "urgent": "Báo cáo đột xuất", "monthly": "Báo cáo tháng",
            "quarterly": "Báo cáo quý", "semiannual": "Báo cáo 6 tháng", "annual": "Báo cáo năm"}
PATHS = {"weekly": "/bao-cao/tuan", "urgent": "/bao-cao/dot-xuat"}


def _week(site: Site, raw: str | None) -> Period:
    """This week, or a week named in the query: a past one (a late report sent afterwards),
    or the next once this week's deadline has passed (`Schedule.is_open`, as the API)."""
    schedule: Schedule = site.runtime.directory.schedule()
    now = site.runtime.clock.now()
    current = schedule.period_of(Cadence.WEEK, now)
    if not raw:
        return current
    period = Period.for_kind("weekly", raw)
    if not schedule.is_open("weekly", period, now):
        raise Refused(422, f"Chưa đến tuần {period}: chỉ gửi báo cáo tuần đã mở (tuần sau mở "
                           "khi đã qua hạn báo cáo tuần này) hoặc gửi bù tuần đã qua.")
    return period


def _areas(site: Site, viewer: Viewer) -> list[str]:
    return site.runtime.directory.assigned_areas(viewer.account.cadre_id or "",
                                                 site.runtime.clock.now())


def _check_area(site: Site, viewer: Viewer, area_id: str) -> None:
    if area_id not in _areas(site, viewer):
        raise Refused(403, "Đồng chí không được phân công phụ trách địa bàn này vào thời điểm "
                           "hiện tại.")


def _prefill(site: Site, viewer: Viewer, area_id: str, kind: str,
             period: str | None) -> tuple[ReportForm, dict[str, Any] | None]:
    """A weekly form starts from the last weekly report for the area; urgent ones start blank."""
    form = ReportForm(kind=kind, area_id=area_id, period=period, key=new_key())
    if kind != "weekly":
        return form, None
    last = site.runtime.service.list_reports(viewer.account, area_id, None, "weekly", 1)
    if not last:
        return form, None
    open_cases = set()
    for number in last[0].get("case_ids", []):
        try:
            if site.runtime.cases.get(viewer.account, number)["status"] != "resolved":
                open_cases.add(number)
        except DomainError:
            continue
    return from_report(last[0], kind, period, form.key, open_cases), last[0]


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)

    def form_page(request: Request, viewer: Viewer, form: ReportForm, *, status: int = 200,
                  fresh: bool = False, source: dict[str, Any] | None = None,
                  message: str | None = None, action: str | None = None,
                  returned: dict[str, Any] | None = None) -> Response:
        schedule = site.runtime.directory.schedule()
        period = None if form.period is None else Period.parse(form.period)
        # The area's own obligation sets it (docs/web.md); None if its cadres owe no such report.
        deadline = None if period is None else site.runtime.directory.view.engine(
        ).cadre_deadline(form.kind, period, form.area_id)
        return site.page(
            request, viewer, "report_form.html.j2", status=status, form=form,
            kind_vi=KINDS_VI[form.kind], action=action or PATHS[form.kind], fresh=fresh,
            source=source, returned=returned,
            message=message, area_name=area_name(site.runtime, form.area_id),
            areas=[(a, area_name(site.runtime, a)) for a in _areas(site, viewer)],
            period_label=None if period is None else week_label(period, schedule),
            deadline=deadline, when_vi=when_vi, assessments=ASSESSMENTS,
            categories=CATEGORIES, severities=SEVERITIES, sections=SECTIONS, counts=COUNTS,
            blank=blank_spot())

    async def show(request: Request, kind: str) -> Response:
        viewer = await site.viewer(request, "cadre")
        areas = await run_in_threadpool(_areas, site, viewer)
        area_id = request.query_params.get("area") or (areas[0] if len(areas) == 1 else "")
        if kind == "weekly" and not area_id:
            if not areas:
                raise Refused(403, "Đồng chí chưa được phân công phụ trách địa bàn nào.")
            return site.page(request, viewer, "choose_area.html.j2",
                             areas=[(a, area_name(site.runtime, a)) for a in areas])
        if area_id:
            await run_in_threadpool(_check_area, site, viewer, area_id)
        period = None
        if kind == "weekly":
            period = str(await run_in_threadpool(_week, site, request.query_params.get("period")))
        form, source = await run_in_threadpool(_prefill, site, viewer, area_id, kind, period)
        form.hot_spots.append(blank_spot())
        return form_page(request, viewer, form, fresh=True, source=source)

    async def submit(request: Request, kind: str) -> Response:
        viewer = await site.viewer(request, "cadre")
        fields: FormData = await site.form(request, viewer)
        period = None
        if kind == "weekly":
            period = str(await run_in_threadpool(_week, site, str(fields.get("period") or "")))
        form = from_fields(fields, kind, period)
        intent = fields.get("intent")
        if intent == "add_hot_spot":
            form.hot_spots.append(blank_spot())
            return form_page(request, viewer, form)
        if not form.key:
            form.key = new_key()
        try:
            body = form.body(quick=kind == "weekly" and intent == "quick_stable")
            outcome = await run_in_threadpool(site.runtime.service.submit, viewer.account,
                                              form.key, body)
        except DomainError as err:
            message = said(err.field, err.message_vi)
            if err.code == "idempotency_conflict":
                form.key = new_key()
                message = ("Biểu mẫu này đã được gửi trước đó với nội dung khác. Nếu đồng chí "
                           "muốn gửi thêm một báo cáo mới, hãy kiểm tra lại và bấm Gửi.")
            form.errors[err.field or ""] = message
            return form_page(request, viewer, form, status=err.status, message=message)
        await site.runtime.publication.published(outcome.position, outcome.recordings)
        log.info("web_report_sent", report_id=outcome.report["report_id"], kind=kind)
        return site.redirect(f"/bao-cao/{outcome.report['report_id']}?moi=1")

    @r.get("/bao-cao/tuan")
    async def weekly_form(request: Request) -> Response:
        return await show(request, "weekly")

    @r.post("/bao-cao/tuan")
    async def weekly_submit(request: Request) -> Response:
        return await submit(request, "weekly")

    @r.get("/bao-cao/dot-xuat")
    async def urgent_form(request: Request) -> Response:
        return await show(request, "urgent")

    @r.post("/bao-cao/dot-xuat")
    async def urgent_submit(request: Request) -> Response:
        return await submit(request, "urgent")

    @r.get("/bao-cao/{report_id}")
    async def report(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request)
        found = await run_in_threadpool(site.runtime.service.get_report, viewer.account,
                                        report_id)
        cadre = site.runtime.directory.cadre(found["cadre_id"])
        return site.page(request, viewer, "report.html.j2", report=found,
                         kind_vi=KINDS_VI.get(found["kind"], found["kind"]),
                         area_name=area_name(site.runtime, found["area_id"]),
                         cadre_name=found["cadre_id"] if cadre is None else cadre.name,
                         fresh=request.query_params.get("moi") == "1",
                         just_returned=request.query_params.get("tra_lai") == "1",
                         may_return=may_return(site, viewer.account, found),
                         return_key=new_key(), assessments=ASSESSMENTS,
                         categories=CATEGORIES, severities=SEVERITIES, sections=SECTIONS,
                         counts=COUNTS)

    r.include_router(correction_router(site, form_page))
    return r
