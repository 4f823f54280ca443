"""Returning a cadre's report for correction (leaders above) and correcting it (the author)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.access import may_act
from domain.errors import DomainError
from domain.report import RETURNED
from services.intake.directory import AccountView
from services.intake.web.report_form import ReportForm, blank_spot, from_fields, from_report, said
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, new_key

log = structlog.get_logger(__name__)

FIX_PATH = "/bao-cao/{report_id}/sua"


def may_return(site: Site, account: AccountView, report: dict[str, Any]) -> bool:
    """The report page offers "Trả lại để sửa" to leaders above the cadre, while it stands."""
    return report.get("status") != RETURNED and may_act(account, site.runtime.directory.view,
                                                         str(report["area_id"]))


def returned_reports(site: Site, account: AccountView) -> list[dict[str, Any]]:
    """The cadre's reports that stand returned for correction, newest first."""
    directory = site.runtime.directory
    directory.refresh()
    # The index knows which stand returned: only those are read from the store.
    found = [e.report_id for e in reversed(directory.reports())
             if e.returned and e.cadre_id == account.cadre_id]
    return [site.runtime.service.get_report(account, str(rid)) for rid in found]


def router(site: Site, form_page: Callable[..., Response]) -> APIRouter:
    """`form_page` is the report form's renderer (reporting.py), reused with another action."""
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    corrections = site.runtime.corrections

    @r.post("/bao-cao/{report_id}/tra-lai")
    async def give_back(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        fields = await site.form(request, viewer)
        key = str(fields.get("idempotency_key") or "") or new_key()
        body = {"reason": str(fields.get("reason") or "")}
        outcome = await run_in_threadpool(corrections.return_report, viewer.account,
                                          report_id, key, body)
        await site.runtime.publication.published(outcome.position, outcome.recordings)
        log.info("web_report_returned", report_id=report_id)
        return site.redirect(f"/bao-cao/{report_id}?tra_lai=1")

    def _form(report: dict[str, Any], key: str) -> ReportForm:
        form = from_report(report, str(report["kind"]), report.get("period"), key,
                           set(report.get("case_ids", [])))
        form.hot_spots.append(blank_spot())
        return form

    @r.get("/bao-cao/{report_id}/sua")
    async def fix_form(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "cadre")
        report = await run_in_threadpool(site.runtime.service.get_report, viewer.account,
                                         report_id)
        if report["status"] != RETURNED or report["cadre_id"] != viewer.account.cadre_id:
            raise Refused(409, "Báo cáo này không ở trạng thái bị trả lại để sửa.")
        return form_page(request, viewer, _form(report, new_key()), fresh=True,
                         action=FIX_PATH.format(report_id=report_id), returned=report)

    @r.post("/bao-cao/{report_id}/sua")
    async def fix(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "cadre")
        fields = await site.form(request, viewer)
        report = await run_in_threadpool(site.runtime.service.get_report, viewer.account,
                                         report_id)
        form = from_fields(fields, str(report["kind"]), report.get("period"))
        action = FIX_PATH.format(report_id=report_id)
        if fields.get("intent") == "add_hot_spot":
            form.hot_spots.append(blank_spot())
            return form_page(request, viewer, form, action=action, returned=report)
        form.key = form.key or new_key()
        try:
            outcome = await run_in_threadpool(corrections.correct, viewer.account, report_id,
                                              form.key, form.body(quick=False))
        except DomainError as err:
            message = said(err.field, err.message_vi)
            form.errors[err.field or ""] = message
            return form_page(request, viewer, form, status=err.status, message=message,
                             action=action, returned=report)
        await site.runtime.publication.published(outcome.position, outcome.recordings)
        log.info("web_report_corrected", report_id=report_id, revision=outcome.report["revision"])
        return site.redirect(f"/bao-cao/{report_id}?moi=1")

    return r
